"""Source list (SourceFilter), a source read page by page, and one passage with its neighbours."""

from __future__ import annotations

from collections import defaultdict

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Exists, F, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import condition

from kb import citations, search
from kb.cache import page_etag, page_last_modified, reads_params
from kb.filters import SourceFilter, numeric_text_inputs
from kb.models import Passage, Person, Quote, Source
from kb.moved import current_version
from kb.views.common import PASSAGES_PER_PAGE, filter_chips, paginate
from kb.views.highlight import quote_span, segments

# Passages saying most nearly the same thing, on a passage page (kb.search "more like this").
RELATED_PASSAGES = 5


def newer_version(source):
    """The current version of a replaced ``source`` (its slug and title), or None.

    After several replacements the version that replaced it is itself an earlier one:
    the banner links to the end of the chain (one query a replacement).
    """
    if source.superseded_by_id is None:
        return None
    newest = current_version(source, "title")
    return None if newest is source else newest


@reads_params("page", *SourceFilter.base_filters)
def source_list(request):
    # The counts are the queryset's (Source.objects.with_counts()), never joined here.
    queryset = (
        Source.objects.current()
        .with_counts()
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


def passage_page(request, last_number: int):
    """The page of passage numbers asked for: ``PASSAGES_PER_PAGE`` numbers a page, so the
    page holding passage N is known from N alone (links to ``?page=K#p-N``). A non-numeric
    ``page`` is page 1; one past the end is a 404."""
    paginator = Paginator(range(1, last_number + 1), PASSAGES_PER_PAGE)
    try:
        number = int(request.GET.get("page", "1"))
    except (TypeError, ValueError):
        number = 1
    try:
        return paginator.page(number)
    except EmptyPage:
        raise Http404("There is no such page.") from None


def source_etag(request, slug, **kwargs):
    return page_etag(request, "source", slug, request.GET.get("page", ""))


@reads_params("page")
@condition(etag_func=source_etag, last_modified_func=page_last_modified)
def source_detail(request, slug):
    # The last passage number (one index probe) tells how many pages there are.
    last = Passage.objects.filter(source=OuterRef("pk")).order_by("-number").values("number")
    sources = Source.objects.with_counts().annotate(last_number=Subquery(last[:1]))
    source = get_object_or_404(sources.defer("text"), slug=slug)
    # Readers never see page chrome; staff see it collapsed (they curate the flags).
    visible = source.passages.visible_to(request.user)
    page = passage_page(request, source.last_number or 0)
    numbers = page.object_list  # a range: the page's passage numbers
    rows = list(
        visible.filter(number__range=(numbers.start, numbers.stop - 1))
        .select_related("speaker")
        .order_by("number")
    )
    highlight(request, rows)
    # One probe per person (index passage_source_speaker), not a scan of the source.
    speaks = Passage.objects.filter(source=source, speaker=OuterRef("pk"), is_boilerplate=False)
    context = {
        "source": source,
        "page": page,
        "blocks": blocks(rows),
        "passage_count": source.passage_count,
        "passages_per_page": PASSAGES_PER_PAGE,
        "speakers": Person.objects.filter(Exists(speaks)).order_by("name"),
        "on_source_page": True,
        "permalink": request.build_absolute_uri(source.get_absolute_url()),
        "citations": citations.styles(source, absolute=request.build_absolute_uri),
        "citation_meta": citations.citation_meta(source, absolute=request.build_absolute_uri),
        "newer": newer_version(source),
    }
    return render(request, "kb/source_detail.html", context)


@reads_params()
def passage_detail(request, slug, number):
    source = get_object_or_404(Source.objects.defer("text"), slug=slug)
    passages = source.passages.visible_to(request.user).select_related("speaker")
    passage = get_object_or_404(passages, number=number)
    previous = passages.filter(number__lt=number).order_by("-number").first()
    following = passages.filter(number__gt=number).order_by("number").first()
    highlight(request, [p for p in (previous, passage, following) if p is not None])
    context = {
        "source": source,
        "passage": passage,
        "previous": previous,
        "following": following,
        "permalink": request.build_absolute_uri(request.path),
        "citations": citations.styles(passage, absolute=request.build_absolute_uri),
        "citation_meta": citations.citation_meta(passage, absolute=request.build_absolute_uri),
        "related": search.related_passages(passage, RELATED_PASSAGES),
        "fragment_url": citations.text_fragment_url(source.url, passage.text),
        "newer": newer_version(source),
    }
    return render(request, "kb/passage_detail.html", context)
