"""Principles, each claim shown with the exact words that back it."""

from django.db.models import Count, Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, render

from kb.cache import cached_object, fragment_key, lazy
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
    evidence = Claim.objects.select_related("passage__source", "passage__speaker").defer(
        "passage__source__text"
    )
    principle = cached_object(
        request,
        "principle",
        slug,
        lambda: get_object_or_404(Principle.objects.visible_to(request.user), slug=slug),
    )

    def claims_with_evidence():
        # Fetched here, so a cached fragment (kb.cache) fetches neither claims nor themes.
        prefetch_related_objects([principle], THEMES, Prefetch("claims", queryset=evidence))
        claims = list(principle.claims.all())
        for claim in claims:
            claim.evidence = claim.evidence_text
            if claim.passage_id:
                claim.segments = trimmed(segments(claim.passage, [claim_span(claim)]))
        return claims

    claims = lazy(claims_with_evidence)

    def source_count():
        list(claims)  # the claims and their passages, fetched once
        return principle.source_count()

    context = {
        "fragment": fragment_key(request, slug),
        "principle": principle,
        "claims": claims,
        "source_count": source_count,  # called by the template, if rendered
    }
    return render(request, "kb/principle_detail.html", context)
