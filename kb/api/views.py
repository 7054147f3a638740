"""Read-only viewsets of the API.

Each queryset fetches what its serializer reads in a fixed number of queries whatever the
number of rows: foreign keys with select_related, lists with prefetch_related, counts
annotated. Sources' full texts are only loaded by the source detail.
"""

from django.db.models import Count, F, Prefetch, Q
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound, ValidationError

from kb.api import serializers
from kb.filters import QuoteFilter, SourceFilter
from kb.models import Claim, Passage, Person, Principle, Quote, Source, Status, Theme


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
            raise ValidationError({key: ["Null characters are not allowed."] for key in bad})


class ReadOnlyViewSet(SafeInputMixin, viewsets.ReadOnlyModelViewSet):
    pass


def themes_by_name():
    return Prefetch("themes", queryset=Theme.objects.order_by("name").only("id", "slug"))


class SourceViewSet(ReadOnlyViewSet):
    """Sources stored whole; the detail has the original text and its numbered passages."""

    lookup_field = "slug"
    filterset_class = SourceFilter

    def get_queryset(self):
        # An explicit order: Meta.ordering is dropped from a query with GROUP BY.
        sources = Source.objects.with_counts(include_boilerplate=True).order_by(
            F("year").desc(nulls_last=True), "title"
        )
        if self.action == "retrieve":
            passages = Passage.objects.select_related("speaker").order_by("number")
            return sources.prefetch_related(Prefetch("passages", queryset=passages))
        return sources.defer("text", "notes")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.SourceDetailSerializer
        return serializers.SourceSummarySerializer


class PassageViewSet(SafeInputMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One passage, its published quotes and its neighbours (no list: see a source's detail)."""

    serializer_class = serializers.PassageDetailSerializer
    queryset = Passage.objects.select_related("source", "speaker").defer(
        "source__text", "source__notes"
    )


class QuoteViewSet(ReadOnlyViewSet):
    """Quotes: published ones for everybody, drafts too for staff."""

    serializer_class = serializers.QuoteSerializer
    filterset_class = QuoteFilter

    def get_queryset(self):
        return (
            Quote.objects.visible_to(self.request.user)
            .select_related("speaker", "source")
            .defer("source__text", "source__notes", "note")
            .prefetch_related(themes_by_name())
        )


class PrincipleViewSet(ReadOnlyViewSet):
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


class ThemeViewSet(ReadOnlyViewSet):
    """Themes with the number of published quotes and principles tagged with them."""

    lookup_field = "slug"
    serializer_class = serializers.ThemeSerializer

    def get_queryset(self):
        return Theme.objects.annotate(
            quote_count=Count("quotes", filter=Q(quotes__status=Status.PUBLISHED), distinct=True),
            principle_count=Count(
                "principles", filter=Q(principles__status=Status.PUBLISHED), distinct=True
            ),
        ).order_by("name")


class PersonViewSet(ReadOnlyViewSet):
    """People speaking in the sources, with the number of their published quotes."""

    lookup_field = "slug"
    serializer_class = serializers.PersonSerializer

    def get_queryset(self):
        return Person.objects.annotate(
            quote_count=Count("quotes", filter=Q(quotes__status=Status.PUBLISHED), distinct=True)
        ).order_by("name")
