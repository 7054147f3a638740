"""Home page, quote list (QuoteFilter) and quote page."""

from django.db.models import F, Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import condition

from kb import citations
from kb.cache import cached_object, fragment_key, lazy, page_etag, page_last_modified
from kb.filters import quote_filterset
from kb.models import Principle, Quote, Source, Theme
from kb.views.common import (
    CARD_DEFER,
    bounded_selects,
    filter_chips,
    paginate,
    published_quotes,
)
from kb.views.highlight import quote_span, segments

HOME_QUOTES = 6
HOME_SOURCES = 8


def newest_sources(limit: int):
    """The newest sources (current versions, as the source list) with their passage counts,
    counted for those rows only."""
    order = (F("year").desc(nulls_last=True), "title")
    ids = list(Source.objects.current().order_by(*order).values_list("pk", flat=True)[:limit])
    return Source.objects.filter(pk__in=ids).with_counts().defer("text").order_by(*order)


def home(request):
    # Everything is lazy: a cached fragment (kb.cache) builds and runs none of these queries.
    def published():
        return Quote.objects.published().with_related().defer(*CARD_DEFER)

    context = {
        "fragment": fragment_key(request),
        "principles": lazy(Principle.objects.published),
        "themes": lazy(
            lambda: Theme.objects.annotate(quote_count=published_quotes()).order_by("name")
        ),
        "featured": lazy(
            lambda: published().filter(featured=True).order_by("-created", "-pk")[:HOME_QUOTES]
        ),
        "recent": lazy(
            lambda: published().filter(featured=False).order_by("-created", "-pk")[:HOME_QUOTES]
        ),
        "sources": lazy(lambda: list(newest_sources(HOME_SOURCES))),
        # Called by the template, if rendered: the source list's total (current versions).
        "source_total": Source.objects.current().count,
    }
    return render(request, "kb/home.html", context)


def quote_list(request):
    filterset = lazy(lambda: quote_filterset(request))

    def current_page():
        valid = filterset.is_valid()
        return paginate(request, filterset.qs if valid else filterset.queryset.none())

    # Lazy: a cached fragment (kb.cache) validates, counts and lists nothing.
    page = lazy(current_page)
    context = {
        "fragment": fragment_key(request, request.get_full_path()),
        "filter": filterset,
        "form": lazy(lambda: bounded_selects(request, filterset.form)),
        "valid": lazy(lambda: filterset.is_valid()),
        "page": page,
        "quotes": lazy(lambda: page.object_list),
        "chips": lazy(lambda: filter_chips(filterset)),
    }
    return render(request, "kb/quote_list.html", context)


def quote_etag(request, pk, **kwargs):
    return page_etag(request, "quote", pk, request.get_host())


@condition(etag_func=quote_etag, last_modified_func=page_last_modified)
def quote_detail(request, pk):
    queryset = (
        Quote.objects.visible_to(request.user)
        .select_related("speaker", "source", "passage__speaker")
        .defer("source__text")
    )

    def fetch():
        quote = get_object_or_404(queryset, pk=pk)
        # For the JSON-LD, the theme tags and the related quotes.
        prefetch_related_objects([quote], Prefetch("themes", Theme.objects.order_by("name")))
        return quote

    quote = cached_object(request, "quote", pk, fetch)
    passage = quote.passage
    passage.segments = segments(passage, [quote_span(quote, link=False)])
    related = Quote.objects.published().with_related().defer(*CARD_DEFER)

    context = {
        "fragment": fragment_key(request, request.get_host(), pk),
        "quote": quote,
        "passage": passage,
        "source": quote.source,
        "permalink": request.build_absolute_uri(quote.get_absolute_url()),
        "citations": lazy(lambda: citations.styles(quote)),
        "fragment_url": citations.text_fragment_url(quote.source.url, quote.text),
        "jsonld": citations.quotation_jsonld(quote, request.build_absolute_uri),
        "themes": quote.themes.all(),
        "related": lazy(lambda: related.related_to(quote)),
    }
    return render(request, "kb/quote_detail.html", context)
