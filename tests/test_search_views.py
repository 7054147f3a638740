"""The /search/ page, and the quote list's ``q`` searching the same way (on the tantivy index:
tests/search_index.py)."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from factories import small_corpus_fixture  # noqa: F401
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_index import search_index_fixture  # noqa: F401

from kb.models import Quote

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    " ",
    '"',
    '"unbalanced phrase',
    "*",
    "price*",
    "NEAR(",
    "NEAR(price sincerity, 3)",
    "^price",
    "title:price",
    "((price",
    "price))",
    "OR",
    "- -price",
    "AND OR NOT",
    "' OR 1=1; --",
    "1; DROP TABLE kb_quote; --",
    "%_\\",
    "\x00",
    "price\x00millet",
    "x" * 10_000,
    "millet " * 2_000,
    "🙂 雷军 小米 ñandú",
    "\u202e\ufeff\u200b\ud7ff",
    "<script>alert(1)</script>",
]
PAGES = ["/search/?q={}", "/quotes/?q={}", "/search/?type=passage&q={}"]


def get(client, path, **params):
    return client.get(path, params)


def test_it_explains_the_search_for_an_empty_query(client, corpus, search_index):
    response = client.get("/search/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'action="/search/"' in html and 'name="q"' in html
    assert "word of mouth" in html
    assert "/search/?q=Millet" in html
    assert response.context["results"].total == 0


def test_it_shows_the_best_hits_of_every_type_with_counts(client, corpus, search_index):
    response = get(client, "/search/", q="sincerity")
    assert response.status_code == 200
    results = response.context["results"]
    html = response.content.decode()
    for kind in ("quote", "passage", "principle"):
        count = results.counts[kind]
        assert count
        assert re.search(rf'type={kind}"[^>]*>\w+ <span class="count">{count}</span>', html)
    assert html.count('class="card quote-card') == 5
    assert "<mark>sincerity</mark>" in html.lower()
    # Each hit links to its exact place.
    hits = results.hits
    passage = next(h for h in hits if h.type == "passage")
    assert f'href="{passage.url}"' in html and "#p-" in passage.url
    quote = next(h for h in hits if h.type == "quote")
    assert f'href="/quotes/{quote.id}/"' in html
    principle = next(h for h in hits if h.type == "principle")
    assert f'href="/principles/{principle.obj.slug}/"' in html
    assert "?q=sincerity&amp;type=quote" in html  # "All n quotes →"


def test_it_pages_one_type_keeping_the_query(client, corpus, search_index):
    # (Millet is no longer in every quote: a quote does not match through its source's title)
    response = get(client, "/search/", q="the", type="quote")
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == response.context["results"].counts["quote"] > 20
    html = unescape(response.content.decode())
    assert '<a rel="next" href="?q=the&type=quote&page=2">' in html
    second = get(client, "/search/", q="the", type="quote", page=2)
    assert second.status_code == 200
    first_ids = {h.id for h in page.object_list}
    second_ids = {h.id for h in second.context["page"].object_list}
    assert first_ids and second_ids and not first_ids & second_ids
    assert get(client, "/search/", q="the", type="quote", page=99).status_code == 404


def test_it_narrows_by_a_facet(client, corpus, search_index):
    response = get(client, "/search/", q="sincerity")
    html = unescape(response.content.decode())
    assert 'href="?q=sincerity&theme=pricing"' in html
    narrowed = get(client, "/search/", q="sincerity", theme="pricing")
    results = narrowed.context["results"]
    assert results.theme.slug == "pricing"
    assert 0 < results.counts["quote"] < response.context["results"].counts["quote"]
    assert 'href="?q=sincerity"' in unescape(narrowed.content.decode())  # remove the filter
    by_speaker = get(client, "/search/", q="countries", speaker="fortune-interviewer")
    assert by_speaker.context["results"].counts["passage"] > 0
    unknown = get(client, "/search/", q="sincerity", theme="nope")
    assert unknown.status_code == 200 and "No theme “nope”" in unknown.content.decode()


FACET_LINK = re.compile(r'<a href="\?([^"]+)">[^<]+ <span class="count">([\d,]+)</span></a>')


@pytest.mark.parametrize("tab", ["", "quote", "passage", "principle", "source"])
def test_a_facet_shows_what_choosing_it_keeps_on_that_tab(client, corpus, search_index, tab):
    params = {"q": "Millet", **({"type": tab} if tab else {})}
    html = unescape(get(client, "/search/", **params).content.decode())
    facets = html[html.index('class="search-facets"') :]
    links = FACET_LINK.findall(facets[: facets.index("</aside>")])
    assert links, "no facet shown"
    for query, count in links:
        chosen = client.get(f"/search/?{query}")
        results = chosen.context["results"]
        kept = results.counts[tab] if tab else results.total
        assert int(count.replace(",", "")) == kept, query


def test_a_tab_says_how_many_of_its_kind_it_lists(client, corpus, search_index):
    response = get(client, "/search/", q="Millet", type="quote")
    counts = response.context["results"].counts
    assert counts["passage"]  # the other kinds' matches are not this tab's
    status = re.search(r'<p class="count" role="status">(.*?)</p>', response.content.decode())
    assert status.group(1).startswith(f"{counts['quote']} quotes for “Millet”")
    one = get(client, "/search/", q="Millet", type="source")
    assert re.search(r'role="status">\d+ sources? for', one.content.decode())


def test_it_shows_results_for_the_corrected_word(client, corpus, search_index):
    response = get(client, "/search/", q="sincerety")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Showing results for <strong>sincerity</strong>" in html
    assert response.context["results"].counts["quote"] > 0
    assert "<mark>sincerity</mark>" in html.lower()


def test_it_helps_when_nothing_matches(client, corpus, search_index):
    response = get(client, "/search/", q="zqxjv")
    assert response.status_code == 200
    assert "Nothing matches “zqxjv”" in response.content.decode()


def test_it_says_search_is_being_rebuilt_when_the_index_is_missing(
    client, corpus, settings, tmp_path
):
    from kb.search import index

    settings.KB_SEARCH_INDEX = tmp_path / "none"
    settings.KB_SEARCH_EAGER = False
    index.forget_open_index()
    response = get(client, "/search/", q="sincerity")
    assert response.status_code == 503
    assert "Search is being rebuilt" in response.content.decode()
    assert get(client, "/search/").status_code == 200  # the help needs no index
    listed = get(client, "/quotes/", q="sincerity")
    assert listed.status_code == 200 and not listed.context["page"].object_list


def test_it_shows_why_a_quote_matched_without_rewriting_it(client, small_corpus, search_index):
    response = get(client, "/search/", q="pricing", type="quote")
    html = response.content.decode()
    hits = response.context["page"].object_list
    by_theme = [hit for hit in hits if hit.matched == "theme Pricing"]
    assert by_theme and "Matched: theme Pricing" in html
    for hit in hits:
        assert "<mark>" not in hit.obj.text  # the snippet is the template's, not the row's


def test_it_shows_every_kind_for_an_unknown_type(client, corpus, search_index):
    response = get(client, "/search/", q="sincerity", type="bogus")
    assert response.status_code == 200
    assert "no such kind of result" in response.content.decode()


def test_it_escapes_the_text_around_the_marks(client, small_corpus, search_index):
    response = get(client, "/search/", q="listen", type="passage")
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "<mark>listen</mark>" in html


def test_it_hides_boilerplate_and_drafts(staff_client, corpus, search_index):
    client = Client()
    response = get(client, "/search/", q="Alibaba Cloud")
    assert response.context["results"].counts["passage"] == 0
    phrase = '"feature is very popular"'
    assert get(client, "/search/", q=phrase).context["results"].counts["quote"] == 0
    # Drafts are curated in the admin: the index holds what readers see, for staff too.
    assert get(staff_client, "/search/", q=phrase).context["results"].counts["quote"] == 0


def test_it_searches_the_quote_list_the_same_way(client, corpus, search_index):
    millet = get(client, "/quotes/", q="Xiaomi")
    assert millet.status_code == 200
    listed = {q.pk for q in millet.context["page"].paginator.object_list}
    saying = {q.pk for q in Quote.objects.published() if "millet" in q.text.lower()}
    assert saying <= listed
    stemmed = get(client, "/quotes/", q="prices")
    assert any("price" in q.text.lower() for q in stemmed.context["quotes"])


def test_it_counts_queries_whatever_the_query(
    client, corpus, search_index, django_assert_max_num_queries
):
    search_index.pause()  # the tests' in-process indexing reads the outbox: not a reader's
    counts = []
    for query in ("sincerity", " ".join(["sincerity", "millet", "users", "price", "OR"] * 3)):
        with CaptureQueriesContext(connection) as captured:
            assert get(client, "/search/", q=query).status_code == 200
        counts.append(len(captured))
    # A fixed number of SQL queries a page, however many words, hits and facets: the index
    # answers the counts and facets; the database the aliases (1), a filter's row (1), one
    # query a type and its prefetches (quotes 2, passages 1, principles 3, sources 1) and
    # one a facet's names (themes, people, sources).
    assert max(counts) <= 13
    with django_assert_max_num_queries(13):
        assert get(client, "/search/", q="Millet", theme="pricing").status_code == 200
    with django_assert_max_num_queries(8):
        assert get(client, "/search/", q="Millet", type="quote").status_code == 200


@pytest.mark.parametrize("raw", HOSTILE)
@pytest.mark.parametrize("page", PAGES)
def test_it_never_fails_on_hostile_input(client, small_corpus, search_index, raw, page):
    response = client.get(page.split("?")[0], {"q": raw, **_rest(page)})
    assert response.status_code == 200


def _rest(page: str) -> dict:
    query = page.split("?", 1)[1]
    return dict(part.split("=", 1) for part in query.split("&") if not part.startswith("q="))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=st.text(max_size=300))
def test_it_never_fails_on_any_text(client, small_corpus, search_index, raw):
    for path in ("/search/", "/quotes/"):
        assert client.get(path, {"q": raw}).status_code == 200
