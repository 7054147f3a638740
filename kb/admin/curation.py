"""Curation: quotes (spans of passages) and principles (claims backed by evidence).

Status changes in bulk go through each object's ``save()`` (never ``QuerySet.update``) so
that signals, and the history tracking that will listen to them, see every change.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from kb import curation
from kb.admin.autocomplete import SafeAutocompleteMixin, SafeAutocompleteSelect
from kb.admin.history import CuratedAdmin, action_with_form
from kb.admin.taxonomy import SlugFromNameForm
from kb.models import Claim, Person, Principle, Quote, Status, Theme

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


def themes_by_name():
    return Prefetch("themes", queryset=Theme.objects.order_by("name"))


def change_status(modeladmin, request, queryset, status, *, validate=False):
    """Set ``status`` on each selected object with ``save()``; report what was refused."""
    changed, refused = 0, []
    try:
        curation.check_transition(request.user, modeladmin.model(), status)
    except ValidationError as exc:
        modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
        return
    for obj in queryset:
        if obj.status == status:
            continue
        previous, obj.status = obj.status, status
        if validate:
            try:
                obj.full_clean()
                modeladmin.check_publishable(obj)
            except ValidationError as exc:
                obj.status = previous
                refused.append(f"“{obj}”: {' '.join(exc.messages)}")
                continue
        obj._history_user = request.user
        obj.save()
        changed += 1
    label = Status(status).label.lower()
    if changed:
        name = modeladmin.model._meta.verbose_name
        plural = modeladmin.model._meta.verbose_name_plural
        modeladmin.message_user(
            request,
            f"{changed} {name if changed == 1 else plural} set to {label}.",
            messages.SUCCESS,
        )
    for reason in refused:
        modeladmin.message_user(request, f"Not set to {label}: {reason}", messages.ERROR)
    if not changed and not refused:
        modeladmin.message_user(request, f"Nothing to change: already {label}.", messages.INFO)


class StatusActionsMixin:
    """Bulk publish / back to draft / send to review / reject."""

    actions = ["publish", "unpublish", "send_to_review", "reject"]
    guarded_actions = ("publish", "reject")

    def get_actions(self, request):
        """Publish and reject are offered only to users who may use them (and refused too)."""
        actions = super().get_actions(request)
        if not curation.can_publish(request.user, self.model):
            for name in self.guarded_actions:
                actions.pop(name, None)
        return actions

    def check_publishable(self, obj):
        """Extra checks before publishing, beyond the model's ``full_clean``."""

    @admin.action(description="Publish the selected %(verbose_name_plural)s")
    def publish(self, request, queryset):
        change_status(self, request, queryset, Status.PUBLISHED, validate=True)

    @admin.action(description="Unpublish the selected %(verbose_name_plural)s (back to draft)")
    def unpublish(self, request, queryset):
        change_status(self, request, queryset, Status.DRAFT)

    @admin.action(description="Send the selected %(verbose_name_plural)s to review")
    def send_to_review(self, request, queryset):
        change_status(self, request, queryset, Status.REVIEW)

    @admin.action(description="Reject the selected %(verbose_name_plural)s")
    def reject(self, request, queryset):
        change_status(self, request, queryset, Status.REJECTED)


def excerpt(text: str, length: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def autocomplete(modeladmin, field_name: str) -> SafeAutocompleteSelect:
    """The admin's search-as-you-type select for ``field_name`` of the admin's model.

    It asks /admin/autocomplete/ with that field (as an autocomplete_fields entry does), so
    the choices are the related admin's search results, for users who may view them.
    """
    field = modeladmin.model._meta.get_field(field_name)
    return SafeAutocompleteSelect(field, modeladmin.admin_site)


def theme_choice_form(modeladmin) -> type[forms.Form]:
    class ThemeChoiceForm(forms.Form):
        theme = forms.ModelChoiceField(
            queryset=Theme.objects.all(), widget=autocomplete(modeladmin, "themes")
        )

    return ThemeChoiceForm


def speaker_choice_form(modeladmin) -> type[forms.Form]:
    class SpeakerChoiceForm(forms.Form):
        speaker = forms.ModelChoiceField(
            queryset=Person.objects.all(),
            required=False,
            help_text="Empty: no speaker.",
            widget=autocomplete(modeladmin, "speaker"),
        )

    return SpeakerChoiceForm


class ThemeActionsMixin:
    """Bulk add or remove a theme (chosen on a confirmation page)."""

    @admin.action(
        description="Add a theme to the selected %(verbose_name_plural)s", permissions=["change"]
    )
    def add_theme(self, request, queryset):
        def apply(data):
            n = curation.add_theme(queryset, data["theme"])
            self.message_user(request, f"Theme “{data['theme']}” added to {n}.")

        return action_with_form(
            self,
            request,
            queryset,
            form=theme_choice_form(self),
            title="Add a theme",
            apply=apply,
        )

    @admin.action(
        description="Remove a theme from the selected %(verbose_name_plural)s",
        permissions=["change"],
    )
    def remove_theme(self, request, queryset):
        def apply(data):
            n = curation.remove_theme(queryset, data["theme"])
            self.message_user(request, f"Theme “{data['theme']}” removed from {n}.")

        return action_with_form(
            self,
            request,
            queryset,
            form=theme_choice_form(self),
            title="Remove a theme",
            apply=apply,
        )


@admin.register(Quote)
class QuoteAdmin(StatusActionsMixin, ThemeActionsMixin, CuratedAdmin):
    list_display = [
        "short_text",
        "speaker",
        "source",
        "passage_link",
        "status",
        "featured",
        "theme_list",
    ]
    actions = [*StatusActionsMixin.actions, "add_theme", "remove_theme", "set_speaker"]
    list_filter = [
        "status",
        "themes",
        "speaker",
        "source",
        ("source__kind", admin.ChoicesFieldListFilter),
        "source__year",
        "featured",
    ]
    list_select_related = ["speaker", "source", "passage"]
    search_fields = ["text", "attribution", "note", "speaker__name", "source__title"]
    autocomplete_fields = ["source", "passage", "speaker", "themes"]
    readonly_fields = ["span_check", "created", "updated"]
    fieldsets = [
        (None, {"fields": ["text", "speaker", "attribution", "themes", "status", "featured"]}),
        (
            "Where it is said",
            {
                "fields": ["source", "passage", "start", "end", "span_check"],
                "description": "The text must be exactly the source's words at start:end, "
                "inside the passage.",
            },
        ),
        ("Editing", {"fields": ["note", "created", "updated"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("source__text", "source__notes", "passage__text")
            .prefetch_related(themes_by_name())
        )

    @admin.action(description="Set the speaker of the selected quotes", permissions=["change"])
    def set_speaker(self, request, queryset):
        def apply(data):
            n = curation.set_speaker(queryset.select_related("source", "passage"), data["speaker"])
            self.message_user(request, f"Speaker set to “{data['speaker'] or 'nobody'}” on {n}.")

        return action_with_form(
            self,
            request,
            queryset,
            form=speaker_choice_form(self),
            title="Set the speaker",
            apply=apply,
        )

    @admin.display(description="quote", ordering="text")
    def short_text(self, quote):
        return excerpt(quote.text)

    @admin.display(description="passage", ordering="passage__number")
    def passage_link(self, quote):
        # The passage's source is the quote's (Quote.clean checks it): no query per row.
        url = f"{quote.source.get_absolute_url()}#{quote.passage.anchor}"
        return format_html('<a href="{}">¶{}</a>', url, quote.passage.number)

    @admin.display(description="themes")
    def theme_list(self, quote):
        return ", ".join(theme.name for theme in quote.themes.all())

    @admin.display(description="the source's words at start:end")
    def span_check(self, quote):
        if not quote.pk or not quote.source_id:
            return "—"
        words = quote.source.text[quote.start : quote.end]
        verdict = "matches the quote" if words == quote.text else "DIFFERS from the quote"
        return format_html("<blockquote>{}</blockquote><p>{}</p>", words, verdict)


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


class ClaimInline(SafeAutocompleteMixin, admin.TabularInline):
    # Claims keep their own revision history (kb.models.Claim.history): see the Claim admin.
    model = Claim
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

    @admin.display(description="evidence (source.text[start:end])")
    def evidence(self, claim):
        if not claim.pk or not claim.has_evidence:
            return "—"
        return format_html(
            '<a href="{}">¶{}</a> {}',
            claim.get_absolute_url(),
            claim.passage.number,
            claim.evidence_text,
        )


@admin.register(Principle)
class PrincipleAdmin(StatusActionsMixin, ThemeActionsMixin, CuratedAdmin):
    actions = [*StatusActionsMixin.actions, "add_theme", "remove_theme"]
    list_display = ["title", "status", "claim_total", "evidence_missing", "source_total", "themes_"]
    list_filter = ["status", "themes"]
    search_fields = ["title", "slug", "summary", "claims__text"]
    form = SlugFromNameForm  # a title of no Latin letters ("雷军的原则") gets a slug too
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["themes"]
    fields = ["title", "slug", "summary", "themes", "status", "created", "updated"]
    readonly_fields = ["created", "updated"]
    inlines = [ClaimInline]

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
    fields = ["principle", "position", "text", "passage", "start", "end"]
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
