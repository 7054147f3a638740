"""Old slugs on the API: an object asked for under a slug an editor has since changed answers
301 to its current API address, as its page does, by the pages' rules (``kb.moved``): a slug
held now by another row is that row's, only recent holders are looked at, a draft's new
address is told to staff only.
"""

from __future__ import annotations

from django.apps import apps

from kb.moved import current_slug, moved_url

# The API's slug endpoints (URL names in namespace "api") → the model the slug names.
MOVABLE = {
    "source-detail": "Source",
    "source-cite": "Source",
    "theme-detail": "Theme",
    "person-detail": "Person",
    "principle-detail": "Principle",
}


def current_api_address(request) -> str | None:
    """Where the API object asked for is now (query string kept), or None if it did not move.

    ``request`` is the API's (DRF) request, once authenticated (its user may be a token's):
    call it from the object lookup, not for any 404 (kb.api.views.MovedSlugMixin).
    """
    match = request.resolver_match
    if match is None or match.namespace != "api" or match.url_name not in MOVABLE:
        return None
    slug = match.kwargs.get("slug")
    if not slug:
        return None
    model = apps.get_model("kb", MOVABLE[match.url_name])
    return moved_url(request, f"api:{match.url_name}", current_slug(model, slug, request.user))
