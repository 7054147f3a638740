"""Middleware guarding the site as a whole: its security policy, request limits, database outages.

- ``ContentSecurityPolicyMiddleware``: django-csp's header, with inline styles allowed only
  where third-party templates write them (the admin, DRF's browsable API).
- ``RequestLimitsMiddleware``: an oversized query string is refused before anything parses it.
- ``DatabaseUnavailableMiddleware``: a lost database answers 503 in the site's design (JSON
  under /api/), not a traceback; the next request reconnects once the database is back.
- ``PublicPageCacheMiddleware``: anonymous readers get whole pages from the cache, and a
  client that makes the site build too many pages waits (429).
- ``MovedPagesMiddleware``: a page asked for under an earlier slug redirects (kb.moved).
"""

import base64
import functools
import hashlib
import logging
import re

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.template.loader import get_template
from django.utils.cache import patch_cache_control

from kb.cache import cached_page, miss_limited, page_cache_key, storable_page, store_page
from kb.moved import current_address

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def is_api_request(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware; the admin and the browsable API may also use inline styles.

    Django's admin, our admin templates and DRF's browsable API write ``style="…"``
    attributes and ``<style>`` blocks (no nonce, some not ours). A style cannot run code, and
    scripts keep the strict, nonce-only policy everywhere, so only ``style-src`` is relaxed,
    and only there. The public pages keep ``style-src 'self' 'nonce-…'``.
    """

    INLINE_STYLES = {"style-src": [SELF, UNSAFE_INLINE]}

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        admin_prefix = "/" + settings.ADMIN_PATH
        if request.path_info.startswith((admin_prefix, API_PREFIX)):
            # A view's own csp_replace (kb.api.urls) wins over this default.
            parts.replace = {**self.INLINE_STYLES, **(parts.replace or {})}
        elif response.status_code == 500:
            # 500.html is static (no request, no nonce): its <style> is allowed by its hash.
            parts.update = {"style-src": style_hashes("500.html"), **(parts.update or {})}
        return parts


@functools.cache
def style_hashes(template_name: str) -> list[str]:
    """The CSP sources (``'sha256-…'``) of the ``<style>`` blocks of a static template."""
    source = get_template(template_name).template.source
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"
        for css in re.findall(r"<style>(.*?)</style>", source, flags=re.DOTALL)
    ]


class RequestLimitsMiddleware:
    """414 for a query string over KB_MAX_QUERY_STRING_BYTES, 400 for over KB_MAX_QUERY_PARAMS.

    Checked on the raw string, before Django builds ``request.GET``: a 10 MB search or a
    thousand repeated filters never reach a FilterSet or the search index. (Form bodies
    are limited by Django's DATA_UPLOAD_MAX_* settings.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query_string = request.META.get("QUERY_STRING", "")
        if len(query_string) > settings.KB_MAX_QUERY_STRING_BYTES:
            return refusal(request, 414, "The query string is too long.")
        if query_string.count("&") + 1 > settings.KB_MAX_QUERY_PARAMS:
            return refusal(request, 400, "The query string has too many parameters.")
        return self.get_response(request)


def refusal(request, status: int, message: str) -> HttpResponse:
    if is_api_request(request):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class DatabaseUnavailableMiddleware:
    """A view that loses the database answers 503 (HTML page, or JSON under /api/).

    OperationalError and InterfaceError are what psycopg and sqlite3 raise when the server
    is down, restarting or unreachable. Django closes the broken connection at the end of
    the request, and with CONN_HEALTH_CHECKS a kept one is tested before reuse, so the site
    recovers by itself when the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("Database unavailable for %s: %s", request.path, exception)
        return database_unavailable(request)


class PublicPageCacheMiddleware:
    """Whole public pages (views marked ``kb.cache.public_page``) for readers without a session.

    Placed before the session, CSRF and authentication middleware: a hit needs none of them,
    only the content token (one primary-key query), so a change is visible on the next
    request in every worker. The key holds only the parameters the page reads (kb.cache),
    and a client missing the cache more than ``KB_PAGE_MISS_RATE`` allows gets a 429. Anything personal (a session or messages cookie, an
    Authorization header, a response setting a cookie) goes through the whole stack and is
    never stored; a page's CSP nonce is replaced by a fresh one on every hit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            key = page_cache_key(request)
        except (OperationalError, InterfaceError) as exc:
            # The token is read from the database: outside any view, so answered here.
            logger.error("Database unavailable for %s: %s", request.path, exc)
            return database_unavailable(request)
        if key is None:
            return self.get_response(request)
        response = cached_page(request, key)
        if response is not None:
            return response
        wait = miss_limited(request)
        if wait is not None:
            return too_many_pages(request, wait)
        response = self.get_response(request)
        if storable_page(request, response):
            store_page(request, key, response)
        return response


def too_many_pages(request, wait: int) -> HttpResponse:
    response = refusal(request, 429, "Too many pages asked for. Please wait a little.")
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response


class PrivateResponsesMiddleware:
    """A response made for a signed-in user is ``Cache-Control: private``.

    Staff pages show drafts, and any signed-in page may show the user's name: a shared
    cache (a proxy, a CDN) must never keep one for others. ``Vary: Cookie`` alone leaves
    that to the cache's reading of cookies.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Without a session cookie nobody is signed in: reading request.user would load the
        # session and add "Vary: Cookie" to every reader's page.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                patch_cache_control(response, private=True)
        return response


RETRY_AFTER_SECONDS = 30


class MovedPagesMiddleware:
    """A page not found under a slug it had before (renamed in the admin): 301 to its
    current address, so links and citations made earlier keep working (kb.moved)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and request.method in ("GET", "HEAD"):
            address = current_address(request)
            if address:
                return HttpResponsePermanentRedirect(address)
        return None


def database_unavailable(request) -> HttpResponse:
    """The 503 answer, rendered without touching the database.

    The template gets the request as a plain variable, not through a RequestContext: the
    context processors would load the session and the user, which query the database.
    """
    if is_api_request(request):
        response = JsonResponse(
            {"detail": "The database is unavailable. Please try again shortly."}, status=503
        )
    else:
        html = get_template("503.html").render({"request": request})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
