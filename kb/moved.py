"""Old addresses of renamed things: a slug changed in the admin keeps its links working.

Sources, themes, principles and people are addressed by slug (``/sources/<slug>/#p-3``):
citations, other sites and readers' notes hold those links. Every change of a slug writes a
``SlugRedirect`` row (``kb.models``), so a page not found under a slug that a row once had
answers 301 to the same page under its current slug (query string kept): one indexed
lookup. A slug held now by a row is that row's address, whatever redirect names it.

A source has versions too (``import_source --replace``): an old address leads to the
current version (the end of its ``superseded_by`` chain), not to an earlier one kept as
``<slug>-superseded``.
"""

from __future__ import annotations

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from kb.models import SlugRedirect, Status, can_see_unpublished

# URL name (namespace "kb") → the model whose slug the URL names.
MOVABLE = {
    "source": "Source",
    "passage": "Source",
    "theme": "Theme",
    "feed_theme": "Theme",
    "principle": "Principle",
    "person": "Person",
}


def _visible(obj, user) -> bool:
    status = getattr(obj, "status", Status.PUBLISHED)
    if status == Status.ARCHIVED:
        return False
    return status == Status.PUBLISHED or can_see_unpublished(user)


def _address_fields(model) -> list[str]:
    """The columns an address and its rules read: never a source's whole text."""
    names = {field.name for field in model._meta.concrete_fields}
    return [name for name in ("slug", "status", "superseded_by") if name in names]


def current_version(obj, *fields: str):
    """The newest version of ``obj``: the end of its chain of ``superseded_by`` (loaded with
    its slug, ``superseded_by`` and ``fields``), or ``obj`` itself when nothing replaced it
    or its model has no versions. One query a step; rows edited by hand into a cycle end
    the walk at the last row before it comes back."""
    seen = {obj.pk}
    while (newer_id := getattr(obj, "superseded_by_id", None)) and newer_id not in seen:
        newer = type(obj).objects.only("slug", "superseded_by", *fields).filter(pk=newer_id).first()
        if newer is None:
            break
        seen.add(newer.pk)
        obj = newer
    return obj


def current_slug(model, slug: str, user) -> str | None:
    """The slug now of the row of ``model`` that ``slug`` named, if ``user`` may see it and
    nobody holds ``slug`` now; else None.

    One indexed lookup (``slug_redirect_old_slug``) for a slug that never moved; one more to
    check that nobody holds it now, and one a step of a source's versions.
    """
    kind = SlugRedirect.kind_of(model)
    obj = (
        model._base_manager.filter(redirects__kind=kind, redirects__old_slug=slug)
        .only(*_address_fields(model))
        .order_by()
        .first()
    )
    if obj is None or model._base_manager.filter(slug=slug).exists():
        return None  # held now: what was not found is inside it (a passage number)
    obj = current_version(obj, *_address_fields(model))
    if obj.slug == slug or not _visible(obj, user):
        return None
    return obj.slug


def renamed_slug(model, value) -> str | None:
    """The slug now of what ``value`` (a filter's value: any string) named before a rename,
    or None; the same rules as an address, for anybody (``user`` None)."""
    value = str(value or "")
    if not value or "\x00" in value or len(value) > 80:
        return None
    return current_slug(model, value, None)


def address_now(request, namespace: str, movable: dict) -> str | None:
    """Where the object a URL of ``namespace`` named by an old slug is now (``movable``:
    URL name → model name), query string kept; None if it did not move."""
    match = request.resolver_match
    if match is None or match.namespace != namespace or match.url_name not in movable:
        return None
    slug = match.kwargs.get("slug")
    if not slug:
        return None
    model = apps.get_model("kb", movable[match.url_name])
    new_slug = current_slug(model, slug, request.user)
    if not new_slug:
        return None
    try:
        url = reverse(f"{namespace}:{match.url_name}", kwargs={**match.kwargs, "slug": new_slug})
    except NoReverseMatch:
        return None
    query = request.META.get("QUERY_STRING", "")
    return f"{url}?{query}" if query else url


def current_address(request) -> str | None:
    """Where the page asked for is now, or None if it did not move (or is not a page)."""
    return address_now(request, "kb", MOVABLE)
