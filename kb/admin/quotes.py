"""The quote admin: words someone said, exact spans of a source's passages."""

from django.contrib import admin
from django.utils.html import format_html

from kb import curation
from kb.admin.actions import (
    StatusActionsMixin,
    ThemeActionsMixin,
    speaker_choice_form,
    themes_by_name,
)
from kb.admin.base import ARCHIVE_ACTIONS, CuratedAdmin, action_with_form
from kb.models import Quote
from kb.texts import excerpt


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
