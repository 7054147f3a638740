"""API routes (namespace ``api``): a DefaultRouter gives the root at /api/ listing them.

Besides the router's resources: search, the quote exports, the OpenAPI schema and its
docs pages (Swagger UI, ReDoc; their assets come from drf-spectacular-sidecar, no CDN).
"""

from csp.constants import SELF
from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.exceptions import NotFound
from rest_framework.reverse import reverse
from rest_framework.routers import APIRootView, DefaultRouter
from rest_framework.views import APIView

from kb.api import views
from kb.api.search import SearchView
from kb.api.views import HttpCachingMixin

app_name = "api"


class RootView(HttpCachingMixin, APIRootView):
    """The API's resources; see /api/docs/ for everything, /api/schema/ for OpenAPI 3."""

    # Besides the router's resources (DRF lists only those): what a script starts from.
    MORE = {
        "search": "api:search",
        "quotes-export-csv": "api:quote-export-csv",
        "quotes-export-jsonl": "api:quote-export-jsonl",
        "schema": "api:schema",
        "docs": "api:docs",
    }

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        for key, url_name in self.MORE.items():
            response.data[key] = reverse(url_name, request=request)
        return response


class Router(DefaultRouter):
    APIRootView = RootView


router = Router()
router.register("sources", views.SourceViewSet, basename="source")
router.register("passages", views.PassageViewSet, basename="passage")
router.register("quotes", views.QuoteViewSet, basename="quote")
router.register("principles", views.PrincipleViewSet, basename="principle")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("people", views.PersonViewSet, basename="person")


class NoSuchEndpoint(HttpCachingMixin, APIView):
    """Any other path under /api/ ending in a slash: a JSON 404 rather than the HTML page.

    Paths without the slash stay unmatched, so APPEND_SLASH still redirects /api/quotes.
    """

    schema = None  # not an endpoint

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound("No such API endpoint.")

    def get(self, request, *args, **kwargs):
        raise NotFound("No such API endpoint.")


class SchemaView(HttpCachingMixin, SpectacularAPIView):
    """The OpenAPI 3 schema: YAML by default, JSON with ?format=json or Accept."""


class SwaggerView(HttpCachingMixin, SpectacularSwaggerSplitView):
    """Swagger UI; the split view serves its start-up script as a file (?script), not inline,
    so the Content-Security-Policy's script-src 'self' lets it run."""

    # An HTML page only: DRF's OPTIONS answer has no template here, so it was a 500.
    http_method_names = ["get", "head"]


class RedocView(HttpCachingMixin, SpectacularRedocView):
    template_name = "api/redoc.html"  # no Google Fonts: nothing is loaded from elsewhere
    http_method_names = ["get", "head"]  # an HTML page only, as Swagger's


SWAGGER_CSP = {"img-src": [SELF, "data:"]}  # Swagger UI draws its icons from data: URIs
# ReDoc searches in a web worker started from a blob: URL and draws icons from data: URIs. Its
# attribution logo, from cdn.redoc.ly, stays blocked (nothing is loaded from elsewhere): ReDoc
# then leaves it out.
REDOC_CSP = {"worker-src": [SELF, "blob:"], "img-src": [SELF, "data:"]}

urlpatterns = [
    path("quotes/export.csv", views.QuoteExportCSV.as_view(), name="quote-export-csv"),
    path("quotes/export.jsonl", views.QuoteExportJSONLines.as_view(), name="quote-export-jsonl"),
    *router.urls,
    path("search/", SearchView.as_view(), name="search"),
    path("schema/", SchemaView.as_view(), name="schema"),
    # Beyond what these allow (and the inline styles kb.middleware allows under /api/), the
    # docs pages keep the site's Content-Security-Policy.
    path(
        "docs/",
        csp_update(SWAGGER_CSP)(SwaggerView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("redoc/", csp_update(REDOC_CSP)(RedocView.as_view(url_name="api:schema")), name="redoc"),
    re_path(r"^.*/$", NoSuchEndpoint.as_view(), name="not-found"),
]
