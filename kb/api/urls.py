"""API routes (namespace ``api``): a DefaultRouter gives the root at /api/ listing them."""

from django.urls import path, re_path
from rest_framework.exceptions import NotFound
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from kb.api import views
from kb.api.search import SearchView

app_name = "api"

router = DefaultRouter()
router.register("sources", views.SourceViewSet, basename="source")
router.register("passages", views.PassageViewSet, basename="passage")
router.register("quotes", views.QuoteViewSet, basename="quote")
router.register("principles", views.PrincipleViewSet, basename="principle")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("people", views.PersonViewSet, basename="person")


class NoSuchEndpoint(APIView):
    """Any other path under /api/ ending in a slash: a JSON 404 rather than the HTML page.

    Paths without the slash stay unmatched, so APPEND_SLASH still redirects /api/quotes.
    """

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound("No such API endpoint.")

    def get(self, request, *args, **kwargs):
        raise NotFound("No such API endpoint.")


urlpatterns = [
    *router.urls,
    path("search/", SearchView.as_view(), name="search"),
    re_path(r"^.*/$", NoSuchEndpoint.as_view(), name="not-found"),
]
