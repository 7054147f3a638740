"""Principles, each claim shown with the exact words that back it."""

from django.db.models import Count, Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, render

from kb.cache import reads_params
from kb.models import Claim, Principle, Theme
from kb.views.highlight import claim_span, segments, trimmed

THEMES = Prefetch("themes", queryset=Theme.objects.order_by("name"))


@reads_params()
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


@reads_params()
def principle_detail(request, slug):
    principle = get_object_or_404(Principle.objects.visible_to(request.user), slug=slug)
    evidence = Claim.objects.select_related("passage__source", "passage__speaker").defer(
        "passage__source__text"
    )
    prefetch_related_objects([principle], THEMES, Prefetch("claims", queryset=evidence))
    claims = list(principle.claims.all())
    for claim in claims:
        claim.evidence = claim.evidence_text
        if claim.passage_id:
            claim.segments = trimmed(segments(claim.passage, [claim_span(claim)]))
    context = {
        "principle": principle,
        "claims": claims,
        "source_count": principle.source_count(),  # from the claims fetched above
    }
    return render(request, "kb/principle_detail.html", context)
