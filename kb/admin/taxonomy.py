"""People, themes and search aliases: the small tables quotes and principles point to."""

from django.contrib import admin
from django.db.models import Count, Q

from kb.models import Person, SearchAlias, Status, Theme


def published(relation: str) -> Count:
    return Count(relation, filter=Q(**{f"{relation}__status": Status.PUBLISHED}), distinct=True)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "alias_list", "quote_total", "passage_total"]
    search_fields = ["name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "aliases", "description"]

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
class ThemeAdmin(admin.ModelAdmin):
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

    @admin.display(description="principles", ordering="principle_total")
    def principle_total(self, theme):
        return theme.principle_total


@admin.register(SearchAlias)
class SearchAliasAdmin(admin.ModelAdmin):
    list_display = ["term", "direction", "means", "two_way"]
    list_filter = ["two_way"]
    search_fields = ["term", "means"]

    @admin.display(description="")
    def direction(self, alias):
        return "⇄" if alias.two_way else "→"
