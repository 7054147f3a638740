"""What every reading page shares: head metadata, structure, bounded queries, hostile text."""

import json
import re
from html import unescape

import pytest
from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.urls import reverse
from factories import build_source, make_claim, make_quote, more_quotes, small_corpus_fixture  # noqa: F401

from kb.citations import http_url
from kb.models import Person, Principle, Source, Status, Theme

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def page_urls(c) -> list[str]:
    """One URL of every page type of the small corpus."""
    return [
        "/",
        "/sources/",
        "/sources/lei-jun-on-focus/",
        "/sources/lei-jun-on-focus/p/3/",
        "/quotes/",
        f"/quotes/{c.q_focus.pk}/",
        "/themes/",
        "/themes/focus/",
        "/principles/",
        "/principles/do-few-things-well/",
        "/people/",
        "/people/lei-jun/",
    ]


def jsonld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


# --- head: canonical, Open Graph, feeds ------------------------------------------------------


def test_every_page_has_a_canonical_url_and_open_graph_tags(client, small_corpus):
    for url in page_urls(small_corpus):
        html = client.get(url).content.decode()
        canonical = f"http://testserver{url}"
        assert f'<link rel="canonical" href="{canonical}">' in html, url
        assert f'<meta property="og:url" content="{canonical}">' in html, url
        for prop in ("og:title", "og:type", "og:description", "og:site_name"):
            assert re.search(rf'<meta property="{prop}" content="[^"]+">', html), (url, prop)
        assert 'type="application/atom+xml"' in html


def test_the_canonical_url_keeps_the_page_of_a_plain_list_only(client, small_corpus):
    more_quotes(small_corpus.p_focus, 25)
    html = client.get("/quotes/?page=2").content.decode()
    assert '<link rel="canonical" href="http://testserver/quotes/?page=2">' in html
    # Page 2 of a filtered list (or of a search) is not page 2 of the list: the list it is.
    html = client.get("/quotes/?q=sentence&page=2&year=2013").content.decode()
    assert '<link rel="canonical" href="http://testserver/quotes/">' in html
    html = client.get("/quotes/?page=1&theme=focus").content.decode()
    assert '<link rel="canonical" href="http://testserver/quotes/">' in html
    html = client.get("/search/?q=sentence&type=quote&page=2").content.decode()
    assert '<link rel="canonical" href="http://testserver/search/">' in html


def test_the_canonical_url_writes_ids_as_the_site_does(client, small_corpus):
    quote = small_corpus.q_focus
    html = client.get(f"/quotes/{quote.pk:05d}/").content.decode()
    assert f'<link rel="canonical" href="http://testserver{quote.get_absolute_url()}">' in html
    passage = small_corpus.p_focus
    padded = f"{passage.source.get_absolute_url()}p/{passage.number:03d}/"
    html = client.get(padded).content.decode()
    own = reverse("kb:passage", args=[passage.source.slug, passage.number])
    assert f'<link rel="canonical" href="http://testserver{own}">' in html


def test_the_404_page_has_no_canonical_url(client, small_corpus):
    html = client.get("/nothing/here/").content.decode()
    assert 'rel="canonical"' not in html and 'property="og:title"' in html


def test_a_quote_page_describes_itself_as_an_article(client, small_corpus):
    html = client.get(f"/quotes/{small_corpus.q_focus.pk}/").content.decode()
    assert '<meta property="og:type" content="article">' in html
    assert (
        '<meta property="og:description" content="We focus on a few products &amp; make each '
        'one great.">' in html
    )


# --- JSON-LD -----------------------------------------------------------------------------------


def test_a_quote_page_has_a_schema_org_quotation(client, small_corpus):
    q = small_corpus.q_focus
    data = jsonld(client.get(f"/quotes/{q.pk}/").content.decode())
    assert data["@type"] == "Quotation"
    assert data["text"] == q.text
    assert data["isBasedOn"] == "http://testserver/sources/lei-jun-on-focus/#p-3"
    assert data["creator"]["@type"] == "Person" and data["creator"]["name"] == "Lei Jun"
    assert data["citation"]["@type"] == "CreativeWork"
    assert data["citation"]["name"] == "Lei Jun on focus"


def test_the_json_ld_cannot_close_its_script_block(client, db):
    lei = Person.objects.create(name="</script><script>alert(1)</script>", slug="x")
    text = "He said </script><img src=x onerror=alert(1)> & <!-- that"
    source, (passage,) = build_source(
        "<b>Title</b>", [("lei", False, text)], speakers={"lei": lei}, slug="hostile"
    )
    quote = make_quote(passage, text, speaker=lei)
    html = client.get(f"/quotes/{quote.pk}/").content.decode()
    block = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S).group(
        1
    )
    assert "<" not in block and ">" not in block and "&" not in block
    data = json.loads(block)
    assert data["text"] == text and data["creator"]["name"] == lei.name
    assert "<script>alert(1)" not in html and "<img src=x" not in html


# --- Cite --------------------------------------------------------------------------------------


def test_a_quote_page_offers_four_citation_styles_with_copy_buttons(client, small_corpus):
    html = client.get(f"/quotes/{small_corpus.q_focus.pk}/").content.decode()
    for key in ("apa", "chicago", "bibtex", "csl-json"):
        assert f'id="cite-{key}"' in html
        assert f'<button type="button" class="copy" data-copy="cite-{key}" hidden>' in html
    assert '<script src="/static/js/cite.js" defer></script>' in html
    apa = re.search(r'<p class="citation" id="cite-apa">(.*?)</p>', html).group(1)
    assert (
        apa == "Lei, J. (2014). Lei Jun on focus [Quoted in A. Reporter]. Fortune. Para. 3. "
        "https://example.com/fortune/lei-jun"
    )
    csl = re.search(r'id="cite-csl-json"><code>(.*?)</code>', html, re.S).group(1)
    assert json.loads(unescape(csl))[0]["id"] == f"lei-jun-on-focus-p3-q{small_corpus.q_focus.pk}"


def test_a_quote_page_links_to_the_words_on_the_original_page(client, small_corpus):
    html = client.get(f"/quotes/{small_corpus.q_focus.pk}/").content.decode()
    link = re.search(r'<a class="fragment-link" href="([^"]+)"', html).group(1)
    assert unescape(link) == (
        "https://example.com/fortune/lei-jun#:~:text=We%20focus%20on%20a%20few,"
        "%26%20make%20each%20one%20great."
    )


def test_a_quote_of_a_source_without_url_has_no_fragment_link(client, small_corpus):
    html = client.get(f"/quotes/{small_corpus.q_essay.pk}/").content.decode()
    assert "fragment-link" not in html
    apa = re.search(r'<p class="citation" id="cite-apa">(.*?)</p>', html).group(1)
    # No original URL: the permalink makes the citation verifiable (kb.citations).
    permalink = f"http://testserver/quotes/{small_corpus.q_essay.pk}/"
    assert apa == f"Lei, J. (2011). The Millet model. Sina Tech. Para. 1. {permalink}"


def test_the_passage_page_has_the_citation_too(client, small_corpus):
    html = client.get("/sources/lei-jun-on-focus/p/3/").content.decode()
    assert '<h2 id="cite-title">Cite</h2>' in html
    chicago = re.search(r'<p class="citation" id="cite-chicago">(.*?)</p>', html).group(1)
    assert "¶ 3" in chicago and "Lei Jun on focus" in chicago
    assert 'href="http://testserver/sources/lei-jun-on-focus/p/3/"' in html  # permalink
    assert "fragment-link" in html


# --- structure and accessibility basics --------------------------------------------------------


def test_every_page_has_one_h1_landmarks_and_a_skip_link(client, small_corpus):
    for url in [*page_urls(small_corpus), "/nothing/"]:
        html = client.get(url).content.decode()
        assert len(re.findall(r"<h1[ >]", html)) == 1, url
        assert '<a class="skip" href="#main">' in html and '<main id="main"' in html
        assert "<header" in html and "<footer" in html and '<nav aria-label="Main">' in html


def test_every_form_field_has_a_label(client, small_corpus):
    for url in ("/", "/quotes/", "/sources/", "/nothing/"):
        html = client.get(url).content.decode()
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, (url, field_id)


# --- bounded queries ---------------------------------------------------------------------------


@pytest.fixture
def big_corpus(small_corpus):
    """Many quotes, themes, people and principles: pages must not query per row."""
    c = small_corpus
    themes = [Theme.objects.create(name=f"Theme {i}", slug=f"theme-{i}") for i in range(15)]
    more_quotes(c.p_focus, 30, themes=[c.focus, c.pricing, *themes[:3]])
    more_quotes(c.p_price, 30, themes=[c.focus])
    for i in range(15):
        Person.objects.create(name=f"Person {i}", slug=f"person-{i}")
    for i in range(15):
        principle = Principle.objects.create(
            title=f"Principle {i}", slug=f"principle-{i}", status=Status.PUBLISHED
        )
        principle.themes.set([c.focus, *themes[:2]])
        make_claim(principle, 1, "A claim.", c.p_focus, "We focus on a few products")
        make_claim(principle, 2, "Another.", c.essay_passage, "seven words")
    for i in range(25):
        build_source(f"Source {i}", [("lei", False, f"Text {i}.")], speakers={"lei": c.lei})
    return c


def test_every_page_runs_a_bounded_number_of_queries(
    client, big_corpus, django_assert_max_num_queries
):
    urls = [
        *page_urls(big_corpus),
        "/principles/principle-3/",
        "/sources/?page=2",
        "/quotes/?page=3&theme=focus",
        "/quotes/?theme=focus&theme=pricing&theme_match=any&speaker=lei-jun&year_min=2000",
        "/themes/focus/?page=2",
        "/people/lei-jun/?page=3",
        "/quotes/export.csv?theme=focus",
        "/feeds/quotes.atom",
        "/feeds/themes/focus.atom",
        "/sitemap.xml",
    ]
    for url in urls:
        with django_assert_max_num_queries(13):
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200, url


# --- wrong input never gives a 500 -----------------------------------------------------------


@pytest.mark.parametrize(
    "url, status, message",
    [
        ("/quotes/?year=abc", 200, "Some filters are not valid"),
        ("/quotes/?theme=nope", 200, "Some filters are not valid"),
        ("/quotes/?ordering=sideways", 200, "Some filters are not valid"),
        ("/quotes/?page=x", 200, ""),
        ("/quotes/?page=999", 404, "This page is not here"),
        ("/sources/?year_min=abc", 200, "Some filters are not valid"),
        ("/sources/?page=999", 404, "This page is not here"),
        ("/sources/?page=x", 200, ""),
        ("/themes/focus/?page=999", 404, "This page is not here"),
        ("/themes/focus/?page=x", 200, ""),
        ("/people/lei-jun/?page=999", 404, "This page is not here"),
        ("/people/lei-jun/?page=-3", 404, "This page is not here"),
        ("/sources/lei-jun-on-focus/p/99/", 404, "This page is not here"),
        ("/quotes/?q=%00%ff((", 200, ""),
        ("/quotes/?theme=" + "x" * 3000, 200, "Some filters are not valid"),
    ],
)
def test_wrong_values_get_a_clear_answer_never_a_500(client, small_corpus, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    assert message in response.content.decode()


# --- hostile text ------------------------------------------------------------------------------


def test_hostile_text_in_a_source_is_shown_as_text(client, db):
    lei = Person.objects.create(name="<b>Lei</b>", slug="lei", description="<i>x</i>")
    text = 'Hi <script>alert(1)</script> and <img src=x onerror="alert(2)"> and <a href="javascript:alert(3)">x</a>.'
    source, (passage,) = build_source(
        '<img src=x onerror="alert(4)">',
        [("lei", False, text)],
        speakers={"lei": lei},
        slug="hostile",
        # A scheme other than http(s) is refused by the database (tests/test_hostile_input.py).
        url='https://example.com/"><script>alert(5)</script>',
        author="<svg onload=alert(6)>",
        publisher="<script>alert(7)</script>",
        notes="<iframe src=javascript:alert(8)>",
        year=2014,
    )
    quote = make_quote(passage, "<script>alert(1)</script>", speaker=lei, note="<b>n</b>")
    theme = Theme.objects.create(name="<u>t</u>", slug="t", description="<script>9</script>")
    quote.themes.set([theme])
    urls = [
        "/",
        "/sources/",
        "/sources/hostile/",
        "/sources/hostile/p/1/",
        "/quotes/",
        f"/quotes/{quote.pk}/",
        "/themes/",
        "/themes/t/",
        "/people/",
        "/people/lei/",
        "/feeds/quotes.atom",
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html and "<svg" not in html and "<iframe" not in html, url
        assert 'href="javascript:' not in html.lower(), url
        assert "<b>Lei</b>" not in html and "<u>t</u>" not in html, url
    html = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    source_html = client.get("/sources/hostile/").content.decode()
    assert "https://example.com/&quot;&gt;&lt;script&gt;alert(5)&lt;/script&gt;" in source_html


def test_a_javascript_url_never_becomes_a_link_or_a_citation_url(client, db):
    source, (passage,) = build_source(
        "Hostile", [(None, False, "Some words here.")], speakers={}, url="https://example.com/a"
    )
    quote = make_quote(passage, "Some words")
    # The database refuses the row (source_url_http); a row from before that constraint
    # would still never be linked: the pages pass every URL through http_url.
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.filter(pk=source.pk).update(url="javascript:alert(1)")
    html = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "javascript:" not in html
    assert "fragment-link" in html
    assert http_url("javascript:alert(1)") == "" and http_url(" JavaScript:x") == ""


def test_the_site_has_an_icon_where_browsers_look_for_it(client, small_corpus):
    html = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == icon
    assert finders.find("img/favicon.svg").endswith("favicon.svg")  # a file collectstatic ships
    assert icon.startswith("/static/img/favicon")


def test_robots_txt_points_crawlers_at_the_sitemap_and_off_search(client, db, settings):
    settings.ADMIN_PATH = "staff/hidden-admin/"
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /search/" in lines
    assert "hidden-admin" not in response.content.decode()  # the admin stays unlisted
    assert client.get(lines[-1].split(": ", 1)[1]).status_code == 200
    assert client.post("/robots.txt").status_code == 405
