"""Home page, quote list (QuoteFilter) and quote page."""

from django.db.models import F, Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import condition

from kb import citations, search
from kb.cache import page_etag, page_last_modified, reads_params
from kb.filters import QuoteFilter, quote_filterset
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
RELATED = 5


def newest_sources(limit: int):
    """The newest sources (current versions, as the source list) with their passage counts,
    counted for those rows only."""
    order = (F("year").desc(nulls_last=True), "title")
    ids = list(Source.objects.current().order_by(*order).values_list("pk", flat=True)[:limit])
    return Source.objects.filter(pk__in=ids).with_counts().defer("text").order_by(*order)


@reads_params()
def home(request):
    published = Quote.objects.published().with_related().defer(*CARD_DEFER)
    newest = published.order_by("-created", "-pk")
    context = {
        "principles": Principle.objects.published(),
        "themes": Theme.objects.annotate(quote_count=published_quotes()).order_by("name"),
        "featured": newest.filter(featured=True)[:HOME_QUOTES],
        "recent": newest.filter(featured=False)[:HOME_QUOTES],
        "sources": list(newest_sources(HOME_SOURCES)),
        "source_total": Source.objects.current().count(),
    }
    return render(request, "kb/home.html", context)


@reads_params("page", *QuoteFilter.base_filters)
def quote_list(request):
    filterset = quote_filterset(request)
    valid = filterset.is_valid()
    page = paginate(request, filterset.qs if valid else filterset.queryset.none())
    context = {
        "filter": filterset,
        "form": bounded_selects(filterset.form),
        "valid": valid,
        "page": page,
        "quotes": page.object_list,
        "chips": filter_chips(filterset),
    }
    return render(request, "kb/quote_list.html", context)


def quote_etag(request, pk, **kwargs):
    return page_etag(request, "quote", pk)


@reads_params()
@condition(etag_func=quote_etag, last_modified_func=page_last_modified)
def quote_detail(request, pk):
    queryset = (
        Quote.objects.visible_to(request.user)
        .select_related("speaker", "source", "passage__speaker")
        .defer("source__text")
    )
    quote = get_object_or_404(queryset, pk=pk)
    # For the JSON-LD, the theme tags and the related quotes.
    prefetch_related_objects([quote], Prefetch("themes", Theme.objects.order_by("name")))
    passage = quote.passage
    passage.segments = segments(passage, [quote_span(quote, link=False)])
    related = Quote.objects.published().with_related().defer(*CARD_DEFER)
    context = {
        "quote": quote,
        "passage": passage,
        "source": quote.source,
        "permalink": request.build_absolute_uri(quote.get_absolute_url()),
        "citations": citations.styles(quote, absolute=request.build_absolute_uri),
        "citation_meta": citations.citation_meta(quote, absolute=request.build_absolute_uri),
        "fragment_url": citations.text_fragment_url(quote.source.url, quote.text),
        "jsonld": citations.quotation_jsonld(quote, request.build_absolute_uri),
        "themes": quote.themes.all(),
        # The index's "more like this" reads better than shared themes (kb.search); the
        # themes are the fallback while the index is missing or being rebuilt.
        "related": search.related_quotes(quote, RELATED) or related.related_to(quote),
    }
    return render(request, "kb/quote_detail.html", context)
