"""GET /api/search/: the site's search as JSON, and /api/quotes/?q= searching the same way."""

import pytest
from api_factories import fresh_throttle_fixture  # noqa: F401
from django.test import Client
from factories import small_corpus_fixture  # noqa: F401
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_index import search_index_fixture  # noqa: F401
from test_search_views import HOSTILE

from kb.models import Quote

pytestmark = pytest.mark.django_db

FIELDS = {"type", "id", "title", "snippet", "source", "passage", "html_url", "matched"}


def get_json(client, path="/api/search/", status=200, **params):
    response = client.get(path, params)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_it_searches_every_type_best_first(client, corpus, search_index):
    body = get_json(client, q="sincerity")
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] > 20
    assert body["previous"] is None
    results = body["results"]
    assert all(set(hit) == FIELDS for hit in results)
    types = [hit["type"] for hit in results]
    assert types == sorted(types, key=["quote", "passage", "principle", "source"].index)
    assert "<mark>" in results[0]["snippet"].lower()


def test_it_searches_one_type(client, corpus, search_index):
    body = get_json(client, q="sincerity", type="passage")
    assert body["count"] > 0
    for hit in body["results"]:
        assert hit["type"] == "passage"
        assert hit["passage"] == hit["id"]
        assert hit["html_url"].startswith(f"/sources/{hit['source']}/#p-")
    quote = get_json(client, q="sincerity", type="quote")["results"][0]
    stored = Quote.objects.get(pk=quote["id"])
    assert quote["passage"] == stored.passage_id and quote["source"] == stored.source.slug
    assert quote["html_url"] == f"/quotes/{stored.pk}/"
    principle = get_json(client, q="sincerity", type="principle")["results"][0]
    assert principle["source"] is None and principle["passage"] is None
    assert principle["html_url"].startswith("/principles/")
    source = get_json(client, q="Fortune", type="source")["results"][0]
    assert source["html_url"] == f"/sources/{source['source']}/"


def test_it_pages_across_types(client, corpus, search_index):
    everything = get_json(client, q="Millet", page_size=20)  # 9 + 13 + 8 + 2 hits
    assert everything["count"] > 20 and everything["next"]
    second = client.get(everything["next"]).json()
    assert second["previous"]
    first_keys = {(h["type"], h["id"]) for h in everything["results"]}
    second_keys = {(h["type"], h["id"]) for h in second["results"]}
    assert not first_keys & second_keys
    assert len(first_keys) + len(second_keys) == everything["count"]
    assert get_json(client, status=404, q="Millet", page=99)


def test_it_refuses_an_unknown_type(client, corpus, search_index):
    body = get_json(client, status=400, q="sincerity", type="bogus")
    assert "type" in body


def test_it_refuses_an_unknown_theme(client, corpus, search_index):
    assert "theme" in get_json(client, status=400, q="sincerity", theme="nope")
    narrowed = get_json(client, q="sincerity", theme="pricing", type="quote")
    assert 0 < narrowed["count"] < get_json(client, q="sincerity", type="quote")["count"]


def test_it_gives_nothing_for_an_empty_query(client, corpus, search_index):
    assert get_json(client) == {"count": 0, "next": None, "previous": None, "results": []}


def test_it_hides_boilerplate_and_drafts_from_readers(staff_client, corpus, search_index):
    reader = Client()
    assert get_json(reader, q="Alibaba Cloud", type="passage")["count"] == 0
    phrase = '"feature is very popular"'
    assert get_json(reader, q=phrase, type="quote")["count"] == 0
    # The index holds what readers see: drafts are curated in the admin.
    assert get_json(staff_client, q=phrase, type="quote")["count"] == 0


def test_it_answers_503_while_the_index_is_rebuilt(client, corpus, settings, tmp_path):
    from kb.search import index

    settings.KB_SEARCH_INDEX = tmp_path / "none"
    settings.KB_SEARCH_EAGER = False
    index.forget_open_index()
    body = get_json(client, status=503, q="sincerity")
    assert body["detail"] == "Search is being rebuilt: try again in a minute."


def test_it_filters_by_source_kind_and_year_and_says_why(client, small_corpus, search_index):
    assert get_json(client, q="focus", kind="essay", type="quote")["count"] == 1
    assert "year" in get_json(client, status=400, q="focus", year="nineteen")
    by_theme = get_json(client, q="pricing", type="quote")["results"]
    assert {hit["matched"] for hit in by_theme} >= {"", "theme Pricing"}


def test_it_searches_the_quote_api_the_same_way(client, corpus, search_index):
    by_xiaomi = get_json(client, "/api/quotes/", q="Xiaomi")
    by_millet = get_json(client, "/api/quotes/", q="Millet")
    assert by_xiaomi["count"] == by_millet["count"] > 0
    stemmed = get_json(client, "/api/quotes/", q="prices")
    assert any("price" in quote["text"].lower() for quote in stemmed["results"])
    excluded = get_json(client, "/api/quotes/", q="sincerity -price")
    assert excluded["count"] > 0
    assert not any("price" in quote["text"].lower() for quote in excluded["results"])


@pytest.mark.parametrize("raw", HOSTILE)
@pytest.mark.parametrize("path", ["/api/search/", "/api/quotes/"])
def test_it_never_fails_on_hostile_input(client, small_corpus, search_index, raw, path):
    response = client.get(path, {"q": raw})
    # A NUL is refused as a client error by every API endpoint; anything else is searched.
    assert response.status_code == (400 if "\x00" in raw else 200)
    response.json()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=st.text(max_size=300), kind=st.sampled_from(["", "quote", "passage", "principle"]))
def test_it_never_fails_on_any_text(client, small_corpus, search_index, raw, kind):
    response = client.get("/api/search/", {"q": raw, "type": kind})
    assert response.status_code == (400 if "\x00" in raw else 200)
    response = client.get("/api/quotes/", {"q": raw})
    assert response.status_code == (400 if "\x00" in raw else 200)
