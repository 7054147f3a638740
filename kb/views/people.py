"""People who speak in the sources: their published quotes and the sources they speak in."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from kb.models import Person, Quote, Source, Status
from kb.views.common import CARD_DEFER, paginate, published_quotes


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


def person_detail(request, slug):
    person = get_object_or_404(Person.objects.visible_to(request.user), slug=slug)
    quotes = (
        Quote.objects.published()
        .filter(speaker=person)
        .with_related()
        .defer(*CARD_DEFER)
        .order_by("-featured", "source__title", "start")
    )
    page = paginate(request, quotes)
    # Current versions only, as the source list: an earlier version kept by import --replace
    # is reached from the quotes and claims that cite it, not listed.
    sources = (
        Source.objects.current()
        .filter(
            Q(passages__speaker=person) | Q(quotes__speaker=person, quotes__status=Status.PUBLISHED)
        )
        .distinct()
        .defer("text")
    )
    context = {"person": person, "page": page, "quotes": page.object_list, "sources": sources}
    return render(request, "kb/person_detail.html", context)
