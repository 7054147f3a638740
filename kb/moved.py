"""Old addresses of renamed things: a slug changed in the admin keeps its links working.

Sources, themes, principles and people are addressed by slug (``/sources/<slug>/#p-3``):
citations, other sites and readers' notes hold those links. The revision history already
keeps every earlier slug, so a page not found under a slug that a row once had answers 301
to the same page under its current slug (query string kept). A slug taken since by another
row is that row's: only a slug nobody holds now is looked up.

A source has versions too (``import_source --replace``): an old address leads to the
current version, not to an earlier one kept as ``<slug>-superseded``; and when the earlier
version was deleted instead (nothing cited its lost words), to the row that took one of the
slugs it had after the one asked for (the new version takes the slug it was replacing).
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Max
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


def _successors(model, slug: str, deleted: dict) -> dict:
    """For each deleted holder of ``slug`` (``{id: when it last held it}``), the row that
    holds now the newest of the slugs the holder had after that, if any (two queries)."""
    later = (
        model.history.filter(id__in=deleted)
        .exclude(slug=slug)
        .values_list("id", "slug")
        .annotate(until=Max("history_date"))
        .order_by()
    )
    slugs: dict = {}  # holder id → its later slugs, newest first
    for pk, later_slug, until in sorted(later, key=lambda row: row[2], reverse=True):
        if until > deleted[pk]:
            slugs.setdefault(pk, []).append(later_slug)
    if not slugs:
        return {}
    wanted = {s for found in slugs.values() for s in found}
    held = model.objects.filter(slug__in=wanted).only(*_address_fields(model))
    by_slug = {obj.slug: obj for obj in held}
    found = {}
    for pk, candidates in slugs.items():
        obj = next((by_slug[s] for s in candidates if s in by_slug), None)
        if obj is not None:
            found[pk] = obj
    return found


def current_slug(model, slug: str, user) -> str | None:
    """The slug now of the row of ``model`` that ``slug`` named, if ``user`` may see it and
    nobody holds ``slug`` now; else None.

    The row is the newest holder of ``slug`` in the history (of the few most recent) that
    ``user`` may see: itself if it still exists (its current version, for a source), else
    the row that holds one of the slugs it had later (the newest such). A few queries.
    """
    if model.objects.filter(slug=slug).exists():
        return None  # held now: what was not found is inside it (a passage number)
    # Each holder once, with when it last held the slug, newest first.
    holders = dict(
        model.history.filter(slug=slug)
        .values_list("id")
        .annotate(until=Max("history_date"))
        .order_by("-until", "-id")[:HOLDERS_LOOKED_AT]
    )
    if not holders:
        return None
    rows = model.objects.only(*_address_fields(model)).order_by().in_bulk(list(holders))
    deleted = {pk: until for pk, until in holders.items() if pk not in rows}
    if deleted:
        rows.update(_successors(model, slug, deleted))
    for pk in holders:
        obj = rows.get(pk)
        if obj is not None and obj.slug != slug and _visible(obj, user):
            return current_version(obj).slug
    return None


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
