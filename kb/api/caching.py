"""HTTP caching of API responses: Cache-Control by audience, an ETag from the content.

Anonymous answers are the same for everybody, so shared caches may keep them a minute
(``public, max-age=60``). Whoever is signed in (a session or a token) may see drafts: their
answers are ``private, no-store``. A successful GET gets an ETag computed from the body,
as Django's ConditionalGetMiddleware does, so ``If-None-Match`` gets a 304 without a body.
Throttled and server-error answers are never stored.

A list's page is also kept in the site's cache (``list_key``), under the same key helper as
the whole pages (``kb.cache.content_key``): it goes stale with the same content token.
"""

from functools import wraps

from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)

from kb.cache import PAGE_SECONDS, audience, content_key

MAX_AGE = 60
# How long a list's page stays in the cache when nothing changes.
LIST_SECONDS = PAGE_SECONDS


def list_key(request, form: str) -> str:
    """The cache key of a list's page: audience (staff see drafts), full path, ``form``."""
    return "api-list:" + content_key(request, audience(request), request.get_full_path(), form)


def is_private(request) -> bool:
    user = getattr(request, "user", None)
    return bool(
        request.META.get("HTTP_AUTHORIZATION") or (user is not None and user.is_authenticated)
    )


def finish(request, response):
    """Cache headers, an ETag and maybe a 304 (the response is rendered by now)."""
    patch_vary_headers(response, ("Cookie", "Authorization"))
    if is_private(request):
        patch_cache_control(response, private=True, no_store=True)
        return response
    if response.status_code == 429 or response.status_code >= 500:
        patch_cache_control(response, no_store=True)
        return response
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    if request.method not in ("GET", "HEAD") or response.streaming:
        return response
    if not response.has_header("ETag"):
        set_response_etag(response)
    return get_conditional_response(request, etag=response.get("ETag"), response=response)


def api_cache(view):
    """Wrap a view (a DRF view's ``as_view()``) with ``finish``, after rendering."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if callable(getattr(response, "render", None)) and not response.is_rendered:
            # DRF responses are rendered by Django's handler; finish once they have a body.
            response.add_post_render_callback(lambda rendered: finish(request, rendered))
            return response
        return finish(request, response)

    return wrapped
