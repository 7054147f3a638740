"""Themes with their counts, and one theme's published quotes and principles."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from kb.cache import reads_params
from kb.models import Principle, Quote, Status, Theme
from kb.views.common import CARD_DEFER, paginate, published_quotes


@reads_params()
def theme_list(request):
    themes = Theme.objects.annotate(
        quote_count=published_quotes(),
        principle_count=Count(
            "principles", filter=Q(principles__status=Status.PUBLISHED), distinct=True
        ),
    ).order_by("name")
    return render(request, "kb/theme_list.html", {"themes": themes})


@reads_params("page")
def theme_detail(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    quotes = (
        Quote.objects.published()
        .for_theme(theme)
        .with_related()
        .defer(*CARD_DEFER)
        .order_by("-featured", "source_id", "start")  # as the person page: no join to sort
    )
    page = paginate(request, quotes)
    context = {
        "theme": theme,
        "page": page,
        "quotes": page.object_list,
        "principles": Principle.objects.published().filter(themes=theme),
    }
    return render(request, "kb/theme_detail.html", context)
