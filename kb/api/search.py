"""``GET /api/search/?q=<words>&type=<quote|passage|principle|source>``: the site's search.

The same search as the /search/ page (kb.search): ranked hits, best first, one type after
the other when no ``type`` is given, with snippets where ``<mark>`` is the only markup and
``matched`` saying why a hit matched when its snippet shows no matched word. ``count`` is
exact. While the index is being rebuilt the answer is a 503 with a ``detail``.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import APIView

from kb import search as engine
from kb.api.pagination import Pages
from kb.api.schema import PAGE, PAGE_SIZE
from kb.api.serializers import SearchHitSerializer
from kb.api.views import HttpCachingMixin, SafeInputMixin


class SearchRebuilding(APIException):
    status_code = 503
    default_detail = "Search is being rebuilt: try again in a minute."
    default_code = "search_unavailable"


class SearchView(HttpCachingMixin, SafeInputMixin, APIView):
    """Search quotes, passages, principles and sources; ``theme``/``speaker`` narrow it."""

    pagination_class = Pages  # read by the schema: a paginated list of hits

    @extend_schema(
        summary="Search",
        parameters=[
            OpenApiParameter("q", str, description="The words to look for."),
            OpenApiParameter(
                "type",
                str,
                enum=list(engine.TYPES),
                description="One type of hit only; without it, every type, one after the other.",
            ),
            OpenApiParameter("theme", str, description="A theme's slug: hits tagged with it."),
            OpenApiParameter("speaker", str, description="A person's slug: hits they said."),
            OpenApiParameter("source", str, description="A source's slug: hits from it."),
            OpenApiParameter(
                "kind", str, description="A kind of source (interview, article …): hits from one."
            ),
            OpenApiParameter("year", int, description="Hits from the sources of that year."),
            PAGE,
            PAGE_SIZE,
        ],
        responses=SearchHitSerializer(many=True),
    )
    def get(self, request, *args, **kwargs):
        params = request.query_params
        kind = params.get("type", "")
        if kind and kind not in engine.TYPES:
            raise ValidationError(
                {"type": [f"Unknown type {kind[:50]!r}: use one of {', '.join(engine.TYPES)}."]}
            )
        try:
            results = engine.search(
                params.get("q", ""),
                types=(),
                user=request.user,
                **{name: params.get(name) or None for name in engine.FACETS},
                facets=False,
                fuzzy=False,  # researchers get what they asked for, not a guess
            )
        except engine.SearchUnavailable:
            raise SearchRebuilding() from None
        if results.unknown:
            raise ValidationError(
                {
                    name: [f"No {name} with the slug {value[:80]!r}."]
                    for name, value in results.unknown.items()
                }
            )
        paginator = Pages()
        try:
            hits = paginator.paginate_queryset(
                results.sequence((kind,) if kind else engine.TYPES), request, view=self
            )
        except engine.SearchUnavailable:  # rebuilt between the count and the page
            raise SearchRebuilding() from None
        return paginator.get_paginated_response([self.serialize(hit) for hit in hits])

    @staticmethod
    def serialize(hit: engine.Hit) -> dict:
        return {
            "type": hit.type,
            "id": hit.id,
            "title": hit.title,
            "snippet": str(hit.snippet),
            "source": hit.source,
            "passage": hit.passage,
            "html_url": hit.url,
            "matched": hit.matched,
        }
