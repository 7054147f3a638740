"""FilterSets shared by the HTML pages, the JSON API and the exports (one per list)."""

import django_filters as filters
from django import forms
from django.db.models import F, Q
from django_filters import fields as filter_fields

from kb import search
from kb.models import Person, Quote, Source, Theme, can_see_unpublished
from kb.moved import renamed_slug
from kb.search.query import MAX_QUERY_LENGTH


class StrictNullBooleanField(forms.NullBooleanField):
    """True, False or nothing; any other value is an error, not "nothing".

    Django's NullBooleanField reads "maybe" as no choice, so ``?featured=maybe`` listed every
    quote as if unfiltered (and the API answered 200): a typo must say so instead.
    """

    READABLE = {"", "true", "false", "1", "0"}

    def to_python(self, value):
        if isinstance(value, str) and value.strip().lower() not in self.READABLE:
            raise forms.ValidationError(
                "Use true or false (or leave it empty).", code="invalid_choice"
            )
        return super().to_python(value)


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictNullBooleanField


class YearField(forms.IntegerField):
    """A year: a whole number (NumberFilter's decimal field read "2014.5" as 2014), in the
    range the column holds (a bigger one overflows SQLite's integers)."""

    default_error_messages = {"invalid": "Enter a year as a whole number, such as 2014."}

    # A text input with a numeric keyboard: ``<input type="number" value="abc">`` is invalid
    # HTML, and a wrong value typed in the query string is shown back as it was.
    widget = forms.TextInput(attrs={"inputmode": "numeric"})

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 32767)  # PositiveSmallIntegerField
        super().__init__(**kwargs)


class YearFilter(filters.NumberFilter):
    field_class = YearField


class SlugChoiceField(filter_fields.ModelChoiceField):
    """A slug, or one it had before a rename: old links and saved queries keep working, as
    old addresses redirect. Looked up only when the value names nothing now."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            current = renamed_slug(self.queryset.model, value)
            if current is None:
                raise
            return super().to_python(current)


class SlugsChoiceField(filter_fields.ModelMultipleChoiceField):
    """Slugs, each maybe one it had before a rename (see SlugChoiceField)."""

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except forms.ValidationError as error:
            if error.code != "invalid_choice":
                raise
            model = self.queryset.model
            followed = [renamed_slug(model, slug) or slug for slug in value]
            if followed == list(value):
                raise
            return super()._check_values(followed)


class SlugFilter(filters.ModelChoiceFilter):
    field_class = SlugChoiceField


class SlugsFilter(filters.ModelMultipleChoiceFilter):
    field_class = SlugsChoiceField


class QuoteFilter(filters.FilterSet):
    """Quote list filters; the parameter names are a public contract (pages and API)."""

    ORDERINGS = {
        # When it was said (Quote.said_on, else the source's date: QuoteQuerySet.with_said).
        "newest": (
            F("said_year").desc(nulls_last=True),
            F("said_date").desc(nulls_last=True),
            "source__title",
            "start",
        ),
        "oldest": (
            F("said_year").asc(nulls_last=True),
            F("said_date").asc(nulls_last=True),
            "source__title",
            "start",
        ),
        "speaker": ("speaker__name", "source__title", "start"),
        "source": ("source__title", "start"),
    }

    theme = SlugsFilter(
        field_name="themes__slug",
        to_field_name="slug",
        queryset=Theme.objects.all(),
        method="filter_themes",
        label="Themes",
    )
    theme_match = filters.ChoiceFilter(
        choices=[("all", "all of them"), ("any", "any of them")],
        method="ignore",  # read by filter_themes
        empty_label=None,
        label="Match",
    )
    speaker = SlugFilter(
        field_name="speaker", to_field_name="slug", queryset=Person.objects.published()
    )
    # only(): the choices need a label, never the whole source texts.
    source = SlugFilter(
        field_name="source",
        to_field_name="slug",
        queryset=Source.objects.only("pk", "slug", "title"),
    )
    kind = filters.ChoiceFilter(field_name="source__kind", choices=Source.Kind.choices)
    # The year it was said (said_on, else the source's year), annotated in __init__.
    year = YearFilter(field_name="said_year")
    year_min = YearFilter(field_name="said_year", lookup_expr="gte", label="From")
    year_max = YearFilter(field_name="said_year", lookup_expr="lte", label="To")
    featured = StrictBooleanFilter(
        widget=forms.Select(
            choices=[("", "any"), ("true", "featured only"), ("false", "not featured")]
        )
    )
    q = filters.CharFilter(
        method="filter_words",
        label="Words",
        # As the search box: the search reads no further (kb.search.query.MAX_QUERY_LENGTH).
        widget=forms.TextInput(attrs={"maxlength": MAX_QUERY_LENGTH}),
    )
    ordering = filters.ChoiceFilter(
        choices=[
            ("newest", "newest source"),
            ("oldest", "oldest source"),
            ("speaker", "by speaker"),
            ("source", "by source"),
        ],
        method="order",
        empty_label=None,
        label="Order",
    )

    class Meta:
        model = Quote
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        if hasattr(data, "getlist") and "" in data.getlist("theme"):
            # An empty theme (a form's blank choice, "?theme=") means no theme, as an empty
            # value of any other filter does; the choice field would call it invalid.
            data = data.copy()
            data.setlist("theme", [slug for slug in data.getlist("theme") if slug])
        super().__init__(data, *args, **kwargs)
        if "said_year" not in self.queryset.query.annotations:
            self.queryset = self.queryset.with_said()
        if not can_see_unpublished(getattr(self.request, "user", None)):
            self.filters["source"].queryset = self.source_choices_for_readers()

    def source_choices_for_readers(self):
        """The sources readers choose from: current versions, as the source list shows.

        An earlier version kept by ``import --replace`` holds only what lost its words (drafts,
        which staff see and still choose). One named in the query string (a link, the API's
        ``superseded_by``) is still a valid filter and stays chosen in the form.
        """
        chosen = self.data.get("source", "") if hasattr(self.data, "get") else ""
        current = Q(superseded_by__isnull=True)
        return Source.objects.filter(current | Q(slug=chosen) if chosen else current).only(
            "pk", "slug", "title"
        )

    def ignore(self, queryset, name, value):
        return queryset

    def filter_themes(self, queryset, name, themes):
        if not themes:
            return queryset
        if self.form.cleaned_data.get("theme_match") == "any":
            return queryset.filter(themes__in=themes).distinct()
        for theme in themes:
            queryset = queryset.filter(themes=theme)
        return queryset

    # True when ``q`` was given while the search index is being rebuilt: the list is then
    # empty, and a page may say why.
    search_unavailable = False

    def filter_words(self, queryset, name, value):
        try:
            return search.filter_quotes(queryset, value)
        except search.SearchUnavailable:
            self.search_unavailable = True
            return queryset.none()

    def order(self, queryset, name, value):
        return queryset.order_by(*self.ORDERINGS.get(value, self.ORDERINGS["newest"]))

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("ordering") and not queryset.query.order_by:
            queryset = queryset.order_by(*self.ORDERINGS["newest"])
        return queryset


class SourceFilter(filters.FilterSet):
    """Source list filters: kind, year range, a person speaking, words in the title."""

    kind = filters.ChoiceFilter(choices=Source.Kind.choices)
    year_min = YearFilter(field_name="year", lookup_expr="gte", label="From")
    year_max = YearFilter(field_name="year", lookup_expr="lte", label="To")
    speaker = filters.ModelChoiceFilter(
        field_name="passages__speaker",
        to_field_name="slug",
        queryset=Person.objects.published(),
        distinct=True,
        label="Person speaking",
    )
    title = filters.CharFilter(lookup_expr="icontains", label="Words in the title")

    class Meta:
        model = Source
        fields = []


def quote_filterset(request) -> QuoteFilter:
    """QuoteFilter over the quotes ``request.user`` may see, bound to the query string: the
    quote list page, its exports and the API's exports (one FilterSet per list).

    Themes are checkboxes on the page; the rows leave out what a card never shows (the
    whole source text and the passage text).
    """
    queryset = (
        Quote.objects.visible_to(request.user).with_related().defer("source__text", "passage__text")
    )
    filterset = QuoteFilter(request.GET, queryset=queryset, request=request)
    fields = filterset.form.fields
    # The choices only need a label: never load whole source texts for a <select>.
    fields["source"].queryset = fields["source"].queryset.only("pk", "slug", "title")
    themes = fields["theme"]
    themes.widget = forms.CheckboxSelectMultiple(choices=themes.choices)
    numeric_text_inputs(filterset.form)
    return filterset


def numeric_text_inputs(form) -> None:
    """Number fields as text inputs with a numeric keyboard.

    ``<input type="number" value="abc">`` is invalid HTML, and a wrong value typed in the
    query string must be shown back as it was, next to its error.
    """
    for field in form.fields.values():
        if isinstance(field.widget, forms.NumberInput):
            attrs = {k: v for k, v in field.widget.attrs.items() if k not in ("step", "min", "max")}
            attrs["inputmode"] = "numeric"
            field.widget = forms.TextInput(attrs=attrs)
