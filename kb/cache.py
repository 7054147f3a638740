"""Caching of the public pages, kept correct by one content version.

Every change to a model of the knowledge base (a save, a delete, a theme added to a quote)
writes a new random token to the one ``ContentVersion`` row, in the same transaction
(``kb.apps`` connects ``note_change`` to the model signals; the importer saves its
``Source`` through the ORM, so its raw passage and quote inserts are covered too). The
pages put the token in their fragment cache keys and their ETags, so:

- a cached fragment or a client's copy is never older than the last committed change:
  the next request after a publish or an edit sees it, in every worker and with any cache
  backend (local memory per process by default, Redis with ``REDIS_URL``);
- reading the token is one primary-key query per request.
"""

from __future__ import annotations

import hashlib
import uuid

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import quote_etag

from kb.models import ContentVersion

VERSION_PK = 1
# How long a fragment may stay cached when nothing changes (its key changes when anything does).
FRAGMENT_SECONDS = 3600


def current_version() -> ContentVersion:
    """The content version (its row is made by the migration; again here if flushed).

    A random token, never a counter: two databases (a rebuilt bench database, one restored
    from a backup) never share a token, so they never read each other's cached fragments
    in a shared cache (Redis). Tests clear the cache between tests (tests/conftest.py).
    """
    version = ContentVersion.objects.filter(pk=VERSION_PK).first()
    if version is not None:
        return version
    try:
        with transaction.atomic():
            return ContentVersion.objects.create(
                pk=VERSION_PK, token=uuid.uuid4().hex, changed=timezone.now()
            )
    except IntegrityError:  # another worker created it first
        return ContentVersion.objects.get(pk=VERSION_PK)


def bump_version() -> None:
    """A new token: every cached fragment and ETag made before this change is stale."""
    fresh = {"token": uuid.uuid4().hex, "changed": timezone.now()}
    # One UPDATE; the row is only missing on a database flushed since it was migrated.
    if not ContentVersion.objects.filter(pk=VERSION_PK).update(**fresh):
        ContentVersion.objects.update_or_create(pk=VERSION_PK, defaults=fresh)


def note_change(sender, **kwargs) -> None:
    """Signal receiver (``kb.apps``): a model of the knowledge base changed.

    Revision-history rows and the version row itself change nothing readers see.
    """
    meta = getattr(sender, "_meta", None)
    if meta is None or meta.app_label != "kb" or sender is ContentVersion:
        return
    if sender.__name__.startswith("Historical") or kwargs.get("raw"):
        return
    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed: only after the change
    bump_version()


def request_version(request) -> ContentVersion:
    """The content version, read once per request."""
    version = getattr(request, "_kb_content_version", None)
    if version is None:
        version = request._kb_content_version = current_version()
    return version


def audience(request) -> str:
    """Staff see drafts: their pages are cached apart from the readers'."""
    return "staff" if getattr(request.user, "is_staff", False) else "public"


def page_etag(request, *parts) -> str:
    """An ETag for a page from the content version, the audience and the page's own key."""
    raw = "|".join([request_version(request).token, audience(request), *map(str, parts)])
    return quote_etag(hashlib.sha256(raw.encode()).hexdigest()[:32])


def page_last_modified(request, *args, **kwargs):
    return request_version(request).changed


def cached(key: str, compute, seconds: int = FRAGMENT_SECONDS):
    """``compute()``, cached under ``key`` (which must include the content token)."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def fragment_key(request, *parts) -> str:
    """The vary-on value of a ``{% cache %}`` fragment, or a cache key: content token,
    audience and the page's own key (a query string can be long: hashed)."""
    raw = "|".join([request_version(request).token, audience(request), *map(str, parts)])
    return hashlib.sha256(raw.encode()).hexdigest()


def cached_object(request, name: str, key, fetch):
    """The object a detail page is about, cached like its fragment (a 404 is not cached)."""
    return cached(f"{name}:" + fragment_key(request, key), fetch)


def lazy(compute):
    """A value computed only if the template uses it (not when its fragment is cached)."""
    return SimpleLazyObject(compute)
