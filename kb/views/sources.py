"""Source list (SourceFilter), a source read whole, and one passage with its neighbours."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import condition

from kb import citations
from kb.cache import cached_object, fragment_key, lazy, page_etag, page_last_modified
from kb.filters import SourceFilter
from kb.models import Person, Quote, Source
from kb.moved import current_version
from kb.views.common import (
    filter_chips,
    numeric_text_inputs,
    paginate,
    published_quotes,
)
from kb.views.highlight import quote_span, segments


def newer_version(source):
    """The current version of a replaced ``source`` (its slug and title), or None.

    After several replacements the version that replaced it is itself an earlier one:
    the banner links to the end of the chain (one query a replacement).
    """
    if source.superseded_by_id is None:
        return None
    newest = current_version(source, "title")
    return None if newest is source else newest


def source_list(request):
    queryset = (
        Source.objects.current()
        .with_counts()
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


def source_etag(request, slug, **kwargs):
    return page_etag(request, "source", slug)


@condition(etag_func=source_etag, last_modified_func=page_last_modified)
def source_detail(request, slug):
    source = cached_object(
        request, "source", slug, lambda: get_object_or_404(Source.objects.defer("text"), slug=slug)
    )

    def passages():
        # Readers never see page chrome; staff see it collapsed (they curate the flags).
        visible = source.passages.visible_to(request.user)
        rows = list(visible.select_related("speaker").order_by("number"))
        highlight(request, rows)
        return rows

    # Lazy: a cached fragment (kb.cache) loads and highlights no passage.
    shown = lazy(passages)
    speakers = Person.objects.filter(passages__source=source).distinct().order_by("name")
    context = {
        # The host too: the citation's permalink is absolute.
        "fragment": fragment_key(request, request.get_host(), slug),
        "source": source,
        "blocks": lazy(lambda: blocks(shown)),
        # A callable, not a lazy object: filters such as pluralize need a real number.
        "passage_count": lambda: sum(1 for p in shown if not p.is_boilerplate),
        "speakers": speakers,
        "on_source_page": True,
        "permalink": request.build_absolute_uri(source.get_absolute_url()),
        "citations": lazy(lambda: citations.styles(source)),
        "newer": lazy(lambda: newer_version(source)),
    }
    return render(request, "kb/source_detail.html", context)


def passage_detail(request, slug, number):
    def fetch():
        source = get_object_or_404(Source.objects.defer("text"), slug=slug)
        passages = source.passages.visible_to(request.user).select_related("speaker")
        return source, get_object_or_404(passages, number=number)

    source, passage = cached_object(request, "passage", (slug, number), fetch)
    passages = source.passages.visible_to(request.user).select_related("speaker")

    def neighbours():
        previous = passages.filter(number__lt=number).order_by("-number").first()
        following = passages.filter(number__gt=number).order_by("number").first()
        highlight(request, [p for p in (previous, passage, following) if p is not None])
        return {"previous": previous, "following": following}

    # Lazy: a cached fragment (kb.cache) loads no neighbour and highlights nothing. The
    # template reads ``previous`` before it shows ``passage``, so its segments are set.
    shown = lazy(neighbours)
    context = {
        "fragment": fragment_key(request, request.get_host(), slug, number),
        "source": source,
        "passage": passage,
        "previous": lazy(lambda: shown["previous"]),
        "following": lazy(lambda: shown["following"]),
        "permalink": request.build_absolute_uri(request.path),
        "citations": lazy(lambda: citations.styles(passage)),
        "fragment_url": citations.text_fragment_url(source.url, passage.text),
        "newer": lazy(lambda: newer_version(source)),
    }
    return render(request, "kb/passage_detail.html", context)
