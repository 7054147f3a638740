"""People who speak in the sources: their published quotes and the sources they speak in."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from kb.models import Person, Quote, Source, Status
from kb.views.common import CARD_DEFER, paginate, published_quotes


def person_list(request):
    people = Person.objects.annotate(
        quote_count=published_quotes(),
        source_count=Count("passages__source", distinct=True),
    ).order_by("name")
    return render(request, "kb/person_list.html", {"people": people})


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
    sources = (
        Source.objects.filter(
            Q(passages__speaker=person) | Q(quotes__speaker=person, quotes__status=Status.PUBLISHED)
        )
        .distinct()
        .defer("text")
    )
    context = {"person": person, "page": page, "quotes": page.object_list, "sources": sources}
    return render(request, "kb/person_detail.html", context)
