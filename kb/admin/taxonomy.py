"""People, themes and search aliases: the small tables quotes and principles point to."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from kb import curation
from kb.admin.base import ARCHIVE_ACTIONS, CuratedAdmin, CuratedForm, action_with_form
from kb.models import Person, SearchAlias, Status, Theme
from kb.search.query import split_words


def merge_action(modeladmin, request, queryset, merge, noun):
    """Merge two selected rows: the editor chooses which one is kept on a confirmation page."""
    chosen = list(queryset.order_by("pk")[:3])
    if len(chosen) != 2:
        modeladmin.message_user(request, f"Select exactly two {noun} to merge.", messages.ERROR)
        return None

    class KeepForm(forms.Form):
        keep = forms.ChoiceField(
            choices=[(obj.pk, str(obj)) for obj in chosen],
            widget=forms.RadioSelect,
            label="Keep",
            help_text="The other one is merged into it, then deleted (its history is kept).",
        )

    def apply(data):
        keep = next(obj for obj in chosen if str(obj.pk) == data["keep"])
        other = next(obj for obj in chosen if obj is not keep)
        result = merge(keep, other)
        modeladmin.message_user(
            request,
            f"“{other}” merged into “{keep}”: {result.quotes} quotes, "
            f"{result.principles} principles, {result.passages} passages moved.",
            messages.SUCCESS,
        )

    return action_with_form(
        modeladmin, request, queryset, form=KeepForm, title=f"Merge two {noun}", apply=apply
    )


def published(relation: str) -> Count:
    return Count(relation, filter=Q(**{f"{relation}__status": Status.PUBLISHED}), distinct=True)


class NamesField(forms.CharField):
    """A list of names typed one per line: a JSON list was hard to type, and an emptied
    field (no names) was refused as not a list."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value):
        return "\n".join(map(str, value)) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in super().to_python(value).splitlines() if line.strip()]


class SlugFromNameForm(CuratedForm):
    """A person's or theme's form: the slug may be left empty, and the model makes one
    from the name (``kb.models.name_slug``).

    The admin's prepopulation (``prepopulated_fields``) types nothing for a name of emoji
    or of non-Latin letters ("🚀", "雷军"), and a required slug then refused the form
    ("This field is required.") until the editor made one up.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        slug = self.fields.get("slug")
        if slug is not None:
            slug.required = False
            slug.help_text = (
                "Left empty, it is made from the name (“person-…”, “theme-…” or "
                "“principle-…” and eight hex digits when it has no Latin letters or digits)."
            )


class PersonForm(SlugFromNameForm):
    aliases = NamesField(
        required=False,
        help_text="Other names the texts use for this person (“Lei”, “Mr. Lei”), one per "
        "line: the importer recognises speaker labels by them.",
    )


@admin.register(Person)
class PersonAdmin(CuratedAdmin):
    form = PersonForm
    actions = ["merge", *ARCHIVE_ACTIONS]
    list_display = ["name", "slug", "status", "alias_list", "quote_total", "passage_total"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "status", "aliases", "description"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                quote_total=Count("quotes", distinct=True),
                published_quote_total=published("quotes"),
                passage_total=Count("passages", distinct=True),
            )
            .order_by("name")  # Meta.ordering is dropped from a GROUP BY query
        )

    @admin.action(description="Merge the two selected people", permissions=["delete"])
    def merge(self, request, queryset):
        return merge_action(self, request, queryset, curation.merge_people, "people")

    @admin.display(description="aliases")
    def alias_list(self, person):
        return ", ".join(person.aliases) if isinstance(person.aliases, list) else ""

    @admin.display(description="quotes (published)", ordering="quote_total")
    def quote_total(self, person):
        return f"{person.quote_total} ({person.published_quote_total})"

    @admin.display(description="passages spoken", ordering="passage_total")
    def passage_total(self, person):
        return person.passage_total


@admin.register(Theme)
class ThemeAdmin(CuratedAdmin):
    form = SlugFromNameForm
    actions = ["merge"]
    list_display = ["name", "slug", "quote_total", "principle_total"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "description"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                quote_total=Count("quotes", distinct=True),
                published_quote_total=published("quotes"),
                principle_total=Count("principles", distinct=True),
            )
            .order_by("name")  # Meta.ordering is dropped from a GROUP BY query
        )

    @admin.display(description="quotes (published)", ordering="quote_total")
    def quote_total(self, theme):
        return f"{theme.quote_total} ({theme.published_quote_total})"

    @admin.action(description="Merge the two selected themes", permissions=["delete"])
    def merge(self, request, queryset):
        return merge_action(self, request, queryset, curation.merge_themes, "themes")

    @admin.display(description="principles", ordering="principle_total")
    def principle_total(self, theme):
        return theme.principle_total


class SearchAliasForm(CuratedForm):
    """Refuses a pair another alias says already, compared as the search reads aliases
    (kb.search.aliases.alias_map: lower-cased words, punctuation aside). Only an exact
    repeat is refused by the model: the seed's "lei jun → Lei Jun" differs in case alone,
    which the search ignores, but it is an editor's record."""

    def clean(self):
        cleaned = super().clean()
        term, means = cleaned.get("term"), cleaned.get("means")
        if not term or not means or self.errors:
            return cleaned
        term, means = split_words(term), split_words(means)
        for other in SearchAlias.objects.exclude(pk=self.instance.pk):  # a small table
            pair = (split_words(other.term), split_words(other.means))
            if pair == (term, means):
                raise ValidationError(f"“{other}” says this already.")
            if pair == (means, term) and other.two_way:
                raise ValidationError(f"“{other}” says this already (both ways).")
        return cleaned


@admin.register(SearchAlias)
class SearchAliasAdmin(CuratedAdmin):
    form = SearchAliasForm
    list_display = ["term", "direction", "means", "two_way"]
    list_filter = ["two_way"]
    search_fields = ["term", "means"]

    @admin.display(description="")
    def direction(self, alias):
        return "⇄" if alias.two_way else "→"
