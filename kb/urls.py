"""URL map: public pages under the ``kb`` namespace, the JSON API under /api/, the admin."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from kb import views
from kb.cache import public_page
from kb.feeds import LatestQuotesFeed, ThemeQuotesFeed
from kb.sitemaps import SITEMAPS
from kb.views.assets import favicon, robots_txt
from kb.views.health import healthz
from kb.views.timeline import person_timeline, theme_timeline

app_name = "kb"

# Every page is the same for all anonymous readers: served whole from the cache
# (kb.cache.public_page). The exports stream: they are never cached.
page_patterns = [
    path("", public_page(views.home), name="home"),
    path("sources/", public_page(views.source_list), name="source_list"),
    path("sources/<slug:slug>/", public_page(views.source_detail), name="source"),
    path("sources/<slug:slug>/p/<int:number>/", public_page(views.passage_detail), name="passage"),
    path("quotes/", public_page(views.quote_list), name="quote_list"),
    path("quotes/export.csv", views.quote_export_csv, name="quote_export_csv"),
    path("quotes/export.jsonl", views.quote_export_jsonl, name="quote_export_jsonl"),
    path(
        "quotes/export.annotations.jsonld",
        views.quote_export_annotations,
        name="quote_export_annotations",
    ),
    path("quotes/<int:pk>/", public_page(views.quote_detail), name="quote"),
    path("themes/", public_page(views.theme_list), name="theme_list"),
    path("themes/<slug:slug>/", public_page(views.theme_detail), name="theme"),
    path("themes/<slug:slug>/timeline/", public_page(theme_timeline), name="theme_timeline"),
    path("principles/", public_page(views.principle_list), name="principle_list"),
    path("principles/export.csv", views.principle_export_csv, name="principle_export_csv"),
    path("principles/export.jsonl", views.principle_export_jsonl, name="principle_export_jsonl"),
    path("principles/<slug:slug>/", public_page(views.principle_detail), name="principle"),
    path("people/", public_page(views.person_list), name="person_list"),
    path("people/<slug:slug>/", public_page(views.person_detail), name="person"),
    path("people/<slug:slug>/timeline/", public_page(person_timeline), name="person_timeline"),
    path("feeds/quotes.atom", public_page(LatestQuotesFeed()), name="feed_quotes"),
    path("feeds/themes/<slug:slug>.atom", public_page(ThemeQuotesFeed()), name="feed_theme"),
    path("sitemap.xml", public_page(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("search/", public_page(views.search), name="search"),
]

urlpatterns = [
    path("", include((page_patterns, "kb"))),
    path("api/", include("kb.api.urls")),
    path(settings.ADMIN_PATH, admin.site.urls),  # DJANGO_ADMIN_PATH, "admin/" by default
    # No trailing slash, and matched as is: APPEND_SLASH never redirects a probe.
    path("healthz", healthz, name="healthz"),
    # Browsers and crawlers ask for /favicon.ico whatever the pages link to.
    path("favicon.ico", favicon, name="favicon"),
    path("robots.txt", robots_txt, name="robots"),
]
