"""Principles, each claim shown with the exact words that back it."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render

from kb.models import Claim, Principle, Theme
from kb.views.highlight import claim_span, segments, trimmed

THEMES = Prefetch("themes", queryset=Theme.objects.order_by("name"))


def principle_list(request):
    principles = (
        Principle.objects.visible_to(request.user)
        .annotate(
            claim_count=Count("claims", distinct=True),
            source_count=Count("claims__passage__source", distinct=True),
        )
        .prefetch_related(THEMES)
    )
    return render(request, "kb/principle_list.html", {"principles": principles})


def principle_detail(request, slug):
    claims = Claim.objects.select_related("passage__source", "passage__speaker").defer(
        "passage__source__text"
    )
    queryset = Principle.objects.visible_to(request.user).prefetch_related(
        THEMES, Prefetch("claims", queryset=claims)
    )
    principle = get_object_or_404(queryset, slug=slug)
    claims = list(principle.claims.all())
    for claim in claims:
        claim.evidence = claim.evidence_text
        if claim.passage_id:
            claim.segments = trimmed(segments(claim.passage, [claim_span(claim)]))
    context = {
        "principle": principle,
        "claims": claims,
        "source_count": principle.source_count(),
    }
    return render(request, "kb/principle_detail.html", context)
