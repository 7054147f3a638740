"""Sources and their passages: read-only originals, added only by the importer.

The importer is ``manage.py import_source`` or the admin's "Import a source" page
(:mod:`kb.admin.importing`): the same pipeline either way.
"""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, F, Q
from django.urls import path
from django.utils.html import format_html

from kb.admin.importing import can_import, import_source_view
from kb.models import Passage, Source, Status

IMPORT_HINT = (
    "Sources are added by the importer (`manage.py import_source`, or “Import a source” "
    "here), never by the add form: "
    "the original text is stored exactly as decoded and never rewritten. "
    "Edit the metadata and the passages' speakers and boilerplate flags."
)


def excerpt(text: str, length: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


class PassageInline(admin.TabularInline):
    """The passages of a source: their text is the source's, only the labels are editable."""

    model = Passage
    fields = ["number", "start", "end", "text", "speaker", "is_boilerplate"]
    readonly_fields = ["number", "start", "end", "text"]
    autocomplete_fields = ["speaker"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # passages come from the importer


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "year", "publisher", "language", "passage_total", "quotes"]
    list_filter = ["kind", "year", "language"]
    search_fields = ["title", "slug", "author", "publisher", "url"]
    fields = [
        "title",
        "slug",
        "kind",
        "url",
        "author",
        "publisher",
        "published",
        "year",
        "language",
        "notes",
        "sha256",
        "original",
        "created",
        "updated",
    ]
    readonly_fields = ["sha256", "original", "created", "updated"]
    inlines = [PassageInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_list_template = "admin/kb/source/change_list.html"  # adds "Import a source"

    def get_urls(self):
        # Before the defaults: their "<path:object_id>/" would take "import/".
        import_url = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_import",
        )
        return [import_url, *super().get_urls()]

    def import_view(self, request):
        return import_source_view(self, request)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                passage_total=Count("passages", distinct=True),
                quote_total=Count("quotes", distinct=True),
                published_quote_total=Count(
                    "quotes", filter=Q(quotes__status=Status.PUBLISHED), distinct=True
                ),
            )
            # Meta.ordering is dropped from a GROUP BY query (autocomplete pages it).
            .order_by(F("year").desc(nulls_last=True), "title")
        )

    def has_add_permission(self, request):
        return False  # sources come from the importer, never from the add form

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            messages.info(request, IMPORT_HINT)
        extra_context = {**(extra_context or {}), "can_import": can_import(request)}
        return super().changelist_view(request, extra_context)

    @admin.display(description="passages", ordering="passage_total")
    def passage_total(self, source):
        return source.passage_total

    @admin.display(description="quotes (published)", ordering="quote_total")
    def quotes(self, source):
        return f"{source.quote_total} ({source.published_quote_total})"

    @admin.display(description="original text")
    def original(self, source):
        return format_html(
            '<pre style="white-space: pre-wrap; max-height: 30em; overflow: auto; '
            'margin: 0;">{}</pre>',
            source.text,
        )


@admin.register(Passage)
class PassageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "source", "number", "speaker", "is_boilerplate", "snippet"]
    list_filter = ["is_boilerplate", "source__kind", "source"]
    list_select_related = ["source", "speaker"]
    search_fields = ["text", "source__title", "source__slug", "speaker__name"]
    fields = ["source", "number", "start", "end", "text", "speaker", "is_boilerplate"]
    readonly_fields = ["source", "number", "start", "end", "text"]
    autocomplete_fields = ["speaker"]

    def get_queryset(self, request):
        # Autocomplete results print "<source slug> ¶<n>": fetch the source with the passage.
        return (
            super()
            .get_queryset(request)
            .select_related("source", "speaker")
            .defer("source__text", "source__notes")
        )

    def has_add_permission(self, request):
        return False  # passages come from the importer

    @admin.display(description="text")
    def snippet(self, passage):
        return excerpt(passage.text)
