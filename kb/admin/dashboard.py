"""The admin index as the editors' dashboard: what waits for review, what needs fixing."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, F
from django.db.models.functions import Substr

from kb.models import Principle, Quote, Source, Status

DRAFTS_SHOWN = 10
IMPORTS_SHOWN = 5


def drifted_quotes():
    """Quotes whose text is not their span of the source (should be none): one query."""
    return (
        Quote.objects.annotate(words=Substr("source__text", F("start") + 1, F("end") - F("start")))
        .exclude(words=F("text"))
        .select_related("source")
        .only("pk", "text", "source__slug")
    )


def dashboard_context(request) -> dict:
    user = request.user
    if not user.has_perm("kb.view_quote") and not user.has_perm("kb.change_quote"):
        return {}
    counts = {
        row["status"]: row["n"] for row in Quote.objects.values("status").annotate(n=Count("pk"))
    }
    principle_counts = {
        row["status"]: row["n"]
        for row in Principle.objects.values("status").annotate(n=Count("pk"))
    }
    return {
        "dashboard": {
            "quote_counts": [(s.label, s.value, counts.get(s.value, 0)) for s in Status],
            "principle_counts": [
                (s.label, s.value, principle_counts.get(s.value, 0)) for s in Status
            ],
            "awaiting_review": list(
                Quote.objects.filter(status=Status.REVIEW)
                .select_related("source")
                .only("pk", "text", "source__title")
                .order_by("-updated")[:DRAFTS_SHOWN]
            ),
            "drafts": counts.get(Status.DRAFT, 0),
            "recent_imports": list(
                Source.objects.only("pk", "title", "created").order_by("-created")[:IMPORTS_SHOWN]
            ),
            "lacking_evidence": list(
                Principle.objects.filter(claims__passage__isnull=True)
                .distinct()
                .only("pk", "title")
            ),
            "drifted": list(drifted_quotes()[:20]),
        }
    }


_index = admin.site.index


def index(request, extra_context=None):
    return _index(request, {**dashboard_context(request), **(extra_context or {})})


def install():
    """Make the default admin site's index the dashboard (before its URLs are built)."""
    admin.site.index = index
    admin.site.index_template = "admin/kb/dashboard.html"


__all__ = ["dashboard_context", "install"]
