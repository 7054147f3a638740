"""The quote admin: words someone said, exact spans of a source's passages."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from kb import curation
from kb.admin.actions import (
    StatusActionsMixin,
    ThemeActionsMixin,
    speaker_choice_form,
    themes_by_name,
)
from kb.admin.base import ARCHIVE_ACTIONS, CuratedAdmin, CuratedForm, action_with_form
from kb.admin.selection import WholeWordsMixin
from kb.models import Quote, Source, Status
from kb.permissions import can_publish
from kb.texts import excerpt

REVIEW_TEMPLATE = "admin/kb/quote_review.html"
REVIEW_PAGE_SIZE = 25
# The decisions of the review page: the form's value → the status it sets ("" leaves it).
REVIEW_DECISIONS = {"publish": Status.PUBLISHED, "reject": Status.REJECTED}


class QuoteForm(WholeWordsMixin, CuratedForm):
    """A quote's words are whole words: a span cut inside a word is refused."""


@admin.register(Quote)
class QuoteAdmin(StatusActionsMixin, ThemeActionsMixin, CuratedAdmin):
    form = QuoteForm
    # The quote first and widest, its status next (in sight at 1280 px), the source's
    # title shortened (a long title took 650 px and pushed the status off the screen).
    list_display = [
        "short_text",
        "status",
        "speaker",
        "source_short",
        "passage_link",
        "featured",
        "theme_list",
    ]
    actions = [
        *StatusActionsMixin.actions,
        "add_theme",
        "remove_theme",
        "set_speaker",
        *ARCHIVE_ACTIONS,
    ]
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

    def get_urls(self):
        review = path(
            "review/<int:source_id>/",
            self.admin_site.admin_view(self.review_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_review",
        )
        return [review, *super().get_urls()]

    def review_view(self, request, source_id):
        """One source's candidate quotes (draft or in review), a page at a time: publish or
        reject each, in one submit. Keyboard: j/k move, p publish, r reject, u undecided."""
        if not can_publish(request.user, Quote):
            raise PermissionDenied
        source = get_object_or_404(Source.objects.only("pk", "title", "slug"), pk=source_id)
        candidates = (
            Quote.objects.filter(source=source, status__in=[Status.DRAFT, Status.REVIEW])
            .select_related("speaker", "passage")
            .defer("passage__text")
            .order_by("start")
        )
        url = reverse("admin:kb_quote_review", args=[source.pk])
        if request.method == "POST":
            wanted = {}
            for key, value in request.POST.items():
                if key.startswith("decision-") and value in REVIEW_DECISIONS:
                    try:
                        wanted[int(key.removeprefix("decision-"))] = REVIEW_DECISIONS[value]
                    except ValueError:
                        continue  # a tampered name: ignored
            done, refused = {Status.PUBLISHED: 0, Status.REJECTED: 0}, []
            for quote in candidates.filter(pk__in=wanted):
                try:
                    if curation.set_status(
                        quote, wanted[quote.pk], user=request.user, reason="Bulk review"
                    ):
                        done[wanted[quote.pk]] += 1
                except ValidationError as exc:
                    refused.append(f"“{excerpt(quote.text, 60)}”: {' '.join(exc.messages)}")
            if any(done.values()):
                self.message_user(
                    request,
                    f"{done[Status.PUBLISHED]} published, {done[Status.REJECTED]} rejected.",
                    messages.SUCCESS,
                )
            elif not refused:
                self.message_user(request, "No decision was made: nothing changed.", messages.INFO)
            for reason in refused:
                self.message_user(request, f"Not changed: {reason}", messages.ERROR)
            return HttpResponseRedirect(url)
        page = Paginator(candidates, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review the candidate quotes of “{source.title}”",
            "opts": self.opts,
            "source": source,
            "page": page,
            "action_url": url,
        }
        return TemplateResponse(request, REVIEW_TEMPLATE, context)

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

    @admin.display(description="source", ordering="source__title")
    def source_short(self, quote):
        return format_html(
            '<span title="{}">{}</span>', quote.source.title, excerpt(quote.source.title, 40)
        )

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
