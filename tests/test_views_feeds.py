"""The sitemap and the Atom feeds of newly published quotes."""

import xml.etree.ElementTree as ET

import pytest
from factories import more_quotes, small_corpus_fixture  # noqa: F401

from kb.models import Principle, Quote, Status

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
ATOM = "{http://www.w3.org/2005/Atom}"


def sitemap_urls(client) -> set[str]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    return {loc.text for loc in root.findall("s:url/s:loc", SITEMAP_NS)}


def test_the_sitemap_lists_every_public_page(client, small_corpus):
    c = small_corpus
    base = "http://testserver"
    urls = sitemap_urls(client)
    expected = {
        f"{base}/",
        f"{base}/quotes/",
        f"{base}/sources/",
        f"{base}/themes/",
        f"{base}/principles/",
        f"{base}/people/",
        *(f"{base}/quotes/{q.pk}/" for q in (c.q_focus, c.q_price, c.q_essay)),
        f"{base}/principles/do-few-things-well/",
        f"{base}/themes/focus/",
        f"{base}/themes/pricing/",
        f"{base}/people/lei-jun/",
        f"{base}/people/fortune-interviewer/",
        f"{base}/sources/lei-jun-on-focus/",
        f"{base}/sources/the-millet-model/",
    }
    assert urls == expected


def test_the_sitemap_never_lists_drafts(client, small_corpus):
    Principle.objects.filter(pk=small_corpus.principle.pk).update(status=Status.REVIEW)
    urls = sitemap_urls(client)
    assert not any(small_corpus.q_draft.get_absolute_url() in url for url in urls)
    assert not any("/principles/" in url and url.count("/") > 5 for url in urls)


def test_the_sitemap_has_lastmod_and_bounded_queries(
    client, small_corpus, django_assert_max_num_queries
):
    more_quotes(small_corpus.p_focus, 30)
    with django_assert_max_num_queries(12):
        response = client.get("/sitemap.xml")
    root = ET.fromstring(response.content)
    url = f"http://testserver/quotes/{small_corpus.q_focus.pk}/"
    entry = next(
        u for u in root.findall("s:url", SITEMAP_NS) if u.find("s:loc", SITEMAP_NS).text == url
    )
    assert entry.find("s:lastmod", SITEMAP_NS) is not None


def feed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def test_the_quote_feed_lists_published_quotes_newest_first(client, small_corpus):
    c = small_corpus
    c.q_essay.save()  # the most recently updated
    root = feed(client, "/feeds/quotes.atom")
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text == "Lei Jun knowledge base: new quotes"
    entries = root.findall(f"{ATOM}entry")
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert len(links) == 3
    assert links[0] == f"http://testserver/quotes/{c.q_essay.pk}/"
    assert f"http://testserver/quotes/{c.q_draft.pk}/" not in links
    first = entries[0]
    assert first.find(f"{ATOM}author/{ATOM}name").text == "Lei Jun"
    assert first.find(f"{ATOM}updated") is not None
    assert {cat.get("term") for cat in first.findall(f"{ATOM}category")} == {"Focus", "Pricing"}
    summary = first.find(f"{ATOM}summary").text
    assert "focus, ultimate, word of mouth, fast" in summary and "¶ 1" in summary


def test_a_theme_feed_lists_that_themes_quotes(client, small_corpus):
    root = feed(client, "/feeds/themes/pricing.atom")
    assert "Pricing" in root.find(f"{ATOM}title").text
    links = {e.find(f"{ATOM}link").get("href") for e in root.findall(f"{ATOM}entry")}
    c = small_corpus
    assert links == {f"http://testserver/quotes/{q.pk}/" for q in (c.q_price, c.q_essay)}


def test_an_unknown_theme_feed_is_404(client, small_corpus):
    assert client.get("/feeds/themes/nope.atom").status_code == 404


def test_the_feeds_escape_hostile_text(client, small_corpus):
    Quote.objects.filter(pk=small_corpus.q_focus.pk).update(text="<script>alert(1)</script> &")
    content = client.get("/feeds/quotes.atom").content.decode()
    assert "<script>" not in content
    root = ET.fromstring(content)  # still well-formed XML
    # The summary is HTML (type="html"): its text, once read from the XML, is still escaped.
    summaries = [e.find(f"{ATOM}summary") for e in root.findall(f"{ATOM}entry")]
    assert all(s.get("type") == "html" for s in summaries)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in s.text for s in summaries)


def test_the_feeds_run_in_bounded_queries(client, small_corpus, django_assert_max_num_queries):
    more_quotes(small_corpus.p_focus, 40, themes=[small_corpus.focus])
    with django_assert_max_num_queries(4):
        root = feed(client, "/feeds/quotes.atom")
    assert len(root.findall(f"{ATOM}entry")) == 30
    with django_assert_max_num_queries(5):
        feed(client, "/feeds/themes/focus.atom")


def test_pages_link_their_feeds(client, small_corpus):
    home = client.get("/").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="New quotes (Atom)" '
        'href="/feeds/quotes.atom">' in home
    )
    theme = client.get("/themes/focus/").content.decode()
    assert 'href="/feeds/themes/focus.atom"' in theme
    assert theme.count('rel="alternate"') == 2
