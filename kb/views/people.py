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
    people = Person.objects.annotate(
        quote_count=published_quotes(),
        # The sources listed on their page: current versions only (as the source list).
        source_count=Count(
            "passages__source",
            filter=Q(passages__source__superseded_by__isnull=True),
            distinct=True,
        ),
    ).order_by("name")
    return render(request, "kb/person_list.html", {"people": people})


@reads_params("page")
def person_detail(request, slug):
    person = get_object_or_404(Person, slug=slug)
    quotes = (
        Quote.objects.published()
        .filter(speaker=person)
        .with_related()
        .defer(*CARD_DEFER)
        .order_by("-featured", "source__title", "start")
    )
    page = paginate(request, quotes)
    # Current versions only, as the source list: an earlier version kept by import --replace
    # is reached from the quotes and claims that cite it, not listed. The newest first, each
    # source tested with one index probe (passage_speaker_source, quote_speaker_source)
    # until enough are found: never a join of every passage the person speaks in.
    speaks = Passage.objects.filter(source=OuterRef("pk"), speaker=person)
    quoted = Quote.objects.published().filter(source=OuterRef("pk"), speaker=person)
    sources = list(
        Source.objects.current()
        .filter(Exists(speaks) | Exists(quoted))
        .defer("text")
        .order_by(F("year").desc(nulls_last=True), "title")[: PERSON_SOURCES + 1]
    )
    context = {
        "person": person,
        "page": page,
        "quotes": page.object_list,
        "sources": sources[:PERSON_SOURCES],
        "more_sources": len(sources) > PERSON_SOURCES,
    }
    return render(request, "kb/person_detail.html", context)
