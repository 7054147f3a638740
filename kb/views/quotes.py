"""Home page, quote list (QuoteFilter) and quote page."""

from django import forms
from django.db.models import F
from django.shortcuts import get_object_or_404, render

from kb import citations
from kb.filters import QuoteFilter
from kb.models import Principle, Quote, Source, Theme
from kb.views.common import (
    CARD_DEFER,
    filter_chips,
    numeric_text_inputs,
    paginate,
    published_quotes,
)
from kb.views.highlight import quote_span, segments

HOME_QUOTES = 6
HOME_SOURCES = 8


def home(request):
    published = Quote.objects.published().with_related().defer(*CARD_DEFER)
    context = {
        "principles": Principle.objects.published(),
        "themes": Theme.objects.annotate(quote_count=published_quotes()).order_by("name"),
        "featured": published.filter(featured=True).order_by("-created", "-pk")[:HOME_QUOTES],
        "recent": published.filter(featured=False).order_by("-created", "-pk")[:HOME_QUOTES],
        "sources": Source.objects.with_counts()
        .defer("text")
        .order_by(F("year").desc(nulls_last=True), "title")[:HOME_SOURCES],
        "source_total": Source.objects.count(),
    }
    return render(request, "kb/home.html", context)


def quote_filterset(request) -> QuoteFilter:
    """QuoteFilter bound to the query string, with a form that reads well on a phone."""
    queryset = Quote.objects.visible_to(request.user).with_related().defer(*CARD_DEFER)
    filterset = QuoteFilter(request.GET, queryset=queryset, request=request)
    fields = filterset.form.fields
    # The choices only need a label: never load whole source texts for a <select>.
    fields["source"].queryset = fields["source"].queryset.only("pk", "slug", "title")
    themes = fields["theme"]
    themes.widget = forms.CheckboxSelectMultiple()
    themes.widget.choices = themes.choices
    numeric_text_inputs(filterset.form)
    return filterset


def quote_list(request):
    filterset = quote_filterset(request)
    valid = filterset.is_valid()
    queryset = filterset.qs if valid else filterset.queryset.none()
    page = paginate(request, queryset)
    context = {
        "filter": filterset,
        "form": filterset.form,
        "valid": valid,
        "page": page,
        "quotes": page.object_list,
        "chips": filter_chips(filterset),
    }
    return render(request, "kb/quote_list.html", context)


def quote_detail(request, pk):
    queryset = (
        Quote.objects.visible_to(request.user)
        .with_related()
        .select_related("passage__speaker")
        .defer("source__text")
    )
    quote = get_object_or_404(queryset, pk=pk)
    passage = quote.passage
    passage.segments = segments(passage, [quote_span(quote, link=False)])
    context = {
        "quote": quote,
        "passage": passage,
        "source": quote.source,
        "permalink": request.build_absolute_uri(quote.get_absolute_url()),
        "citations": citations.styles(quote),
        "fragment_url": citations.text_fragment_url(quote.source.url, quote.text),
        "jsonld": citations.quotation_jsonld(quote, request.build_absolute_uri),
        "related": Quote.objects.published().with_related().defer(*CARD_DEFER).related_to(quote),
    }
    return render(request, "kb/quote_detail.html", context)
