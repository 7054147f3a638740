"""Old slugs on the API: an object asked for under a slug an editor has since changed answers
301 to its current API address, as its page does, by the pages' rules (``kb.moved``: one
``SlugRedirect`` lookup; a slug held now by another row is that row's; a draft's new address
is told to staff only).
"""

from __future__ import annotations

from kb.moved import address_now

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
    return address_now(request, "api", MOVABLE)
