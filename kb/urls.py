"""URL map: public pages under the ``kb`` namespace, the JSON API under /api/, the admin."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from kb import views
from kb.feeds import LatestQuotesFeed, ThemeQuotesFeed
from kb.sitemaps import SITEMAPS
from kb.views.health import healthz

app_name = "kb"

page_patterns = [
    path("", views.home, name="home"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/<slug:slug>/", views.source_detail, name="source"),
    path("sources/<slug:slug>/p/<int:number>/", views.passage_detail, name="passage"),
    path("quotes/", views.quote_list, name="quote_list"),
    path("quotes/export.csv", views.quote_export_csv, name="quote_export_csv"),
    path("quotes/export.jsonl", views.quote_export_jsonl, name="quote_export_jsonl"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote"),
    path("themes/", views.theme_list, name="theme_list"),
    path("themes/<slug:slug>/", views.theme_detail, name="theme"),
    path("principles/", views.principle_list, name="principle_list"),
    path("principles/<slug:slug>/", views.principle_detail, name="principle"),
    path("people/", views.person_list, name="person_list"),
    path("people/<slug:slug>/", views.person_detail, name="person"),
    path("feeds/quotes.atom", LatestQuotesFeed(), name="feed_quotes"),
    path("feeds/themes/<slug:slug>.atom", ThemeQuotesFeed(), name="feed_theme"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("search/", views.search, name="search"),
]

urlpatterns = [
    path("", include((page_patterns, "kb"))),
    path("api/", include("kb.api.urls")),
    path(settings.ADMIN_PATH, admin.site.urls),  # DJANGO_ADMIN_PATH, "admin/" by default
    # No trailing slash, and matched as is: APPEND_SLASH never redirects a probe.
    path("healthz", healthz, name="healthz"),
]
