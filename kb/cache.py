"""Caching of the public pages, kept correct by one content version.

Every change to a model of the knowledge base (a save, a delete, a theme added to a quote)
writes a new random token to the one ``ContentVersion`` row, in the same transaction
(``kb.apps`` connects ``note_change`` to the model signals; the importer saves its
``Source`` through the ORM, so its raw passage and quote inserts are covered too). The
whole-page cache for anonymous readers, the API's list cache and the ETags all put the token
in their keys (``content_key``), so:

- a cached page or a client's copy is never older than the last committed change:
  the next request after a publish or an edit sees it, in every worker and with any cache
  backend (local memory per process by default, Redis with ``REDIS_URL``);
- reading the token is one primary-key query per request.

Only whole answers are cached, at the edge (kb.middleware): views and templates stay plain.
A page's key holds only the query parameters the page reads (``reads_params``), normalised,
so junk parameters cannot fill the cache; and an anonymous client that misses the cache
too often is asked to wait (``miss_limited``).
"""

from __future__ import annotations

import functools
import hashlib
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse, QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe, quote_etag

from kb.clients import client_address
from kb.models import ContentVersion, SearchOutbox, can_see_unpublished

VERSION_PK = 1
# How long a page may stay cached when nothing changes (its key changes when anything does).
PAGE_SECONDS = 3600


def current_version() -> ContentVersion:
    """The content version (its row is made by the migration; again here if flushed).

    A random token, never a counter: two databases (a rebuilt bench database, one restored
    from a backup) never share a token, so they never read each other's cached pages
    in a shared cache (Redis). Tests clear the cache between tests (tests/conftest.py).
    """
    version = _read_version()
    if version is not None:
        return version
    try:
        with transaction.atomic():
            return ContentVersion.objects.create(
                pk=VERSION_PK, token=uuid.uuid4().hex, changed=timezone.now()
            )
    except IntegrityError:  # another worker created it first
        return ContentVersion.objects.get(pk=VERSION_PK)


def _read_version() -> ContentVersion | None:
    """The row, read with plain SQL: every request reads it, and on a cached page building
    the ORM query took half the time of the whole request (profiled on the bench server)."""
    table = connection.ops.quote_name(ContentVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token, changed FROM {table} WHERE id = %s", [VERSION_PK])
        row = cursor.fetchone()
    if row is None:
        return None
    token, changed = row
    if isinstance(changed, str):  # SQLite returns the stored text: UTC, as Django wrote it
        changed = datetime.fromisoformat(changed)
    if timezone.is_naive(changed):
        changed = timezone.make_aware(changed, dt_timezone.utc)
    return ContentVersion(pk=VERSION_PK, token=token, changed=changed)


def bump_version() -> None:
    """A new token: every cached page and ETag made before this change is stale."""
    fresh = {"token": uuid.uuid4().hex, "changed": timezone.now()}
    # One UPDATE; the row is only missing on a database flushed since it was migrated.
    if not ContentVersion.objects.filter(pk=VERSION_PK).update(**fresh):
        ContentVersion.objects.update_or_create(pk=VERSION_PK, defaults=fresh)


# Inside ``one_change()``: a list holding whether anything changed (else None).
_CHANGES: ContextVar[list[bool] | None] = ContextVar("kb_cache_changes", default=None)


@contextmanager
def one_change():
    """Changes made inside give one new token, at the end, not one per row.

    Deleting a source deletes its passages and quotes too, one signal each: 3,451 UPDATEs
    of the version row for a source of 3,450 passages. Use it inside the transaction of the
    change (the admin's views have one), so the token still changes with the data; nothing
    is bumped when the block fails (its transaction rolls back).
    """
    if _CHANGES.get() is not None:  # nested: the outermost one bumps
        yield
        return
    changed = [False]
    token = _CHANGES.set(changed)
    try:
        yield
    finally:
        _CHANGES.reset(token)
    if changed[0]:
        bump_version()


def note_change(sender, **kwargs) -> None:
    """Signal receiver (``kb.apps``): a model of the knowledge base changed.

    Revision-history rows, the version row itself and the search's outbox (the indexer
    deletes the rows it applied) change nothing readers see.
    """
    meta = getattr(sender, "_meta", None)
    if meta is None or meta.app_label != "kb" or sender in (ContentVersion, SearchOutbox):
        return
    if sender.__name__.startswith("Historical") or kwargs.get("raw"):
        return
    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed: only after the change
    changes = _CHANGES.get()
    if changes is not None:
        changes[0] = True
        return
    bump_version()


def request_version(request) -> ContentVersion:
    """The content version, read once per request."""
    version = getattr(request, "_kb_content_version", None)
    if version is None:
        version = request._kb_content_version = current_version()
    return version


def content_key(request, *parts) -> str:
    """A cache key (or ETag) for what ``request`` is shown: the content token, the scheme and
    host (pages and API answers hold absolute links) and the caller's ``parts``, hashed.

    The one key helper of the site: the page cache and the API's list cache both use it, so
    both go stale with the same change."""
    raw = "|".join(
        [request_version(request).token, request.scheme, request.get_host(), *map(str, parts)]
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def audience(request) -> str:
    """Staff see drafts: whatever is cached for them is kept apart from the readers'."""
    return "staff" if can_see_unpublished(request.user) else "public"


def page_etag(request, *parts) -> str:
    """An ETag for a page from the content version, the audience and the page's own key."""
    return quote_etag(content_key(request, audience(request), *parts)[:32])


# HTTP dates count whole seconds: a page served in the second of a change, then changed
# again within that second, would still match its If-Modified-Since. Such a page has no
# Last-Modified (its ETag still validates). A second more for clocks of other workers.
LAST_MODIFIED_SETTLED = timedelta(seconds=2)


def page_last_modified(request, *args, **kwargs):
    changed = request_version(request).changed
    if timezone.now() - changed.replace(microsecond=0) < LAST_MODIFIED_SETTLED:
        return None
    return changed


# --- Whole pages for anonymous readers ---------------------------------------------------
#
# A reader without a session gets the same bytes as every other reader for a URL until the
# next change, so the whole response is cached under the content token: a hit skips the
# session, authentication, CSRF and every view and template (bench pages: detail pages
# were bound by rendering base.html, not by SQL). Views opt in with ``public_page``;
# ``kb.middleware.PublicPageCacheMiddleware`` serves and stores.

# A larger body (a big sitemap) is still served, just not kept: local memory is per worker
# and Redis values should stay small.
PAGE_MAX_BYTES = 1_000_000
# Cookies that make a request someone's own: a session (staff, messages) or messages.
PRIVATE_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")


def public_page(view):
    """Mark ``view``'s answers as the same for every anonymous reader (cacheable whole)."""

    @functools.wraps(view)  # copies ``kb_page_params`` (``reads_params``) too
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.kb_public_page = True
        return response

    wrapped.kb_public_page = True
    return wrapped


def reads_params(*names: str):
    """Declare the query parameters a page view reads: only they make its cache key, and the
    view sees only them (normalised) when its answer may be shared (``page_cache_key``)."""

    def mark(view):
        view.kb_page_params = frozenset(names)
        return view

    return mark


# Pages whose views are not the reading pages' own (kb.views): what each reads, by URL name.
PARAMS_BY_URL_NAME = {
    "kb:sitemap": frozenset({"p"}),  # django.contrib.sitemaps' page number
    "kb:feed_quotes": frozenset(),
    "kb:feed_theme": frozenset(),
}

# URL prefixes with no public page: the API, the admin, static files, the health probe.
NEVER_PAGES = ("/api/", "/" + settings.ADMIN_PATH, "/static/", "/healthz")


def public_page_match(request):
    """The resolved URL if it is a ``public_page`` view's, else None (resolved here: the
    middleware runs before the view, and other URLs, the API and the admin, must not pay
    for reading the content token)."""
    if request.path_info.startswith(NEVER_PAGES):
        return None  # no need to resolve the URL twice (Django's handler resolves it too)
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return match if getattr(match.func, "kb_public_page", False) else None


def page_params(match) -> frozenset[str] | None:
    """The parameters the page reads (None: undeclared, every parameter counts)."""
    known = getattr(match.func, "kb_page_params", None)
    return known if known is not None else PARAMS_BY_URL_NAME.get(match.view_name)


def canonical_query(params: QueryDict, known: frozenset[str] | None) -> QueryDict:
    """``params`` with the unknown parameters and empty values dropped, sorted: every query
    string that means the same page gives the same one."""
    pairs = sorted(
        (name, value)
        for name, values in params.lists()
        if known is None or name in known
        for value in values
        if value.strip()
    )
    query = QueryDict(mutable=True)
    for name, value in pairs:
        query.appendlist(name, value)
    query._mutable = False
    return query


def page_cache_key(request) -> str | None:
    """The cache key of this request's whole page, or None when it may not be shared.

    A shared page is made from its canonical query only: the request's ``GET`` is replaced
    by it, so whichever request fills the entry, the bytes stored are
    the same, and ``?r=<random>`` finds the page of the URL without it.
    """
    if request.method != "GET":
        return None
    if "HTTP_AUTHORIZATION" in request.META or any(c in request.COOKIES for c in PRIVATE_COOKIES):
        return None
    match = public_page_match(request)
    if match is None:
        return None
    query = canonical_query(request.GET, page_params(match))
    request.GET = query  # the raw query string stays: a moved page's redirect keeps it
    return "page:" + content_key(request, request.path, query.urlencode())


# --- A limit on what anonymous clients make the site compute ------------------------------

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
PERIODS |= {"h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@functools.lru_cache
def parse_rate(rate: str) -> tuple[int, int] | None:
    """``"120/min"`` as (120, 60); ``""`` (no limit) as None."""
    if not rate.strip():
        return None
    number, _, period = rate.strip().partition("/")
    if not number.isdigit() or int(number) < 1 or period not in PERIODS:
        raise ImproperlyConfigured(
            f"KB_PAGE_MISS_RATE must be like 120/min (per s, min, hour or day), not {rate!r}"
        )
    return int(number), PERIODS[period]


def miss_limited(request) -> int | None:
    """Seconds this client must wait before another page the cache does not hold, or None.

    Counted per client address (kb.clients) in fixed windows of the rate's period, in the
    page cache itself: hits are never counted, only the pages a client makes the site build.
    """
    rate = parse_rate(settings.KB_PAGE_MISS_RATE)
    if rate is None:
        return None
    allowed, period = rate
    now = int(time.time())
    key = f"page-miss:{client_address(request)}:{now // period}"
    cache.add(key, 0, period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, period + 1)
        count = 1
    if count <= allowed:
        return None
    return period - now % period or 1


def storable_page(request, response) -> bool:
    """A finished response every reader may get: opted in, 200, complete, nothing personal."""
    return (
        getattr(response, "kb_public_page", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and len(response.content) <= PAGE_MAX_BYTES
        and "no-store" not in response.get("Cache-Control", "")
        and "private" not in response.get("Cache-Control", "")
    )


# Where the page had its Content-Security-Policy nonce: a nonce belongs to one response, so
# each hit gets its own (django-csp puts the request's nonce in the header once it is read).
NONCE_MARK = b"\x00csp-nonce\x00"
UNSTORED_HEADERS = ("set-cookie", "content-length")


def store_page(request, key: str, response) -> None:
    # The length is set again on each hit (a nonce is put back in the body).
    headers = [(k, v) for k, v in response.items() if k.lower() not in UNSTORED_HEADERS]
    content = response.content
    nonce = getattr(request, "_csp_nonce", None)
    if nonce:
        content = content.replace(nonce.encode(), NONCE_MARK)
    cache.set(key, (response.status_code, headers, content), PAGE_SECONDS)


def cached_page(request, key: str):
    """The stored response for ``key`` (a 304 when the client's copy is current), or None."""
    stored = cache.get(key)
    if stored is None:
        return None
    status, headers, content = stored
    if NONCE_MARK in content:
        content = content.replace(NONCE_MARK, str(request.csp_nonce).encode())
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response["Content-Length"] = str(len(content))
    return get_conditional_response(
        request,
        etag=response.get("ETag"),
        last_modified=parse_http_date_safe(response["Last-Modified"])
        if response.has_header("Last-Modified")
        else None,
        response=response,
    )
