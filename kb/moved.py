"""Old addresses of renamed things: a slug changed in the admin keeps its links working.

Sources, themes, principles and people are addressed by slug (``/sources/<slug>/#p-3``):
citations, other sites and readers' notes hold those links. The revision history already
keeps every earlier slug, so a page not found under a slug that an existing row once had
answers 301 to the same page under its current slug (query string kept). A slug taken
since by another row is that row's: only a slug nobody holds now is looked up.
"""

from __future__ import annotations

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from kb.models import Status

# URL name (namespace "kb") → the model whose slug the URL names.
MOVABLE = {
    "source": "Source",
    "passage": "Source",
    "theme": "Theme",
    "feed_theme": "Theme",
    "principle": "Principle",
    "person": "Person",
}
# Earlier holders of a slug looked at, newest first (a slug is rarely reused more).
HOLDERS_LOOKED_AT = 5


def _visible(obj, user) -> bool:
    status = getattr(obj, "status", Status.PUBLISHED)
    return status == Status.PUBLISHED or bool(getattr(user, "is_staff", False))


def current_slug(model, slug: str, user) -> str | None:
    """The slug now of the row of ``model`` that ``slug`` named, if ``user`` may see it and
    nobody holds ``slug`` now; else None."""
    if model.objects.filter(slug=slug).exists():
        return None  # held now: what was not found is inside it (a passage number)
    holders = (
        model.history.filter(slug=slug)
        .order_by("-history_date", "-history_id")
        .values_list("id", flat=True)[:HOLDERS_LOOKED_AT]
    )
    for pk in dict.fromkeys(holders):
        obj = model.objects.filter(pk=pk).first()
        if obj is not None and obj.slug != slug and _visible(obj, user):
            return obj.slug
    return None


def moved_url(request, url_name: str, slug: str | None) -> str | None:
    """The URL ``url_name`` with the kwargs of the request's and ``slug``, query string
    kept; None without a slug or when it does not reverse."""
    if not slug:
        return None
    try:
        url = reverse(url_name, kwargs={**request.resolver_match.kwargs, "slug": slug})
    except NoReverseMatch:
        return None
    query = request.META.get("QUERY_STRING", "")
    return f"{url}?{query}" if query else url


def current_address(request) -> str | None:
    """Where the page asked for is now, or None if it did not move (or is not a page)."""
    match = request.resolver_match
    if match is None or match.namespace != "kb" or match.url_name not in MOVABLE:
        return None
    slug = match.kwargs.get("slug")
    if not slug:
        return None
    model = apps.get_model("kb", MOVABLE[match.url_name])
    return moved_url(request, f"kb:{match.url_name}", current_slug(model, slug, request.user))
