"""``/sitemap.xml``: every public page with content; drafts never appear."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from kb.models import Person, Principle, Quote, Source, Theme


class QuoteSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Quote.objects.published().only("pk", "updated").order_by("pk")

    def lastmod(self, quote):
        return quote.updated


class PrincipleSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Principle.objects.published().only("pk", "slug", "updated").order_by("pk")

    def lastmod(self, principle):
        return principle.updated


class SourceSitemap(Sitemap):
    changefreq = "yearly"

    def items(self):
        return Source.objects.current().only("pk", "slug", "updated").order_by("pk")

    def lastmod(self, source):
        return source.updated


class ThemeSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Theme.objects.only("pk", "slug").order_by("pk")


class PersonSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Person.objects.published().only("pk", "slug").order_by("pk")


class PageSitemap(Sitemap):
    """The home page and the lists."""

    changefreq = "weekly"
    priority = 0.9

    def items(self):
        return ["home", "quote_list", "principle_list", "theme_list", "source_list", "person_list"]

    def location(self, name):
        return reverse(f"kb:{name}")


SITEMAPS = {
    "pages": PageSitemap,
    "quotes": QuoteSitemap,
    "principles": PrincipleSitemap,
    "themes": ThemeSitemap,
    "people": PersonSitemap,
    "sources": SourceSitemap,
}
