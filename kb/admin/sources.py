"""Sources and their passages: read-only originals, added only by the importer.

The importer is ``manage.py import_source`` or the admin's "Import a source" page
(:mod:`kb.admin.importing`): the same pipeline either way.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.urls import path, reverse
from django.utils.html import format_html, json_script

from kb import curation
from kb.admin.autocomplete import SafeAutocompleteMixin
from kb.admin.base import CuratedAdmin, CuratedForm, action_with_form
from kb.admin.importing import can_import, import_source_view
from kb.admin.selection import source_selection
from kb.models import URL_SCHEME_MESSAGE, Passage, Quote, Source

IMPORT_HINT = (
    "Sources are added by the importer (`manage.py import_source`, or “Import a source” "
    "here), never by the add form: "
    "the original text is stored exactly as decoded and never rewritten. "
    "Edit the metadata and the passages' speakers and boilerplate flags."
)


# Up to this many passages the source's change page edits them inline; above, it links to
# the passage list instead. Each inline row posts 3 or 4 fields (id, source, speaker,
# boilerplate), and Django refuses a POST of more than DATA_UPLOAD_MAX_NUMBER_FIELDS
# (1,000) fields with a bare "Bad Request (400)": from about 330 passages on, even the
# notes could not be saved. The page grew with them too (17 MB, ~50 s for 3,449 rows),
# and a confirmed import lands there. 100 rows stay well under the limit and readable.
PASSAGE_INLINE_LIMIT = 100
# The change page shows this much of the original text (a page stays under a second).
ORIGINAL_SHOWN = 100_000


def excerpt(text: str, length: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


class BoilerplateRuleMixin:
    """Refuses ticking "boilerplate" on a passage that readers reach through a published
    quote or principle (``kb.curation.check_boilerplate``), in the passage's own form and
    in the source page's inline rows alike."""

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("is_boilerplate")
            and "is_boilerplate" in self.changed_data
            and self.instance.pk is not None
        ):
            try:
                curation.check_boilerplate(self.instance)
            except ValidationError as exc:
                self.add_error("is_boilerplate", exc)
        return cleaned


class PassageForm(BoilerplateRuleMixin, CuratedForm):
    pass


class PassageInlineForm(BoilerplateRuleMixin, forms.ModelForm):
    pass


class PassageInline(SafeAutocompleteMixin, admin.TabularInline):
    """The passages of a source: their text is the source's, only the labels are editable.

    Shown only up to PASSAGE_INLINE_LIMIT passages (``SourceAdmin.get_inline_instances``).
    """

    model = Passage
    form = PassageInlineForm
    fields = ["number", "text", "speaker", "is_boilerplate"]  # start/end: the passage's page
    readonly_fields = ["number", "text"]
    autocomplete_fields = ["speaker"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # passages come from the importer


# Curation comfort (issue #20): read and select on the source's page; technical fields
# collapsed. Kept in its own block (SourceAdminSelection, mixed into SourceAdmin).
# Shown to staff who want them, folded away for editors.
SOURCE_TECHNICAL_FIELDS = ("superseded_by", "sha256", "created", "updated")


class SourceAdminSelection:
    """Mixed into SourceAdmin: the fieldsets (technical details collapsed) and the
    "Read and select" box of its passages (kb.admin.selection)."""

    class Media:
        js = ["js/admin_words.js", "js/admin_select.js"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        main, technical, others = [], [], []
        for name, options in fieldsets:
            if name is not None:
                others.append((name, options))  # "Revision" (the change reason)
                continue
            for field in options.get("fields", ()):
                (technical if field in SOURCE_TECHNICAL_FIELDS else main).append(field)
        # "Read and select" comes after the metadata and the passage count.
        at = main.index("passage_list") + 1 if "passage_list" in main else len(main)
        main.insert(at, "read_and_select")
        return [
            (None, {"fields": main}),
            *others,
            ("Technical details", {"fields": technical, "classes": ["collapse"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "read_and_select"]

    @admin.display(description="Read and select")
    def read_and_select(self, source):
        if not source.pk:
            return "—"
        # Both buttons are shown: the add forms they open check the user's permissions.
        return source_selection(source)


@admin.register(Source)
class SourceAdmin(SourceAdminSelection, CuratedAdmin):
    history_revert = False  # metadata history is shown; the text itself is never rewritten
    list_display = ["title", "kind", "year", "publisher", "language", "passage_total", "quotes"]
    list_filter = ["kind", "year", "language", ("superseded_by", admin.EmptyFieldListFilter)]
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
        "superseded_by",
        "sha256",
        "passage_list",
        "original",
        "created",
        "updated",
    ]
    readonly_fields = ["superseded_by", "sha256", "passage_list", "original", "created", "updated"]
    inlines = [PassageInline]
    # The model's message for any bad address (the form field's own would say "Enter a
    # valid URL." even for a "javascript:" one, without naming the schemes accepted).
    formfield_overrides = {
        models.URLField: {
            "assume_scheme": "https",
            "error_messages": {"invalid": URL_SCHEME_MESSAGE},
        }
    }
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
        # Counts by correlated subqueries over indexed columns (with_counts), never two
        # one-to-many joins at once (28 s on PostgreSQL, no answer on SQLite, for one 2 MB
        # source). The text (MBs) is read only by the change page that shows it.
        return (
            super()
            .get_queryset(request)
            .with_counts(include_boilerplate=True, quotes=True)
            .defer("text")
            # An explicit order (the autocomplete pages it).
            .order_by(F("year").desc(nulls_last=True), "title")
        )

    def has_add_permission(self, request):
        return False  # sources come from the importer, never from the add form

    @staticmethod
    def _passage_count(source) -> int:
        total = getattr(source, "passage_count", None)  # annotated by get_queryset
        return source.passages.count() if total is None else total

    def get_inline_instances(self, request, obj=None):
        # The same answer for the GET of the page and its POST: both load the source.
        if obj is not None and self._passage_count(obj) > PASSAGE_INLINE_LIMIT:
            return []
        return super().get_inline_instances(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # PassageAdmin refuses every deletion (a passage deleted on its own leaves a hole
        # in its source's tiling), which would make Django refuse to delete a source with
        # its passages. Deleting the whole source leaves no hole: only the model's delete
        # permission is asked for here (superusers have it; the editors' roles do not).
        codename = get_permission_codename("delete", Passage._meta)
        if request.user.has_perm(f"{Passage._meta.app_label}.{codename}"):
            perms_needed.discard(Passage._meta.verbose_name)
        # Draft quotes (the importer's candidates) go with their source, so that a source
        # imported by mistake can be deleted; a published quote is kept until unpublished.
        published = Quote.objects.published().filter(source__in=objs).order_by("pk")
        protected = [*protected, *(f"Published quote: {quote}" for quote in published)]
        return deleted, counts, perms_needed, protected

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            messages.info(request, IMPORT_HINT)
        extra_context = {**(extra_context or {}), "can_import": can_import(request)}
        return super().changelist_view(request, extra_context)

    @admin.display(description="passages", ordering="passage_count")
    def passage_total(self, source):
        return source.passage_count

    @admin.display(description="quotes (published)", ordering="quote_count")
    def quotes(self, source):
        return f"{source.quote_count} ({source.published_quote_count})"

    @admin.display(description="passages")
    def passage_list(self, source):
        total = self._passage_count(source)
        url = (
            reverse("admin:kb_passage_changelist")
            + "?"
            + urlencode({"source__id__exact": source.pk})
        )
        if total > PASSAGE_INLINE_LIMIT:
            return format_html(
                '{} passages: <a href="{}">edit them in the passage list</a>.', f"{total:,}", url
            )
        return format_html(
            '{} passage{}, edited below (or in <a href="{}">the passage list</a>).',
            f"{total:,}",
            "" if total == 1 else "s",
            url,
        )

    @admin.display(description="original text")
    def original(self, source):
        # The first ORIGINAL_SHOWN characters: a 20 MB text made a page no browser opens
        # (the whole text is on the source's pages and in the API).
        text = source.text
        shown = text[:ORIGINAL_SHOWN]
        rest = ""
        if len(text) > ORIGINAL_SHOWN:
            rest = format_html(
                '<p>The first {} of {} characters; the whole text is on <a href="{}">the '
                "source's page</a>.</p>",
                f"{ORIGINAL_SHOWN:,}",
                f"{len(text):,}",
                source.get_absolute_url(),
            )
        return format_html(
            '<pre style="white-space: pre-wrap; max-height: 30em; overflow: auto; '
            'margin: 0;">{}</pre>{}',
            shown,
            rest,
        )


class SplitForm(forms.Form):
    position = forms.IntegerField(
        min_value=1,
        label="Split before character",
        help_text="Position in the passage's text (0 is its first character): between two "
        "words or two sentences; the whitespace there stays between the two passages.",
    )
    passage = None  # the passage to split: set by ``for_passage``

    @classmethod
    def for_passage(cls, passage):
        return type(cls.__name__, (cls,), {"passage": passage})

    def clean_position(self):
        # The split's own checks (kb.curation.check_split_point), as an error on the field:
        # the form is shown again with the passage's text, to choose another point.
        position = self.cleaned_data["position"]
        curation.check_split_point(self.passage, self.passage.start + position)
        return position


@admin.register(Passage)
class PassageAdmin(CuratedAdmin):
    # Bounds change only through split and merge (which keep the tiling): no revert here.
    history_revert = False
    list_display = ["__str__", "source", "number", "speaker", "is_boilerplate", "snippet"]
    list_filter = ["is_boilerplate", "source__kind", "source", "speaker"]
    list_select_related = ["source", "speaker"]
    search_fields = ["text", "source__title", "source__slug", "speaker__name"]
    fields = ["source", "number", "start", "end", "quote_selection", "speaker", "is_boilerplate"]
    readonly_fields = ["source", "number", "start", "end", "quote_selection"]
    autocomplete_fields = ["speaker"]
    form = PassageForm
    actions = ["split", "merge"]

    class Media:
        js = ["js/admin_words.js", "js/admin_quote_select.js"]

    @admin.display(description="text (select words to quote them)")
    def quote_selection(self, passage):
        add_url = reverse("admin:kb_quote_add")
        query = urlencode(
            {
                "source": passage.source_id,
                "passage": passage.pk,
                "speaker": passage.speaker_id or "",
            }
        )
        return format_html(
            '<div class="quote-select" data-start="{}" data-add-url="{}?{}">'
            '<div class="quote-select-text" style="white-space: pre-wrap; max-width: 60em;">{}'
            "</div>{}"
            '<p><button type="button" class="button quote-select-button" disabled>'
            "Quote the selected words</button> "
            '<span class="quote-select-status" aria-live="polite"></span></p></div>',
            passage.start,
            add_url,
            query,
            passage.text,
            json_script(passage.text, f"passage-text-{passage.pk}"),
        )

    @admin.action(description="Split the selected passage at a character", permissions=["change"])
    def split(self, request, queryset):
        passages = list(queryset.select_related("source")[:2])
        if len(passages) != 1:
            self.message_user(request, "Select exactly one passage to split.", messages.ERROR)
            return None
        passage = passages[0]

        def apply(data):
            result = curation.split_passage(passage, passage.start + data["position"])
            self.message_user(
                request,
                f"Split into ¶{result.first.number} and ¶{result.second.number} "
                f"({result.moved} quotes and claims re-anchored).",
                messages.SUCCESS,
            )

        return action_with_form(
            self,
            request,
            queryset,
            form=SplitForm.for_passage(passage),
            title=f"Split {passage}",
            apply=apply,
            intro=passage.text,
        )

    @admin.action(
        description="Merge the two selected neighbouring passages", permissions=["change"]
    )
    def merge(self, request, queryset):
        passages = list(queryset[:3])
        if len(passages) != 2:
            self.message_user(request, "Select exactly two neighbouring passages.", messages.ERROR)
            return
        try:
            merged = curation.merge_passages(*passages)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, f"Merged into {merged}.", messages.SUCCESS)

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

    def has_delete_permission(self, request, obj=None):
        # A passage deleted on its own leaves a hole in its source's tiling (verify_corpus
        # fails): merge it into a neighbour instead. A source is still deleted with its
        # passages (SourceAdmin.get_deleted_objects).
        return False

    @admin.display(description="text")
    def snippet(self, passage):
        return excerpt(passage.text)
