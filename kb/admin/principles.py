"""The principle admin (claims inline, each backed by a span of a passage) and claims'."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from kb.admin.actions import StatusActionsMixin, ThemeActionsMixin, themes_by_name
from kb.admin.autocomplete import SafeAutocompleteMixin
from kb.admin.base import ARCHIVE_ACTIONS, CuratedAdmin, CuratedForm
from kb.admin.selection import WholeWordsMixin, evidence_picker, passages_json
from kb.admin.taxonomy import SlugFromNameForm
from kb.models import Claim, Principle, Status
from kb.texts import excerpt

EVIDENCE_REQUIRED = (
    "A published principle needs evidence for every claim: choose a passage, start and end "
    "for {claims}, or keep the principle in draft."
)
CLAIM_REQUIRED = "A published principle needs at least one claim with evidence."
# A claim's passage is named by its source's slug: the source's text (the whole original)
# is never read for a claim row.
PASSAGE_SOURCE_UNREAD = (
    "passage__source__text",
    "passage__source__notes",
)


class ClaimFormSet(BaseInlineFormSet):
    """A principle being published needs evidence for each claim submitted with it.

    ``Principle.clean`` checks the claims already saved; this checks the rows of the form,
    which is what will be saved (a new principle has no saved claims to check).
    """

    def clean(self):
        super().clean()
        if self.instance.status != Status.PUBLISHED:
            return
        kept, missing = 0, []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue  # an empty extra row, or an invalid one (its errors are shown)
            if self.can_delete and self._should_delete_form(form):
                continue
            kept += 1
            if form.cleaned_data.get("passage") is None:
                text = form.cleaned_data.get("text") or "a claim"
                missing.append(f"“{excerpt(text, 60)}”")
        if missing:
            raise ValidationError(EVIDENCE_REQUIRED.format(claims=", ".join(missing)))
        if not kept:
            raise ValidationError(CLAIM_REQUIRED)


class ClaimInlineForm(WholeWordsMixin, forms.ModelForm):
    """A claim row: its evidence is refused when cut inside a word (kb.admin.selection)."""

    class Meta:
        model = Claim
        fields = ["position", "text", "passage", "start", "end"]
        labels = {"start": "From character", "end": "To character"}


class ClaimForm(WholeWordsMixin, CuratedForm):
    class Meta:
        model = Claim
        fields = ["principle", "position", "text", "passage", "start", "end"]
        labels = {"start": "From character", "end": "To character"}


class ClaimInline(SafeAutocompleteMixin, admin.TabularInline):
    # Claims keep their own revision history (kb.models.Claim.history): see the Claim admin.
    model = Claim
    form = ClaimInlineForm
    formset = ClaimFormSet
    fields = ["position", "text", "passage", "start", "end", "evidence"]
    readonly_fields = ["evidence"]
    autocomplete_fields = ["passage"]
    extra = 1

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("passage__source")
            .defer(*PASSAGE_SOURCE_UNREAD)
        )

    @admin.display(description="Evidence")
    def evidence(self, claim):
        if not claim.pk or not claim.has_evidence:
            return "— (choose words with the evidence picker above)"
        return format_html(
            '<a href="{}">¶{}</a> {}',
            claim.get_absolute_url(),
            claim.passage.number,
            claim.evidence_text,
        )


@admin.register(Principle)
class PrincipleAdmin(StatusActionsMixin, ThemeActionsMixin, CuratedAdmin):
    actions = [*StatusActionsMixin.actions, "add_theme", "remove_theme", *ARCHIVE_ACTIONS]
    list_display = ["title", "status", "claim_total", "evidence_missing", "source_total", "themes_"]
    list_filter = ["status", "themes"]
    search_fields = ["title", "slug", "summary", "claims__text"]
    form = SlugFromNameForm  # a title of no Latin letters ("雷军的原则") gets a slug too
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["themes"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "themes", "status", "created", "updated"]}),
        (
            "Evidence picker",
            {
                "fields": ["picker"],
                "description": "Choose a source, select words in one of its passages, then "
                "“Use the selected words” for a claim below: its passage, start and end are "
                "filled (widened to whole words). Save to keep them.",
            },
        ),
    ]
    readonly_fields = ["created", "updated", "picker"]
    inlines = [ClaimInline]

    class Media:
        js = ["js/admin_words.js", "js/admin_select.js"]

    def get_urls(self):
        passages = path(
            "passages/",
            self.admin_site.admin_view(passages_json),
            name=f"{self.opts.app_label}_{self.opts.model_name}_passages",
        )
        return [passages, *super().get_urls()]

    @admin.display(description="Select the evidence")
    def picker(self, principle):
        return evidence_picker(reverse("admin:kb_principle_passages"))

    # Claims keep their own history: the principle's says so and links to each one's.
    object_history_template = "admin/kb/principle_history.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                claim_total=Count("claims", distinct=True),
                unevidenced=Count("claims", filter=Q(claims__passage__isnull=True), distinct=True),
                source_total=Count("claims__passage__source", distinct=True),
            )
            .order_by("title")  # Meta.ordering is dropped from a GROUP BY query
            .prefetch_related(themes_by_name())
        )

    def check_publishable(self, principle):
        if not principle.claims.filter(passage__isnull=False).exists():
            raise ValidationError(CLAIM_REQUIRED)

    @admin.display(description="claims", ordering="claim_total")
    def claim_total(self, principle):
        return principle.claim_total

    @admin.display(description="without evidence", ordering="unevidenced")
    def evidence_missing(self, principle):
        if not principle.unevidenced:
            return "0"
        return format_html('<strong style="color: #ba2121;">{}</strong>', principle.unevidenced)

    @admin.display(description="sources", ordering="source_total")
    def source_total(self, principle):
        return principle.source_total

    @admin.display(description="themes")
    def themes_(self, principle):
        return format_html_join(", ", "{}", ((t.name,) for t in principle.themes.all()))


@admin.register(Claim)
class ClaimAdmin(CuratedAdmin):
    """Claims are edited inline on their principle; here too, for their history and revert."""

    list_display = ["text", "principle", "position", "passage", "has_evidence"]
    list_filter = ["principle__status", ("passage", admin.EmptyFieldListFilter)]
    list_select_related = ["principle", "passage__source"]
    search_fields = ["text", "principle__title"]
    autocomplete_fields = ["principle", "passage"]
    form = ClaimForm
    fields = ["principle", "position", "text", "passage", "start", "end", "evidence_words"]
    readonly_fields = ["evidence_words"]

    @admin.display(description="Evidence")
    def evidence_words(self, claim):
        if not claim.pk or not claim.has_evidence:
            return "—"
        return format_html("<blockquote>{}</blockquote>", claim.evidence_text)

    actions = ["delete_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*PASSAGE_SOURCE_UNREAD)

    @admin.display(boolean=True, description="evidence")
    def has_evidence(self, claim):
        return claim.has_evidence

    def refuse_orphaning(self, request, claims) -> bool:
        """Say so and return True if deleting ``claims`` would leave a published principle
        with no claim with evidence (its page would cite nothing)."""
        ids = [claim.pk for claim in claims]
        orphaned = [
            principle.title
            for principle in Principle.objects.published().filter(claims__in=ids).distinct()
            if not principle.claims.exclude(pk__in=ids).filter(passage__isnull=False).exists()
        ]
        if orphaned:
            self.message_user(
                request,
                f"Not deleted: {', '.join(f'“{title}”' for title in orphaned)} would be left "
                "without evidence. Put the principle back in draft first, or keep a claim "
                "with evidence.",
                messages.ERROR,
            )
        return bool(orphaned)

    @admin.action(description="Delete selected %(verbose_name_plural)s", permissions=["delete"])
    def delete_selected(self, request, queryset):
        # Replaces the site-wide action of that name, checked first.
        if self.refuse_orphaning(request, queryset):
            return None
        return admin_actions.delete_selected(self, request, queryset)

    def delete_view(self, request, object_id, extra_context=None):
        claim = self.get_object(request, unquote(object_id))
        if claim is not None and self.refuse_orphaning(request, [claim]):
            return HttpResponseRedirect(reverse("admin:kb_claim_change", args=[claim.pk]))
        return super().delete_view(request, object_id, extra_context)
