"""Serializers of the read-only API; the field names are a public contract.

``html_url`` is the public page's path, ``api_url`` the API path. Counts are annotated by
the views' querysets (never counted per row), so every serializer reads attributes only.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kb.models import Claim, Passage, Person, Principle, Quote, Source, Theme


def api_path(name: str, **kwargs) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


# The API only reads: every field is read-only, so the schema marks each one as present.
class ModelSerializer(serializers.ModelSerializer):
    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class PersonRefSerializer(ModelSerializer):
    """A speaker as ``{"name", "slug"}``."""

    class Meta:
        model = Person
        fields = ["name", "slug"]


class SourceSummarySerializer(ModelSerializer):
    passage_count = serializers.IntegerField(read_only=True)
    superseded_by = serializers.CharField(
        source="superseded_by_slug",  # annotated by SourceViewSet
        read_only=True,
        allow_null=True,
        help_text="The slug of the newer version of this text, when it was replaced (this "
        "one is kept because quotes or claims still cite it); null for a current source.",
    )
    html_url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "slug",
            "title",
            "kind",
            "url",
            "author",
            "publisher",
            "published",
            "year",
            "language",
            "passage_count",
            "superseded_by",
            "html_url",
            "api_url",
        ]

    def get_html_url(self, source) -> str:
        return source.get_absolute_url()

    def get_api_url(self, source) -> str:
        return api_path("source-detail", slug=source.slug)


class PassageSerializer(ModelSerializer):
    speaker = PersonRefSerializer(read_only=True, allow_null=True)
    boilerplate = serializers.BooleanField(source="is_boilerplate", read_only=True)
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = Passage
        fields = ["id", "number", "start", "end", "text", "speaker", "boilerplate", "html_url"]

    def get_html_url(self, passage) -> str:
        # passage.source is the prefetching source (or select_related): no query.
        return passage.get_absolute_url()


def _user(serializer):
    request = serializer.context.get("request")
    return request.user if request is not None else None


class SourceDetailSerializer(SourceSummarySerializer):
    """A source and the addresses of its text and of its passages: a few hundred bytes
    whatever the size of the source (a book-length one has 20 MB and tens of thousands of
    passages, each read from its own endpoint)."""

    text_url = serializers.SerializerMethodField(
        help_text="The API address of the source's text (plain text; readers get page "
        "chrome blanked, the same length, so every offset indexes it)."
    )
    passages_url = serializers.SerializerMethodField(
        help_text="The API address of the source's passages, in order, paginated."
    )

    class Meta(SourceSummarySerializer.Meta):
        fields = [*SourceSummarySerializer.Meta.fields, "text_url", "passages_url"]

    def get_text_url(self, source) -> str:
        return api_path("source-text", slug=source.slug)

    def get_passages_url(self, source) -> str:
        return api_path("source-passages", slug=source.slug)


class PassageDetailSerializer(PassageSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    quotes = serializers.SerializerMethodField()
    previous = serializers.SerializerMethodField()
    next = serializers.SerializerMethodField()

    class Meta(PassageSerializer.Meta):
        fields = [*PassageSerializer.Meta.fields, "source", "quotes", "previous", "next"]

    def get_quotes(self, passage) -> list[int]:
        user = _user(self)
        return list(
            Quote.objects.visible_to(user)
            .filter(passage=passage)
            .order_by("start", "end")
            .values_list("id", flat=True)
        )

    def _neighbour(self, passage, **lookup):
        ordering = "-number" if "number__lt" in lookup else "number"
        # Readers' neighbours skip page chrome, whose own address is a 404 for them.
        siblings = Passage.objects.visible_to(_user(self)).filter(
            source_id=passage.source_id, **lookup
        )
        return siblings.order_by(ordering).values_list("id", flat=True).first()

    def get_previous(self, passage) -> int | None:
        return self._neighbour(passage, number__lt=passage.number)

    def get_next(self, passage) -> int | None:
        return self._neighbour(passage, number__gt=passage.number)


class QuoteSerializer(ModelSerializer):
    speaker = PersonRefSerializer(read_only=True, allow_null=True)
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    passage = serializers.PrimaryKeyRelatedField(read_only=True)
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    html_url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "text",
            "speaker",
            "attribution",
            "source",
            "passage",
            "start",
            "end",
            "themes",
            "status",
            "featured",  # a filter of the list and a column of the exports: shown here too
            "html_url",
            "api_url",
        ]

    def get_html_url(self, quote) -> str:
        return quote.get_absolute_url()

    def get_api_url(self, quote) -> str:
        return api_path("quote-detail", pk=quote.pk)


class ClaimSerializer(ModelSerializer):
    """A claim and its evidence; a draft claim without evidence has nulls and ``""``."""

    source = serializers.SerializerMethodField()
    passage = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    evidence = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = ["text", "source", "passage", "start", "end", "evidence", "html_url"]

    def get_source(self, claim) -> str | None:
        return claim.passage.source.slug if claim.passage_id else None

    def get_evidence(self, claim) -> str:
        return claim.evidence_text

    def get_html_url(self, claim) -> str | None:
        return claim.get_absolute_url() or None


class PrincipleSerializer(ModelSerializer):
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    claims = ClaimSerializer(many=True, read_only=True)
    source_count = serializers.IntegerField(read_only=True)
    html_url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()

    class Meta:
        model = Principle
        fields = [
            "slug",
            "title",
            "summary",
            "themes",
            "claims",
            "source_count",
            "html_url",
            "api_url",
        ]

    def get_html_url(self, principle) -> str:
        return principle.get_absolute_url()

    def get_api_url(self, principle) -> str:
        return api_path("principle-detail", slug=principle.slug)


class ThemeSerializer(ModelSerializer):
    quote_count = serializers.IntegerField(read_only=True)
    principle_count = serializers.IntegerField(read_only=True)
    html_url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()

    class Meta:
        model = Theme
        fields = [
            "slug",
            "name",
            "description",
            "quote_count",
            "principle_count",
            "html_url",
            "api_url",
        ]

    def get_html_url(self, theme) -> str:
        return theme.get_absolute_url()

    def get_api_url(self, theme) -> str:
        return api_path("theme-detail", slug=theme.slug)


class PersonSerializer(ModelSerializer):
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    quote_count = serializers.IntegerField(read_only=True)
    html_url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["slug", "name", "description", "aliases", "quote_count", "html_url", "api_url"]

    def get_html_url(self, person) -> str:
        return person.get_absolute_url()

    def get_api_url(self, person) -> str:
        return api_path("person-detail", slug=person.slug)


class SearchHitSerializer(serializers.Serializer):
    """One search hit (kb.search.Hit); ``snippet`` has ``<mark>`` as its only markup."""

    type = serializers.ChoiceField(choices=["quote", "passage", "principle", "source"])
    id = serializers.IntegerField()
    title = serializers.CharField()
    snippet = serializers.CharField()
    source = serializers.CharField(allow_null=True, help_text="The source's slug.")
    passage = serializers.IntegerField(allow_null=True, help_text="The passage's id.")
    html_url = serializers.CharField()
    matched = serializers.CharField(
        help_text='Why it matched when the snippet shows no matched word ("theme Pricing"); '
        "empty otherwise."
    )


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "APA, Chicago or BibTeX: the citation's text."},
            {
                "type": "object",
                "additionalProperties": True,
                "description": "csl-json: one CSL-JSON item (id, type, title, author, issued, "
                "URL …), as Zotero, Pandoc and citeproc read it.",
            },
        ]
    }
)
class CitationField(serializers.JSONField):
    pass


class CitationSerializer(serializers.Serializer):
    """A citation in one style: text, or for csl-json a CSL-JSON item object."""

    style = serializers.CharField()
    citation = CitationField()
    in_text = serializers.CharField(
        required=False, help_text="A CSL style only: the in-text citation (or note) of it."
    )
    cite_item = serializers.JSONField(
        required=False,
        help_text="csl-json only: the CSL cite-item ({id, locator, label}: the paragraph of a "
        "quote), what citeproc-js takes as citationItems and citeproc-py as CitationItem.",
    )


class QuoteCitationSerializer(CitationSerializer):
    """A quote's citation with its paragraph locator (APA "Para. n.", Chicago and BibTeX
    "¶ n", csl-json the cite_item's locator) and a link to its exact words in the original."""

    fragment_url = serializers.CharField(
        help_text="The original's URL with a text fragment that highlights the quote "
        '("" when the source has no web address).'
    )
