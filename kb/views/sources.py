"""Source list (SourceFilter), a source read whole, and one passage with its neighbours."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F
from django.shortcuts import get_object_or_404, render

from kb import citations
from kb.filters import SourceFilter
from kb.models import Person, Quote, Source
from kb.views.common import (
    filter_chips,
    is_staff,
    numeric_text_inputs,
    paginate,
    published_quotes,
)
from kb.views.highlight import quote_span, segments


def source_list(request):
    queryset = (
        Source.objects.with_counts()
        .annotate(quote_count=published_quotes())
        .defer("text")
        .order_by(F("year").desc(nulls_last=True), "title")
    )
    filterset = SourceFilter(request.GET, queryset=queryset, request=request)
    numeric_text_inputs(filterset.form)
    valid = filterset.is_valid()
    page = paginate(request, filterset.qs if valid else queryset.none())
    context = {
        "filter": filterset,
        "form": filterset.form,
        "valid": valid,
        "page": page,
        "sources": page.object_list,
        "chips": filter_chips(filterset),
    }
    return render(request, "kb/source_list.html", context)


def highlight(request, passages) -> None:
    """Give each passage ``segments``: its text with the quotes the user may see marked."""
    quotes = (
        Quote.objects.visible_to(request.user)
        .filter(passage__in=[p.pk for p in passages])
        .only("pk", "start", "end", "passage_id", "status")
    )
    by_passage = defaultdict(list)
    for quote in quotes:
        by_passage[quote.passage_id].append(quote_span(quote))
    for passage in passages:
        passage.segments = segments(passage, by_passage[passage.pk])


def blocks(passages) -> list[dict]:
    """Passages in order, runs of page chrome grouped so they can be collapsed together.

    A speaker is labelled where a turn starts: ``show_speaker`` is False on a passage that
    continues the previous speaker's turn.
    """
    out: list[dict] = []
    previous_speaker = None
    for passage in passages:
        if not passage.is_boilerplate:
            passage.show_speaker = passage.speaker_id != previous_speaker
            previous_speaker = passage.speaker_id
        if passage.is_boilerplate and out and out[-1]["boilerplate"]:
            out[-1]["passages"].append(passage)
        else:
            out.append({"boilerplate": passage.is_boilerplate, "passages": [passage]})
    return out


def source_detail(request, slug):
    source = get_object_or_404(Source.objects.defer("text"), slug=slug)
    passages = list(source.passages.select_related("speaker").order_by("number"))
    highlight(request, passages)
    speakers = Person.objects.filter(passages__source=source).distinct().order_by("name")
    context = {
        "source": source,
        "blocks": blocks(passages),
        "passage_count": sum(1 for p in passages if not p.is_boilerplate),
        "speakers": speakers,
        "on_source_page": True,
    }
    return render(request, "kb/source_detail.html", context)


def passage_detail(request, slug, number):
    source = get_object_or_404(Source.objects.defer("text"), slug=slug)
    passages = source.passages.select_related("speaker")
    if not is_staff(request):
        passages = passages.public()
    passage = get_object_or_404(passages, number=number)
    previous = passages.filter(number__lt=number).order_by("-number").first()
    following = passages.filter(number__gt=number).order_by("number").first()
    shown = [p for p in (previous, passage, following) if p is not None]
    highlight(request, shown)
    context = {
        "source": source,
        "passage": passage,
        "previous": previous,
        "following": following,
        "permalink": request.build_absolute_uri(request.path),
        "citations": citations.styles(passage),
        "fragment_url": citations.text_fragment_url(source.url, passage.text),
    }
    return render(request, "kb/passage_detail.html", context)
