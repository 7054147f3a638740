"""Source list, a source read whole (anchors, highlights, page chrome), one passage."""

import re

import pytest
from factories import build_source, more_quotes, small_corpus_fixture  # noqa: F401

from kb.models import Quote, Source

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def details_block(html: str) -> str:
    match = re.search(r"<details class=\"boilerplate\">(.*?)</details>", html, re.S)
    assert match, "no <details> block for the page chrome"
    return match.group(1)


# --- list ---------------------------------------------------------------------------------


def test_it_lists_sources_with_passage_counts(client, small_corpus):
    response = client.get("/sources/")
    assert response.status_code == 200
    counts = {s.slug: s.passage_count for s in response.context["sources"]}
    # Page chrome is not counted.
    assert counts == {"lei-jun-on-focus": 3, "the-millet-model": 1}
    html = response.content.decode()
    assert "Lei Jun on focus" in html and "3 passages" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("kind=essay", {"the-millet-model"}),
        ("year_min=2012", {"lei-jun-on-focus"}),
        ("year_max=2012", {"the-millet-model"}),
        ("speaker=fortune-interviewer", {"lei-jun-on-focus"}),
        ("speaker=lei-jun", {"lei-jun-on-focus", "the-millet-model"}),
        ("title=millet", {"the-millet-model"}),
    ],
)
def test_it_filters_sources(client, small_corpus, query, expected):
    response = client.get(f"/sources/?{query}")
    assert response.status_code == 200
    assert {s.slug for s in response.context["sources"]} == expected


@pytest.mark.parametrize("query", ["year_min=abc", "kind=poem", "speaker=nobody", "page=abc"])
def test_it_answers_bad_source_filters_with_a_message_not_a_500(client, small_corpus, query):
    response = client.get(f"/sources/?{query}")
    assert response.status_code == 200
    if query != "page=abc":
        assert "not valid" in response.content.decode()
        assert list(response.context["sources"]) == []


def test_it_lists_sources_in_bounded_queries(client, small_corpus, django_assert_max_num_queries):
    more_quotes(small_corpus.p_focus, 5)
    more_quotes(small_corpus.p_price, 5)
    # Token, speaker lookup, count, the page's ids, its rows, chips.
    with django_assert_max_num_queries(6):
        assert client.get("/sources/?speaker=lei-jun&year_min=2000").status_code == 200


# --- detail -------------------------------------------------------------------------------


def test_it_shows_the_metadata_and_numbered_passages(client, small_corpus):
    response = client.get("/sources/lei-jun-on-focus/")
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Interview", "A. Reporter", "Fortune", "2014", "en"):
        assert label in html
    assert 'href="https://example.com/fortune/lei-jun"' in html
    for n in (2, 3, 4):
        assert f'id="p-{n}"' in html
        assert f'href="#p-{n}"' in html
    assert "¶&nbsp;3" in html
    assert 'id="p-1"' not in html  # page chrome: hidden from readers


def test_it_offers_the_source_cited_in_every_style(client, small_corpus, settings):
    from kb import citations
    from kb.models import Source

    settings.ALLOWED_HOSTS = ["kb.example", "mirror.example"]
    source = Source.objects.get(slug="lei-jun-on-focus")
    html = client.get(f"/sources/{source.slug}/", HTTP_HOST="kb.example").content.decode()
    assert '<h2 id="cite-title">Cite</h2>' in html
    assert "http://kb.example/sources/lei-jun-on-focus/</a>" in html  # the permalink
    for style in citations.styles(source):
        assert f'id="cite-{style.key}"' in html
    assert "@misc{lei-jun-on-focus," in html
    # The page's cached fragment holds the permalink: another host gets its own.
    html = client.get(f"/sources/{source.slug}/", HTTP_HOST="mirror.example").content.decode()
    assert "http://mirror.example/sources/lei-jun-on-focus/</a>" in html


def test_it_labels_speakers_on_turns(client, small_corpus):
    html = client.get("/sources/lei-jun-on-focus/").content.decode()
    p2, p3, p4 = (html[html.index(f'id="p-{n}"') :][:400] for n in (2, 3, 4))
    assert 'class="speaker"><a href="/people/fortune-interviewer/">Fortune interviewer</a>' in p2
    assert 'class="speaker"><a href="/people/lei-jun/">Lei Jun</a>' in p3
    assert 'class="speaker"' not in p4  # the same turn goes on


def test_it_marks_published_quotes_with_links_to_them(client, small_corpus):
    html = client.get("/sources/lei-jun-on-focus/").content.decode()
    q = small_corpus.q_focus
    assert (
        f'<mark><a href="/quotes/{q.pk}/">We focus on a few products &amp; make each one great.'
        "</a></mark>" in html
    )
    assert f'<mark><a href="/quotes/{small_corpus.q_price.pk}/">Price close to cost' in html
    # The draft is text, not a highlight, for readers.
    assert f"/quotes/{small_corpus.q_draft.pk}/" not in html
    assert "we just listen to users." in html


def test_it_marks_draft_quotes_for_staff_only(staff_client, small_corpus):
    html = staff_client.get("/sources/lei-jun-on-focus/").content.decode()
    q = small_corpus.q_draft
    assert (
        f'<mark class="draft"><a href="/quotes/{q.pk}/">we just listen to users.</a></mark>' in html
    )


def test_it_collapses_page_chrome_in_details_for_staff(staff_client, small_corpus):
    html = staff_client.get("/sources/lei-jun-on-focus/").content.decode()
    chrome = small_corpus.p_chrome.text
    block = details_block(html)
    assert "<summary>Page chrome (not part of the source)</summary>" in block
    assert chrome in block
    assert html.count(chrome) == 1


def test_it_hides_page_chrome_from_readers(client, small_corpus):
    html = client.get("/sources/lei-jun-on-focus/").content.decode()
    assert small_corpus.p_chrome.text not in html
    assert "Page chrome" not in html


def test_it_escapes_html_in_the_source_text(client, small_corpus):
    html = client.get("/sources/lei-jun-on-focus/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_escapes_html_inside_a_highlighted_quote(client, db):
    source, (passage,) = build_source(
        "Tags", [(None, False, 'He said <b onclick="x()">bold</b> & left.')], speakers={}
    )
    start = passage.text.index("<b")
    end = passage.text.index("</b>") + 4
    Quote.objects.create(
        text=passage.text[start:end],
        source=source,
        passage=passage,
        start=start,
        end=end,
        status="published",
    )
    html = client.get(source.get_absolute_url()).content.decode()
    assert "<b onclick" not in html
    assert "&lt;b onclick=&quot;x()&quot;&gt;bold&lt;/b&gt;</a></mark> &amp; left." in html


def test_it_is_404_for_an_unknown_source(client, small_corpus):
    response = client.get("/sources/nope/")
    assert response.status_code == 404
    assert "This page is not here" in response.content.decode()


def test_it_reads_a_source_in_bounded_queries(client, small_corpus, django_assert_max_num_queries):
    # +1: the content version (kb.cache)
    with django_assert_max_num_queries(5):
        client.get("/sources/lei-jun-on-focus/")
    # More quotes in the source do not mean more queries.
    for _ in range(3):
        more_quotes(small_corpus.p_focus, 3)
    # +1: the content version (kb.cache)
    with django_assert_max_num_queries(5):
        assert client.get("/sources/lei-jun-on-focus/").status_code == 200


def test_it_has_a_print_stylesheet_that_hides_the_nav():
    from pathlib import Path

    css = (Path(__file__).resolve().parent.parent / "static/css/site.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert ".site-header" in print_rules and "display: none" in print_rules


# --- one passage --------------------------------------------------------------------------


def test_it_shows_a_passage_with_its_neighbours(client, small_corpus):
    response = client.get("/sources/lei-jun-on-focus/p/3/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="p-2"' in html and 'id="p-3"' in html and 'id="p-4"' in html
    assert "<mark><a href=" in html
    assert 'href="/sources/lei-jun-on-focus/#p-3"' in html


def test_it_skips_page_chrome_around_a_passage_for_readers(client, small_corpus):
    html = client.get("/sources/lei-jun-on-focus/p/2/").content.decode()
    assert small_corpus.p_chrome.text not in html
    assert 'id="p-1"' not in html and 'id="p-3"' in html


def test_it_hides_a_chrome_passage_from_readers(client, small_corpus):
    assert client.get("/sources/lei-jun-on-focus/p/1/").status_code == 404


def test_it_shows_a_chrome_passage_to_staff_marked(staff_client, small_corpus):
    response = staff_client.get("/sources/lei-jun-on-focus/p/1/")
    assert response.status_code == 200
    assert "not part of the source" in response.content.decode()


def test_it_is_404_for_an_unknown_passage(client, small_corpus):
    assert client.get("/sources/lei-jun-on-focus/p/99/").status_code == 404


def test_it_shows_a_passage_in_bounded_queries(client, small_corpus, django_assert_max_num_queries):
    more_quotes(small_corpus.p_focus, 5)
    # +1: the content version (kb.cache); +1: the related passages' rows (kb.search)
    with django_assert_max_num_queries(7):
        assert client.get("/sources/lei-jun-on-focus/p/3/").status_code == 200


class TestSeedCorpus:
    """Seed checks: the real corpus loaded by ``load_seed_corpus``."""

    def test_it_lists_the_seed_sources(self, client, corpus, django_assert_max_num_queries):
        with django_assert_max_num_queries(6):
            response = client.get("/sources/")
        assert response.status_code == 200
        assert len(response.context["sources"]) == Source.objects.count() > 0

    def test_it_reads_every_seed_source_with_its_quotes_marked(
        self, client, corpus, django_assert_max_num_queries
    ):
        for source in Source.objects.all():
            # +1: the content version (kb.cache)
            with django_assert_max_num_queries(5):
                response = client.get(source.get_absolute_url())
            assert response.status_code == 200
            html = response.content.decode()
            for passage in source.passages.all():
                shown = f'id="p-{passage.number}"' in html
                assert shown is not passage.is_boilerplate
            for quote in Quote.objects.published().filter(source=source):
                assert f'<mark><a href="/quotes/{quote.pk}/">' in html
            assert "Page chrome" not in html

    def test_it_shows_a_seed_passage(self, client, corpus):
        passage = Source.objects.first().passages.public().first()
        url = f"{passage.source.get_absolute_url()}p/{passage.number}/"
        assert client.get(url).status_code == 200


def test_an_earlier_version_is_left_out_of_lists_and_says_which_replaced_it(client, small_corpus):
    from kb.models import Source

    earlier, newer = small_corpus.essay, small_corpus.interview
    Source.objects.filter(pk=earlier.pk).update(superseded_by=newer)
    listed = client.get("/sources/").content.decode()
    assert newer.title in listed and earlier.title not in listed
    assert f"/sources/{earlier.slug}/" not in client.get("/sitemap.xml").content.decode()
    for url in (f"/sources/{earlier.slug}/", f"/sources/{earlier.slug}/p/1/"):
        html = client.get(url).content.decode()
        assert "An earlier version." in html
        assert f'<a href="/sources/{newer.slug}/">{newer.title}</a>' in html
    assert "An earlier version." not in client.get(f"/sources/{newer.slug}/").content.decode()
    rows = client.get("/api/sources/").json()["results"]
    assert {r["slug"]: r["superseded_by"] for r in rows} == {
        earlier.slug: newer.slug,
        newer.slug: None,
    }
    assert client.get(f"/api/sources/{earlier.slug}/").json()["superseded_by"] == newer.slug


# --- a long source, page by page -------------------------------------------------------------


@pytest.fixture
def long_source(db, small_corpus):
    """A source of 2.5 pages of passages, a quote in passage 150."""
    from factories import make_quote

    from kb.views.common import PASSAGES_PER_PAGE

    count = PASSAGES_PER_PAGE * 5 // 2
    paragraphs = [("lei", False, f"Paragraph {n} of the long talk.") for n in range(1, count + 1)]
    source, passages = build_source(
        "A long talk", paragraphs, speakers={"lei": small_corpus.lei}, slug="a-long-talk"
    )
    quote = make_quote(passages[149], "Paragraph 150 of the long talk.", speaker=small_corpus.lei)
    return source, passages, quote


def anchors(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="passage[^"]*" id="p-(\d+)"', html)]


def test_it_pages_a_long_source_by_passage_numbers(client, long_source):
    from kb.views.common import PASSAGES_PER_PAGE as per

    first = client.get("/sources/a-long-talk/").content.decode()
    assert anchors(first) == list(range(1, per + 1))
    assert '<a rel="next" href="?page=2">' in first
    third = client.get("/sources/a-long-talk/?page=3").content.decode()
    assert anchors(third) == list(range(2 * per + 1, 5 * per // 2 + 1))
    assert "Passages</dt><dd>250" in third  # the count is the source's, not the page's
    assert client.get("/sources/a-long-talk/?page=4").status_code == 404
    assert anchors(client.get("/sources/a-long-talk/?page=x").content.decode())[0] == 1


def test_links_to_a_passage_lead_to_the_page_holding_it(client, long_source):
    source, passages, quote = long_source
    # The quote's page and the passage's permalink page link to page 2, at the anchor.
    assert (
        'href="/sources/a-long-talk/?page=2#p-150"'
        in client.get(f"/quotes/{quote.pk}/").content.decode()
    )
    permalink = client.get("/sources/a-long-talk/p/150/")
    assert permalink.status_code == 200
    assert 'href="/sources/a-long-talk/?page=2#p-150"' in permalink.content.decode()
    assert 150 in anchors(client.get("/sources/a-long-talk/?page=2").content.decode())
    # An old link to #p-150 on page 1 (the fragment never reaches the server): the page's
    # script sends the browser to the page holding it.
    html = client.get("/sources/a-long-talk/").content.decode()
    assert re.search(r"Math\.ceil\(Number\(m\[1\]\) / 100\)", html)
    # A short source has one page, no pagination and no script.
    short = client.get("/sources/lei-jun-on-focus/").content.decode()
    assert 'rel="next"' not in short and "location.replace" not in short


def test_a_long_source_page_takes_as_many_queries_as_a_short_one(
    client, long_source, django_assert_max_num_queries
):
    for url in (
        "/sources/a-long-talk/",
        "/sources/a-long-talk/?page=3",
        "/sources/lei-jun-on-focus/",
    ):
        with django_assert_max_num_queries(5):  # token, source, passages, quotes, speakers
            assert client.get(url).status_code == 200
