"""Atom feeds of newly published quotes: all of them, and one theme's.

The model keeps no publication time, so a quote's ``updated`` (set when it is published,
and on later edits) orders the feed and is each entry's Atom ``updated``; ``created`` is
its ``published``. A reader's feed client recognises an entry by its URL (the ``id``).
"""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator

from kb.models import Quote, Theme
from kb.views.common import CARD_DEFER

FEED_ITEMS = 30


def newest(queryset):
    return queryset.with_related().defer(*CARD_DEFER).order_by("-updated", "-pk")[:FEED_ITEMS]


class QuoteFeed(Feed):
    """What both feeds say about one quote."""

    feed_type = Atom1Feed

    def item_title(self, quote):
        return Truncator(quote.text).words(14, truncate="…")

    def item_description(self, quote):
        source = quote.source
        who = quote.speaker.name if quote.speaker_id else quote.attribution or "Unnamed speaker"
        year = f" ({source.year})" if source.year else ""
        summary = f"“{quote.text}” — {who}, {source.title}{year}, ¶ {quote.passage.number}."
        # Atom's summary is type="html": readers parse it as HTML after the XML, so the plain
        # text is HTML-escaped first ("a <b> c" would otherwise turn bold).
        return escape(summary)

    def item_link(self, quote):
        return quote.get_absolute_url()

    def item_author_name(self, quote):
        return quote.speaker.name if quote.speaker_id else None

    def item_pubdate(self, quote):
        return quote.created

    def item_updateddate(self, quote):
        return quote.updated

    def item_categories(self, quote):
        return [theme.name for theme in quote.themes.all()]


class LatestQuotesFeed(QuoteFeed):
    title = "Lei Jun knowledge base: new quotes"
    subtitle = (
        "Quotes newly published in the knowledge base, each linked to its exact source passage."
    )

    def link(self):
        return reverse("kb:quote_list")

    def items(self):
        return newest(Quote.objects.published())


class ThemeQuotesFeed(QuoteFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Theme, slug=slug)

    def title(self, theme):
        return f"Lei Jun knowledge base: new quotes on {theme.name}"

    def subtitle(self, theme):
        return theme.description or f"Quotes newly published on the theme {theme.name}."

    def link(self, theme):
        return theme.get_absolute_url()

    def items(self, theme):
        return newest(Quote.objects.published().for_theme(theme))
