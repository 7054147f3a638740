"""Template helpers of the reading pages: canonical URLs and JSON-LD blocks."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kb import citations
from kb.views.common import source_page_url

register = template.Library()

# Inside <script> the HTML parser ends the block at "</script"; escaping <, > and & as
# JSON \u escapes keeps any text (a quote, a title) from closing it or opening a comment.
SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}

# Query parameters that name another page of the same content (kept in canonical URLs).
CANONICAL_PARAMS = ("page",)


@register.filter
def ld_json(data, nonce="") -> str:
    """``data`` as a ``<script type="application/ld+json">`` block, safe in HTML.

    ``{{ data|ld_json:request.csp_nonce }}`` gives the block the Content-Security-Policy
    nonce of the request, as every inline script of the site has.
    """
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(SCRIPT_ESCAPES)
    # SafeString: the JSON has no <, > or & left, so it cannot end the script element.
    nonce = str(nonce)  # request.csp_nonce is lazy: falsy until str() makes it
    if nonce:
        return format_html(
            '<script type="application/ld+json" nonce="{}">{}</script>', nonce, SafeString(text)
        )
    return format_html('<script type="application/ld+json">{}</script>', SafeString(text))


@register.simple_tag(takes_context=True)
def canonical_url(context) -> str:
    """The page's absolute URL without filters, written as the site writes it.

    The path is reversed from what the URL resolved to, so ``/quotes/00002/`` names
    ``/quotes/2/``. A page number (``?page=2``) is kept on a plain list only: page 2 of a
    filtered list or of a search is not page 2 of the list, so those name the list itself.
    """
    request = context.get("request")
    if request is None:
        return ""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name:
        try:
            path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            pass
    url = request.build_absolute_uri(path)
    page = request.GET.get("page", "")
    if set(request.GET) <= set(CANONICAL_PARAMS) and page.isdigit() and int(page) > 1:
        url += f"?page={int(page)}"
    return url


@register.simple_tag(takes_context=True)
def absolute_url(context, path: str) -> str:
    """``path`` made absolute with the request's scheme and host."""
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


@register.filter
def http_url(url) -> str:
    """The URL if it is http(s), else "" (hostile ``javascript:`` URLs are never linked)."""
    return citations.http_url(url)


@register.filter
def at_passage(source_url: str, number) -> str:
    """The source page holding passage ``number``, at its anchor: ``/sources/s/?page=3#p-250``."""
    return source_page_url(source_url, number)
