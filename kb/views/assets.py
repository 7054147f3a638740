"""Files browsers and crawlers ask for at fixed paths, whatever the pages link to."""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe


@require_safe
def favicon(request):
    """The icon the pages link to (a 302: its static name changes with its content)."""
    return redirect(static("img/favicon.svg"))


# Search result pages are endless combinations of words and facets: crawlers get the pages
# themselves from the sitemap instead. The admin's path is not named (it is kept unlisted).
ROBOTS = """User-agent: *
Disallow: /search/
Disallow: /api/search/

Sitemap: {sitemap}
"""


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("kb:sitemap"))
    return HttpResponse(ROBOTS.format(sitemap=sitemap), content_type="text/plain; charset=utf-8")
