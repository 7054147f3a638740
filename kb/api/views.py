"""Read-only viewsets of the API.

Each queryset fetches what its serializer reads in a fixed number of queries whatever the
number of rows: foreign keys with select_related, lists with prefetch_related, counts
annotated. Sources' full texts are only loaded by the source detail.

Every view answers with Cache-Control and an ETag (kb.api.caching); the schema
annotations (extend_schema) document what each endpoint answers, errors included.
"""

from django.core.cache import cache
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    StreamingHttpResponse,
)
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from kb import citations, exports
from kb.api import serializers
from kb.api.caching import LIST_SECONDS, api_cache, list_key
from kb.api.moved import current_api_address
from kb.api.pagination import PAGE_SIZE_PARAM, Pages
from kb.api.schema import QUOTE_FILTERS, SOURCE_FILTERS
from kb.filters import QuoteFilter, SourceFilter, quote_filterset
from kb.models import (
    Claim,
    Passage,
    Person,
    Principle,
    Quote,
    Source,
    Theme,
    can_see_unpublished,
)


class SafeInputMixin:
    """Refuse a NUL character in the URL or the query string before it reaches a query.

    PostgreSQL cannot store or compare strings containing NUL, so such a value would
    otherwise be a server error instead of the client error it is.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if any("\x00" in str(value) for value in kwargs.values()):
            raise NotFound()
        bad = sorted(
            {
                key
                for key, values in request.query_params.lists()
                if "\x00" in key or any("\x00" in value for value in values)
            }
        )
        if bad:
            raise ValidationError({key: [null_message(request, key)] for key in bad})


def null_message(request, key: str) -> str:
    # A NUL in page_size is refused here, before the paginator reads it: say what it may be,
    # quoting the value with the NUL (query_params[key] is the last one, maybe a good one).
    if key == PAGE_SIZE_PARAM:
        values = request.query_params.getlist(key)
        return Pages.page_size_error(next(value for value in values if "\x00" in value))
    return "Null characters are not allowed."


class HttpCachingMixin:
    """Cache-Control by audience and an ETag on every answer (kb.api.caching)."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        return api_cache(super().as_view(*args, **kwargs))


class CachedListMixin:
    """A list's page is cached by content version, audience, query string and format
    (kb.cache): authentication, throttling and content negotiation still run on every
    request; the queries and serializers only on a miss. JSON is cached rendered (the bytes:
    rendering took a third of a cached request, bench pages); the browsable API's HTML
    page holds a CSRF token and the user, so for it only the data is cached."""

    def list(self, request, *args, **kwargs):
        renderer = request.accepted_renderer
        as_bytes = isinstance(renderer, JSONRenderer)
        # The key holds the host: ``next``, ``previous`` and every ``url`` are absolute.
        key = list_key(request, "bytes" if as_bytes else "data")
        cached = cache.get(key)
        if cached is not None:
            if as_bytes:
                return HttpResponse(cached, content_type=self.json_content_type(request))
            return Response(cached)
        response = super().list(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        if not as_bytes:
            cache.set(key, response.data, LIST_SECONDS)
            return response
        body = renderer.render(
            response.data, request.accepted_media_type, self.get_renderer_context()
        )
        cache.set(key, body, LIST_SECONDS)
        return HttpResponse(body, content_type=self.json_content_type(request))

    @staticmethod
    def json_content_type(request) -> str:
        # What DRF's Response would send for the negotiated JSON renderer.
        renderer = request.accepted_renderer
        media_type = request.accepted_media_type or renderer.media_type
        return f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type


class ReadOnlyViewSet(
    HttpCachingMixin, SafeInputMixin, CachedListMixin, viewsets.ReadOnlyModelViewSet
):
    pass


class Moved(Exception):
    """Raised by ``MovedSlugMixin.get_object``: the object is now at ``address``."""

    def __init__(self, address: str):
        super().__init__(address)
        self.address = address


class MovedSlugMixin:
    """An object not found under a slug it had before (renamed in the admin): 301 to its
    current API address, query string kept (kb.api.moved); any other 404 stays the JSON one."""

    answers_moved_slugs = True  # the schema documents the 301 (kb.api.schema)

    def get_object(self):
        # Only the lookup's 404: by now the request is authenticated, throttled and negotiated
        # (an unknown format suffix is a 404 too, raised before the user is known).
        try:
            return super().get_object()
        except Http404:
            address = current_api_address(self.request)
            if address:
                raise Moved(address) from None
            raise

    def handle_exception(self, exc):
        if isinstance(exc, Moved):
            return HttpResponsePermanentRedirect(exc.address)
        return super().handle_exception(exc)


STYLE = OpenApiParameter(
    "style",
    str,
    default="csl-json",
    description="csl-json (the citation is a CSL-JSON item object), csl-yaml, bibtex, ris, "
    "apa or chicago (notes), or any CSL style by name (mla, harvard, chicago-author-date, "
    "modern-language-association, …; the citation is text, with its in-text form). Named "
    "style, not format: DRF keeps ?format= for renderers.",
)


def citation(request, obj) -> dict:
    """``{"style", "citation"}`` of a quote or a source in the ``style`` asked for, with
    ``cite_item`` for CSL data and ``in_text`` for a CSL style (kb.citations.cite_body); a
    source without an original URL is cited with its permalink here."""
    style = request.query_params.get("style", "csl-json")
    try:
        return citations.cite_body(obj, style, absolute=request.build_absolute_uri)
    except citations.UnknownStyle as exc:  # UnsupportedStyle is one too
        raise ValidationError({"style": [str(exc)]}) from None


# A source's text is sent in pieces of this many characters (never a second whole copy).
TEXT_CHUNK_CHARS = 1 << 20


def themes_by_name():
    return Prefetch("themes", queryset=Theme.objects.order_by("name").only("id", "slug"))


class FirstRenderer(BaseContentNegotiation):
    """An export (CSV, JSON Lines) or a source's text is that whatever the Accept header;
    its errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(summary="Sources", parameters=SOURCE_FILTERS),
    retrieve=extend_schema(summary="A source (its text: text_url; its passages: passages_url)"),
)
class SourceViewSet(MovedSlugMixin, ReadOnlyViewSet):
    """Sources stored whole; the detail links to the original text (plain text, streamed)
    and to its passages, a page at a time (a book-length source has tens of thousands):
    a detail is a few hundred bytes whatever the size of the source."""

    lookup_field = "slug"
    filterset_class = SourceFilter

    def get_queryset(self):
        # Readers count the passages they are shown (no page chrome); staff count them all.
        # The counts are subqueries (with_counts): one row a source, never a join.
        staff = can_see_unpublished(self.request.user)
        if self.action in ("cite", "passages"):
            return Source.objects.defer("text", "notes")
        if self.action == "text":
            return Source.objects.defer("notes")
        sources = (
            Source.objects.with_counts(include_boilerplate=staff)
            .annotate(superseded_by_slug=F("superseded_by__slug"))
            .order_by(F("year").desc(nulls_last=True), "title")
        )
        return sources.defer("text", "notes")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.SourceDetailSerializer
        if self.action == "cite":
            return serializers.CitationSerializer
        if self.action == "passages":
            return serializers.PassageSerializer
        return serializers.SourceSummarySerializer

    @extend_schema(
        summary="A source's citation",
        parameters=[STYLE],
        responses=serializers.CitationSerializer,
    )
    # filterset_class=None: the list's filters do not narrow a citation's lookup.
    @action(detail=True, url_path="cite", filterset_class=None)
    def cite(self, request, slug=None, format=None):
        """The source cited in one style: APA, Chicago, BibTeX or a CSL-JSON item."""
        # ``format``: the router also routes cite.json and cite.api (format suffixes).
        return Response(citation(request, self.get_object()))

    @extend_schema(
        summary="A source's original text, as plain text",
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The text exactly as stored, UTF-8, streamed; for readers, page "
                "chrome (boilerplate passages) blanked with spaces, line breaks kept, so every "
                "offset of the API still indexes it.",
            ),
        },
    )
    @action(
        detail=True,
        url_path="text",
        filterset_class=None,
        renderer_classes=[JSONRenderer],  # for the errors: the text is a streamed response
        content_negotiation_class=FirstRenderer,
    )
    def text(self, request, slug=None, format=None):
        """The source's text; readers get page chrome blanked (same length, same offsets)."""
        source = self.get_object()
        text = (
            source.text if can_see_unpublished(request.user) else source.text_without_boilerplate()
        )

        def chunks():
            for at in range(0, len(text), TEXT_CHUNK_CHARS):
                yield text[at : at + TEXT_CHUNK_CHARS].encode("utf-8")

        return StreamingHttpResponse(chunks(), content_type="text/plain; charset=utf-8")

    @extend_schema(
        summary="A source's passages, in order, a page at a time",
        responses=serializers.PassageSerializer(many=True),
    )
    @action(detail=True, url_path="passages", filterset_class=None)
    def passages(self, request, slug=None, format=None):
        """The numbered passages of a source in order (readers: without page chrome),
        ``page_size`` at a time: each one's text is ``source.text[start:end]``."""
        source = self.get_object()
        rows = (
            Passage.objects.visible_to(request.user)
            .filter(source=source)
            .select_related("speaker")
            .order_by("number")
        )
        page = self.paginate_queryset(rows)
        for passage in page:
            passage.source = source  # html_url names the source: no query a row
        data = serializers.PassageSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(data.data)


@extend_schema_view(retrieve=extend_schema(summary="A passage, its quotes and its neighbours"))
class PassageViewSet(
    HttpCachingMixin, SafeInputMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """One passage, the ids of its quotes (published, and drafts for staff) and its
    neighbours' ids (null at either end); no list: a source's detail lists its passages."""

    serializer_class = serializers.PassageDetailSerializer

    def get_queryset(self):
        # Boilerplate (page chrome) is a 404 for readers, as on the passage page.
        return (
            Passage.objects.visible_to(self.request.user)
            .select_related("source", "speaker")
            .defer("source__text", "source__notes")
        )


@extend_schema_view(
    list=extend_schema(summary="Quotes", parameters=QUOTE_FILTERS),
    retrieve=extend_schema(summary="A quote"),
)
class QuoteViewSet(ReadOnlyViewSet):
    """Quotes: published ones for everybody, drafts too for staff."""

    serializer_class = serializers.QuoteSerializer
    filterset_class = QuoteFilter

    def get_queryset(self):
        if self.action == "cite":
            return (
                Quote.objects.visible_to(self.request.user)
                .select_related("speaker", "source", "passage")
                .defer("source__text", "source__notes", "passage__text", "note")
            )
        return (
            Quote.objects.visible_to(self.request.user)
            .select_related("speaker", "source")
            .defer("source__text", "source__notes", "note")
            .prefetch_related(themes_by_name())
        )

    def get_serializer_class(self):
        if self.action == "cite":
            return serializers.QuoteCitationSerializer
        return super().get_serializer_class()

    @extend_schema(
        summary="A quote's citation",
        parameters=[STYLE],
        responses=serializers.QuoteCitationSerializer,
    )
    @action(detail=True, url_path="cite", filterset_class=None)
    def cite(self, request, pk=None, format=None):
        """The quote cited in one style, with its paragraph locator (APA "Para. n.", Chicago
        and BibTeX "¶ n", csl-json the cite_item's locator), and a link to its exact words on
        the original page (a text fragment)."""
        # ``format``: the router also routes cite.json and cite.api (format suffixes).
        quote = self.get_object()
        body = citation(request, quote)
        body["fragment_url"] = citations.text_fragment_url(quote.source.url, quote.text)
        return Response(body)


class QuoteExport(HttpCachingMixin, SafeInputMixin, APIView):
    """The filtered quote list, every page, as a download (kb.exports streams it)."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRenderer
    export = None  # kb.exports.csv_response or jsonl_response

    def get(self, request, *args, **kwargs):
        # The same FilterSet as the list page and its exports, bound the same way; an invalid
        # filter is a JSON 400 here rather than the page export's plain-text one.
        filterset = quote_filterset(request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        # request.user is already the API's user (session or token) on the Django request.
        return self.export(request._request, filterset.qs)


# The JSON errors (400 naming the bad filters, 401, 404, 429) come from kb.api.schema.
@extend_schema_view(
    get=extend_schema(
        operation_id="quotes_export_csv",
        summary="Quotes as CSV",
        parameters=QUOTE_FILTERS,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="A header row, then one quote a row (id, url, text, speaker, "
                "attribution, themes, source, source_url, source_year, original_url, paragraph, "
                "passage_url, featured, status), streamed; an attachment named quotes.csv.",
            ),
        },
    )
)
class QuoteExportCSV(QuoteExport):
    """Every quote matching the filters (the quote list's) as CSV."""

    export = staticmethod(exports.csv_response)


@extend_schema_view(
    get=extend_schema(
        operation_id="quotes_export_jsonl",
        summary="Quotes as JSON Lines",
        parameters=QUOTE_FILTERS,
        responses={
            (200, "application/jsonl"): OpenApiResponse(
                OpenApiTypes.STR,
                description="One JSON object a line, with the CSV's columns as keys, streamed; "
                "an attachment named quotes.jsonl.",
            ),
        },
    )
)
class QuoteExportJSONLines(QuoteExport):
    """Every quote matching the filters (the quote list's) as JSON Lines."""

    export = staticmethod(exports.jsonl_response)


class PrincipleViewSet(MovedSlugMixin, ReadOnlyViewSet):
    """Principles and their claims with evidence: published ones, and drafts for staff."""

    lookup_field = "slug"
    serializer_class = serializers.PrincipleSerializer

    def get_queryset(self):
        claims = (
            Claim.objects.select_related("passage__source")
            .defer("passage__source__text", "passage__source__notes")
            .order_by("position", "pk")
        )
        return (
            Principle.objects.visible_to(self.request.user)
            .annotate(source_count=Count("claims__passage__source", distinct=True))
            .prefetch_related(themes_by_name(), Prefetch("claims", queryset=claims))
            .order_by("title")
        )


class ThemeViewSet(MovedSlugMixin, ReadOnlyViewSet):
    """Themes with the number of published quotes and principles tagged with them."""

    lookup_field = "slug"
    serializer_class = serializers.ThemeSerializer

    def get_queryset(self):
        # Subqueries, not two many-to-many joins at once (quotes × principles per theme).
        quotes = Quote.objects.published().filter(themes=OuterRef("pk"))
        principles = Principle.objects.published().filter(themes=OuterRef("pk"))
        return Theme.objects.annotate(
            quote_count=count_of(quotes, "themes"),
            principle_count=count_of(principles, "themes"),
        ).order_by("name")


def count_of(rows, group: str) -> Coalesce:
    """``COUNT(*)`` of ``rows`` (filtered on an ``OuterRef``) as a scalar subquery."""
    counted = rows.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class PersonViewSet(MovedSlugMixin, ReadOnlyViewSet):
    """People speaking in the sources, with the number of their published quotes."""

    lookup_field = "slug"
    serializer_class = serializers.PersonSerializer

    def get_queryset(self):
        quotes = Quote.objects.published().filter(speaker=OuterRef("pk"))
        return (
            Person.objects.published()
            .annotate(quote_count=count_of(quotes, "speaker"))
            .order_by("name")
        )
