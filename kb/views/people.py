"""People who speak in the sources: their published quotes and the sources they speak in."""

from django.db.models import Count, Exists, F, OuterRef, Q
from django.shortcuts import get_object_or_404, render

from kb.cache import reads_params
from kb.models import Passage, Person, Quote, Source
from kb.views.common import CARD_DEFER, paginate, published_quotes

# Sources listed on a person's page; the source list filtered by speaker has them all.
PERSON_SOURCES = 20


@reads_params()
def person_list(request):
    people = (
        Person.objects.visible_to(request.user)
        .annotate(
            quote_count=published_quotes(),
            # The sources listed on their page: current versions only (as the source list).
            source_count=Count(
                "passages__source",
                filter=Q(passages__source__superseded_by__isnull=True),
                distinct=True,
            ),
        )
        .order_by("name")
    )
    return render(request, "kb/person_list.html", {"people": people})


# A person speaking in more passages than this is read source by source (see sources_of).
PROLIFIC = 2000


def sources_of(person) -> list:
    """The newest ``PERSON_SOURCES + 1`` current sources ``person`` speaks or is quoted in.

    Current versions only, as the source list: an earlier version kept by import --replace
    is reached from the quotes and claims that cite it, not listed. Two plans for the same
    rows, chosen by one capped count (at a million passages, SQLite):

    - most people speak in a few sources: their passages and quotes name them (indexes
      passage_speaker_source, quote_speaker_source): ~1 ms, where walking every source
      takes ~100 ms;
    - someone who speaks everywhere (Lei Jun: 300,000 passages) is found in the first
      sources walked newest first, one probe each (passage_source_speaker,
      quote_speaker_source): ~15 ms, where reading their passages takes ~300 ms.
    """
    passages = Passage.objects.filter(speaker=person, is_boilerplate=False)
    quotes = Quote.objects.published().filter(speaker=person)
    if passages.order_by()[:PROLIFIC].count() < PROLIFIC:
        match = Q(pk__in=passages.values("source_id")) | Q(pk__in=quotes.values("source_id"))
    else:
        match = Exists(passages.filter(source=OuterRef("pk"))) | Exists(
            quotes.filter(source=OuterRef("pk"))
        )
    newest = (F("year").desc(nulls_last=True), "title")
    return list(
        Source.objects.current().filter(match).defer("text").order_by(*newest)[: PERSON_SOURCES + 1]
    )


@reads_params("page")
def person_detail(request, slug):
    person = get_object_or_404(Person.objects.visible_to(request.user), slug=slug)
    quotes = (
        Quote.objects.published()
        .filter(speaker=person)
        .with_related()
        .defer(*CARD_DEFER)
        .order_by("-featured", "source_id", "start")  # index quote_speaker_page
    )
    page = paginate(request, quotes)
    sources = sources_of(person)
    context = {
        "person": person,
        "page": page,
        "quotes": page.object_list,
        "sources": sources[:PERSON_SOURCES],
        "more_sources": len(sources) > PERSON_SOURCES,
    }
    return render(request, "kb/person_detail.html", context)
