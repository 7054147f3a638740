"""Timelines: a person's or a theme's statements by year, with a chart, and the principles'
first and latest evidence (``/people/<slug>/timeline/``, ``/themes/<slug>/timeline/``)."""

from __future__ import annotations

from django.db.models import F
from django.shortcuts import get_object_or_404, render

from kb.cache import reads_params
from kb.charts import statements_chart
from kb.models import Person, Principle, Quote, Theme
from kb.views.common import CARD_DEFER, paginate


def timeline_context(request, *, quotes, principles, title: str) -> dict:
    """The chart, the year table, a page of the quotes (oldest first) and the principles."""
    per_year = quotes.per_year()
    totals = quotes.year_totals()
    slugs = {slug for _, slug, _ in per_year if slug}
    names = dict(Theme.objects.filter(slug__in=slugs).values_list("slug", "name"))
    listed = (
        quotes.with_said()
        .with_related()
        .defer(*CARD_DEFER)
        .order_by(F("said_year").asc(nulls_last=True), F("said_date").asc(nulls_last=True), "pk")
    )
    page = paginate(request, listed, per_page=50)
    by_year: dict[int, dict[str, int]] = {}
    for year, slug, count in per_year:
        by_year.setdefault(year, {})[names.get(slug, slug) if slug else "No theme"] = count
    years = [
        {"year": year, "total": totals.get(year, 0), "themes": sorted(by_year[year].items())}
        for year in sorted(by_year)
    ]
    principles = principles.with_evidence_years().order_by(
        F("first_evidence").asc(nulls_last=True), "title"
    )
    return {
        "chart": statements_chart(per_year, theme_names=names, title=title, totals=totals),
        "years": years,
        "page": page,
        "quotes": page.object_list,
        "principles": principles,
    }


@reads_params("page")
def person_timeline(request, slug):
    person = get_object_or_404(Person.objects.visible_to(request.user), slug=slug)
    quotes = Quote.objects.published().filter(speaker=person)
    # The principles his words back: the claims citing passages he speaks in.
    principles = Principle.objects.published().filter(claims__passage__speaker=person)
    context = timeline_context(
        request,
        quotes=quotes,
        principles=principles,
        title=f"{person.name}: statements per year, by theme",
    )
    context.update(subject=person, subject_name=person.name, kind="person")
    return render(request, "kb/timeline.html", context)


@reads_params("page")
def theme_timeline(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    quotes = Quote.objects.published().for_theme(theme)
    principles = Principle.objects.published().filter(themes=theme)
    context = timeline_context(
        request,
        quotes=quotes,
        principles=principles,
        title=f"{theme.name}: statements per year, by theme",
    )
    context.update(subject=theme, subject_name=theme.name, kind="theme")
    return render(request, "kb/timeline.html", context)
