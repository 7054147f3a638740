"""The admin index as the editors' dashboard: what waits for review, what needs fixing."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, F, Q
from django.db.models.functions import Substr

from kb.admin import autocomplete
from kb.citations import SITE_NAME
from kb.models import Person, Principle, Quote, Source, Status
from kb.permissions import can_publish

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
            "review_total": counts.get(Status.REVIEW, 0),
            "principles_in_review": list(
                Principle.objects.filter(status=Status.REVIEW)
                .only("pk", "title")
                .order_by("-updated")[:DRAFTS_SHOWN]
            ),
            "principles_review_total": principle_counts.get(Status.REVIEW, 0),
            "people_in_draft": list(
                Person.objects.filter(status=Status.DRAFT)
                .only("pk", "name")
                .order_by("name")[:DRAFTS_SHOWN]
            ),
            "people_draft_total": Person.objects.filter(status=Status.DRAFT).count(),
            "drafts": counts.get(Status.DRAFT, 0),
            "can_import": user.has_perm("kb.add_source"),
            "can_review": can_publish(user, Quote),  # the bulk review page is a reviewer's
            "recent_imports": list(
                Source.objects.current()
                .annotate(
                    candidates=Count("quotes", filter=Q(quotes__status=Status.DRAFT)),
                )
                .only("pk", "title", "created")
                .order_by("-created")[:IMPORTS_SHOWN]
            ),
            "superseded_quotes": list(
                Quote.objects.filter(source__superseded_by__isnull=False)
                .exclude(status=Status.ARCHIVED)
                .select_related("source")
                .only("pk", "text", "source__slug")[:20]
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
    autocomplete.install(admin.site)  # a passage is offered with its text
    admin.site.index_template = "admin/kb/dashboard.html"
    # Editors read the site's name, not "Django administration".
    admin.site.site_header = f"{SITE_NAME}: curation"
    admin.site.site_title = f"{SITE_NAME} curation"
    admin.site.index_title = "Curation desk"


__all__ = ["dashboard_context", "install"]
