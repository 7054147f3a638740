"""The OpenAPI schema: documented error answers, filter parameters, the error bodies.

``AutoSchema`` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) adds to every operation the client
errors any API view can give, so the schema says what the endpoints really answer:

- 400 ``{"<parameter>": ["message", ...]}`` for a malformed parameter;
- 401 ``{"detail": ...}`` for an unknown token;
- 404 ``{"detail": ...}`` for an unknown object or a page out of range;
- 429 ``{"detail": ...}`` when an anonymous client goes over its rate;

and to the slug endpoints a 301 to the current address of a renamed object.
"""

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from kb.api.pagination import PAGE_DESCRIPTION, Pages
from kb.filters import QuoteFilter
from kb.models import Source


class ErrorDetailSerializer(serializers.Serializer):
    """``{"detail": "Not found."}``: what went wrong, in words."""

    detail = serializers.CharField()


# A malformed parameter: one key per parameter, each with its messages.
VALIDATION_ERRORS = dict[str, list[str]]

ERRORS = {
    "400": OpenApiResponse(
        VALIDATION_ERRORS,
        description="A malformed parameter, or a slug naming nothing (an unknown speaker, "
        "theme or source): the body names each one with its messages, "
        'e.g. {"year": ["Enter a year as a whole number, such as 2014."]}.',
    ),
    "401": OpenApiResponse(ErrorDetailSerializer, description="An invalid or inactive token."),
    "404": OpenApiResponse(
        ErrorDetailSerializer, description="No such object, or a page out of range."
    ),
    "429": OpenApiResponse(
        ErrorDetailSerializer,
        description="Too many anonymous requests (KB_API_ANON_RATE); see Retry-After.",
    ),
}

# A slug endpoint asked for under a slug the object had before (kb.api.moved).
MOVED = OpenApiResponse(
    description="Renamed: Location is the object's current address, with the same query string."
)


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            # The search reads an empty value as no choice too (kb.api.search).
            search = self.path.rstrip("/").endswith("/search")
            for parameter in operation.get("parameters", []):
                declare_bounds_and_empty_values(parameter, search=search)
        return operation

    def get_filter_backends(self):
        # The filters are documented explicitly (QUOTE_FILTERS, SOURCE_FILTERS below, checked
        # against the FilterSets by the tests) rather than guessed from the FilterSets.
        return []

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for code, response in ERRORS.items():
                if code not in responses:
                    responses[code] = self._get_response_for_code(
                        response, code, ["application/json"]
                    )
            if getattr(self.view, "answers_moved_slugs", False) and "{slug}" in self.path:
                responses["301"] = self._get_response_for_code(MOVED, "301")
        return responses


def declare_bounds_and_empty_values(parameter: dict, *, search: bool = False) -> None:
    """What the API really accepts, said in the schema (schemathesis holds it to it):
    ``page`` from 1, ``page_size`` from 1 to its maximum, years within YearField's bounds,
    no NUL in a text, and an empty value (``?year=``) for ``page``, ``page_size`` and every
    filter, read as no filter or the default (django-filter and kb.api.pagination)."""
    if parameter.get("in") != "query":
        return
    name, schema = parameter["name"], parameter.setdefault("schema", {})
    # No NUL in any text (kb.api.views.SafeInputMixin refuses it: PostgreSQL cannot compare
    # it), in a single value or in each of a repeated parameter's.
    for text in (schema, schema.get("items") or {}):
        if text.get("type") == "string" and "enum" not in text:
            text.setdefault("pattern", NO_NUL)
    if name == Pages.page_query_param:
        # ``page=`` is the first page (DRF reads an empty page number as 1).
        schema["minimum"] = 1
        parameter["allowEmptyValue"] = True
        return
    if name == Pages.page_size_query_param:
        schema.update(minimum=1, maximum=Pages.max_page_size)
    if name in YEARS and not search:
        schema.update(minimum=YEAR_MIN, maximum=YEAR_MAX)
    if search or name in EMPTY_MEANS_NOTHING:
        parameter["allowEmptyValue"] = True


PAGE = OpenApiParameter("page", OpenApiTypes.INT, description=PAGE_DESCRIPTION)
PAGE_SIZE = OpenApiParameter(
    Pages.page_size_query_param, OpenApiTypes.INT, description=Pages.page_size_description()
)

# QuoteFilter's parameters (kb.filters), the same on the quote list page, the API and the exports.
QUOTE_FILTERS = [
    OpenApiParameter(
        "theme",
        str,
        many=True,
        explode=True,
        style="form",
        description="A theme's slug; repeat it for several themes (see theme_match).",
    ),
    OpenApiParameter(
        "theme_match",
        str,
        enum=["all", "any"],
        default="all",
        description="Quotes with all the themes given, or with any of them.",
    ),
    OpenApiParameter("speaker", str, description="A person's slug: quotes they said."),
    OpenApiParameter("source", str, description="A source's slug: quotes from that source."),
    OpenApiParameter(
        "kind", str, enum=Source.Kind.values, description="The kind of source quoted."
    ),
    OpenApiParameter("year", OpenApiTypes.INT, description="The source's year."),
    OpenApiParameter("year_min", OpenApiTypes.INT, description="Sources of that year or later."),
    OpenApiParameter("year_max", OpenApiTypes.INT, description="Sources of that year or earlier."),
    OpenApiParameter("featured", bool, description="Featured quotes only (true) or none (false)."),
    OpenApiParameter("q", str, description="Words the quote contains (the site's search)."),
    OpenApiParameter(
        "ordering",
        str,
        enum=list(QuoteFilter.ORDERINGS),
        default="newest",
        description="newest or oldest source first, by speaker, or by source title.",
    ),
]

SOURCE_FILTERS = [
    OpenApiParameter("kind", str, enum=Source.Kind.values, description="The kind of source."),
    OpenApiParameter("year_min", OpenApiTypes.INT, description="Sources of that year or later."),
    OpenApiParameter("year_max", OpenApiTypes.INT, description="Sources of that year or earlier."),
    OpenApiParameter("speaker", str, description="A person's slug: sources where they speak."),
    OpenApiParameter("title", str, description="Words in the title (case-insensitive)."),
]

NO_NUL = "^[^\\x00]*$"

# kb.filters.YearField's bounds (a PositiveSmallIntegerField): outside them, a 400.
YEAR_MIN, YEAR_MAX = 0, 32767
YEARS = {"year", "year_min", "year_max"}

# The parameters for which an empty value is no choice (no filter, the default page size).
EMPTY_MEANS_NOTHING = {
    Pages.page_size_query_param,
    *(parameter.name for parameter in QUOTE_FILTERS),
    *(parameter.name for parameter in SOURCE_FILTERS),
}
