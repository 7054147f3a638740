"""The read-only JSON API: contract, visibility, filters, errors and query counts."""

import pytest
from api_factories import (  # noqa: F401
    build_small_corpus,
    fresh_throttle_fixture,
    small_corpus_fixture,
)

from kb.models import Claim, Passage, Person, Principle, Quote, Source, Status, Theme

SOURCE_SUMMARY = {
    "slug",
    "title",
    "kind",
    "url",
    "author",
    "publisher",
    "published",
    "year",
    "language",
    "passage_count",
    "superseded_by",
    "html_url",
    "api_url",
}
PASSAGE = {"id", "number", "start", "end", "text", "speaker", "boilerplate", "html_url"}
QUOTE = {
    "id",
    "text",
    "speaker",
    "attribution",
    "source",
    "passage",
    "start",
    "end",
    "themes",
    "status",
    "featured",
    "html_url",
    "api_url",
}
PRINCIPLE = {"slug", "title", "summary", "themes", "claims", "source_count", "html_url", "api_url"}
CLAIM = {"text", "source", "passage", "start", "end", "evidence", "html_url"}
THEME = {"slug", "name", "description", "quote_count", "principle_count", "html_url", "api_url"}
PERSON = {"slug", "name", "description", "aliases", "quote_count", "html_url", "api_url"}
PAGE = {"count", "next", "previous", "results"}


def get_json(client, url, status=200, **params):
    response = client.get(url, params)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def quote_ids(client, **params):
    body = get_json(client, "/api/quotes/", **params)
    return {row["id"] for row in body["results"]}


# --- the contract ---------------------------------------------------------------------


def test_it_lists_the_endpoints_at_the_root(client, db):
    body = get_json(client, "/api/")
    # Passages have no list (they are listed by their source), so no entry either.
    resources = {"sources", "quotes", "principles", "themes", "people"}
    more = {"search", "quotes-export-csv", "quotes-export-jsonl", "schema", "docs"}
    assert set(body) == resources | more
    assert body["quotes"] == "http://testserver/api/quotes/"
    assert body["people"].endswith("/api/people/")
    assert body["search"] == "http://testserver/api/search/"
    for name in more:
        assert client.get(body[name]).status_code == 200, name


def test_it_serializes_the_source_list(client, small_corpus):
    body = get_json(client, "/api/sources/")
    assert set(body) == PAGE
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["slug"] == "lei-jun-on-focus")
    assert set(row) == SOURCE_SUMMARY
    assert row == {
        "slug": "lei-jun-on-focus",
        "title": "Lei Jun on focus",
        "kind": "interview",
        "url": "https://example.com/focus",
        "author": "A. Journalist",
        "publisher": "Fortune",
        "published": "2014-06-01",
        "year": 2014,
        "language": "en",
        "passage_count": 3,
        "superseded_by": None,
        "html_url": "/sources/lei-jun-on-focus/",
        "api_url": "/api/sources/lei-jun-on-focus/",
    }


def test_it_serializes_a_source_with_the_addresses_of_its_text_and_passages(client, small_corpus):
    source = small_corpus.source
    body = get_json(client, "/api/sources/lei-jun-on-focus/")
    assert set(body) == SOURCE_SUMMARY | {"text_url", "passages_url"}
    assert body["text_url"] == "/api/sources/lei-jun-on-focus/text/"
    text = client.get(body["text_url"])
    assert text.status_code == 200 and text["Content-Type"] == "text/plain; charset=utf-8"
    assert b"".join(text.streaming_content).decode("utf-8") == source.text
    assert body["passages_url"] == "/api/sources/lei-jun-on-focus/passages/"
    page = get_json(client, body["passages_url"])
    assert page["count"] == 3 and page["next"] is None
    assert [p["number"] for p in page["results"]] == [1, 2, 3]
    first, second = page["results"][:2]
    assert set(first) == PASSAGE
    assert first["speaker"] == {"name": "Fortune interviewer", "slug": "fortune-interviewer"}
    assert first["boilerplate"] is False
    assert second["html_url"] == "/sources/lei-jun-on-focus/#p-2"
    for row in page["results"]:
        assert source.text[row["start"] : row["end"]] == row["text"]


def test_a_sources_passages_come_a_page_at_a_time_in_a_fixed_number_of_queries(
    client, small_corpus, django_assert_max_num_queries
):
    url = "/api/sources/lei-jun-on-focus/passages/"
    with django_assert_max_num_queries(6):
        page = get_json(client, url + "?page_size=2")
    assert page["count"] == 3 and [p["number"] for p in page["results"]] == [1, 2]
    last = get_json(client, page["next"])
    assert [p["number"] for p in last["results"]] == [3] and last["next"] is None
    assert client.get(url + "?page=9").status_code == 404
    assert client.get("/api/sources/no-such-source/passages/").status_code == 404


def test_it_serializes_a_passage_with_its_quotes_and_neighbours(client, small_corpus):
    first, second, third = small_corpus.passages
    body = get_json(client, f"/api/passages/{second.pk}/")
    assert set(body) == PASSAGE | {"source", "quotes", "previous", "next"}
    assert body["source"] == "lei-jun-on-focus"
    assert body["quotes"] == [small_corpus.focus_quote.pk]  # the draft is not listed
    assert (body["previous"], body["next"]) == (first.pk, third.pk)
    assert get_json(client, f"/api/passages/{first.pk}/")["previous"] is None
    assert get_json(client, f"/api/passages/{third.pk}/")["next"] is None


def test_it_serializes_a_quote(client, small_corpus):
    quote = small_corpus.focus_quote
    body = get_json(client, f"/api/quotes/{quote.pk}/")
    assert set(body) == QUOTE
    assert body == {
        "id": quote.pk,
        "text": "Focus is the first word of our method.",
        "speaker": {"name": "Lei Jun", "slug": "lei-jun"},
        "attribution": "said Lei Jun",
        "source": "lei-jun-on-focus",
        "passage": small_corpus.passages[1].pk,
        "start": quote.start,
        "end": quote.end,
        "themes": ["focus"],
        "status": "published",
        "featured": True,
        "html_url": f"/quotes/{quote.pk}/",
        "api_url": f"/api/quotes/{quote.pk}/",
    }
    assert small_corpus.source.text[body["start"] : body["end"]] == body["text"]
    listed = get_json(client, "/api/quotes/")
    assert set(listed) == PAGE
    assert next(r for r in listed["results"] if r["id"] == quote.pk) == body


def test_it_serializes_a_quote_without_speaker_as_null(client, small_corpus):
    Quote.objects.filter(pk=small_corpus.speed_quote.pk).update(speaker=None)
    body = get_json(client, f"/api/quotes/{small_corpus.speed_quote.pk}/")
    assert body["speaker"] is None
    assert body["themes"] == []


def test_it_serializes_principles_with_claims_and_evidence(client, small_corpus):
    body = get_json(client, "/api/principles/")
    assert body["count"] == 1  # the draft principle is hidden
    (row,) = body["results"]
    assert set(row) == PRINCIPLE
    assert row["slug"] == "do-few-things"
    assert row["themes"] == ["focus"]
    assert row["source_count"] == 2
    assert row["html_url"] == "/principles/do-few-things/"
    assert row["api_url"] == "/api/principles/do-few-things/"
    assert get_json(client, row["api_url"])["slug"] == "do-few-things"
    assert [c["text"] for c in row["claims"]] == ["Focus comes first.", "Ship often."]
    for claim in row["claims"]:
        assert set(claim) == CLAIM
        source = Source.objects.get(slug=claim["source"])
        assert claim["evidence"] == source.text[claim["start"] : claim["end"]]
        assert claim["html_url"].startswith(f"/sources/{source.slug}/#p-")
    assert row["claims"][1]["evidence"] == "We ship an update every Friday"
    assert get_json(client, "/api/principles/do-few-things/") == row


def test_it_serializes_themes_and_people_with_published_counts(client, small_corpus):
    themes = get_json(client, "/api/themes/")
    focus = next(t for t in themes["results"] if t["slug"] == "focus")
    assert set(focus) == THEME
    # One published quote (the draft does not count) and one published principle.
    assert (focus["quote_count"], focus["principle_count"]) == (1, 1)
    assert focus["html_url"] == "/themes/focus/"
    assert focus["api_url"] == "/api/themes/focus/"
    assert get_json(client, "/api/themes/focus/") == focus

    people = get_json(client, "/api/people/")
    lei = next(p for p in people["results"] if p["slug"] == "lei-jun")
    assert set(lei) == PERSON
    assert lei["quote_count"] == 4
    assert lei["aliases"] == ["Lei", "lei jun"]
    assert lei["html_url"] == "/people/lei-jun/"
    assert get_json(client, "/api/people/lei-jun/") == lei
    assert get_json(client, "/api/people/fortune-interviewer/")["quote_count"] == 0


# --- visibility ------------------------------------------------------------------------


def test_it_hides_drafts_from_anonymous_users(client, small_corpus):
    draft = small_corpus.draft_quote
    assert draft.pk not in quote_ids(client)
    assert quote_ids(client) == {
        small_corpus.focus_quote.pk,
        small_corpus.friends_quote.pk,
        small_corpus.price_quote.pk,
        small_corpus.speed_quote.pk,
    }
    body = get_json(client, f"/api/quotes/{draft.pk}/", status=404)
    assert "detail" in body
    get_json(client, "/api/principles/unfinished-idea/", status=404)


def test_it_shows_drafts_to_staff(staff_client, small_corpus):
    draft = small_corpus.draft_quote
    assert draft.pk in quote_ids(staff_client)
    assert get_json(staff_client, f"/api/quotes/{draft.pk}/")["status"] == "draft"
    body = get_json(staff_client, "/api/principles/unfinished-idea/")
    (claim,) = body["claims"]
    assert claim["passage"] is None and claim["source"] is None and claim["evidence"] == ""


# --- filters ---------------------------------------------------------------------------


def test_it_filters_quotes_by_themes_all_or_any(client, small_corpus):
    c = small_corpus
    assert quote_ids(client, theme=["users-as-friends", "pricing"]) == {c.price_quote.pk}
    assert quote_ids(client, theme=["users-as-friends", "pricing"], theme_match="all") == {
        c.price_quote.pk
    }
    assert quote_ids(client, theme=["focus", "pricing"], theme_match="any") == {
        c.focus_quote.pk,
        c.price_quote.pk,
    }
    body = get_json(
        client, "/api/quotes/", theme=["users-as-friends", "pricing"], theme_match="any"
    )
    assert body["count"] == 2  # no duplicate rows for a quote in both themes


def test_it_filters_quotes_by_speaker_source_kind_and_featured(client, small_corpus):
    c = small_corpus
    assert quote_ids(client, speaker="fortune-interviewer") == set()
    assert len(quote_ids(client, speaker="lei-jun")) == 4
    assert quote_ids(client, source="speed-essay") == {c.speed_quote.pk}
    assert quote_ids(client, kind="essay") == {c.speed_quote.pk}
    assert quote_ids(client, featured="true") == {c.focus_quote.pk}


def test_it_filters_quotes_by_year_range(client, small_corpus):
    c = small_corpus
    assert quote_ids(client, year=2011) == {c.speed_quote.pk}
    assert quote_ids(client, year_min=2012) == {
        c.focus_quote.pk,
        c.friends_quote.pk,
        c.price_quote.pk,
    }
    assert quote_ids(client, year_max=2013) == {c.speed_quote.pk}
    assert quote_ids(client, year_min=2015) == set()


def test_it_searches_quote_words(client, small_corpus):
    c = small_corpus
    assert quote_ids(client, q="friends") == {c.friends_quote.pk, c.price_quote.pk}
    assert quote_ids(client, q="friends cost") == {c.price_quote.pk}
    assert quote_ids(client, q="nothing-like-this") == set()


def test_it_orders_quotes(client, small_corpus):
    body = get_json(client, "/api/quotes/", ordering="oldest")
    assert body["results"][0]["source"] == "speed-essay"
    body = get_json(client, "/api/quotes/", ordering="newest")
    assert body["results"][-1]["source"] == "speed-essay"


def test_it_filters_sources(client, small_corpus):
    body = get_json(client, "/api/sources/", kind="essay")
    assert [r["slug"] for r in body["results"]] == ["speed-essay"]
    body = get_json(client, "/api/sources/", speaker="fortune-interviewer")
    assert [r["slug"] for r in body["results"]] == ["lei-jun-on-focus"]
    body = get_json(client, "/api/sources/", year_min=2012, title="focus")
    assert [r["slug"] for r in body["results"]] == ["lei-jun-on-focus"]


def test_it_ignores_unknown_parameters(client, small_corpus):
    assert len(quote_ids(client, colour="blue", utm_source="x")) == 4


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, name",
    [
        ({"year": "abc"}, "year"),
        ({"year_min": "x"}, "year_min"),
        ({"theme": "no-such-theme"}, "theme"),
        ({"speaker": "nobody"}, "speaker"),
        ({"kind": "novel"}, "kind"),
        ({"theme_match": "some"}, "theme_match"),
        ({"ordering": "random"}, "ordering"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_it_answers_400_naming_a_malformed_parameter(client, small_corpus, params, name):
    body = get_json(client, "/api/quotes/", status=400, **params)
    assert list(body) == [name]
    assert isinstance(body[name], list) and body[name]


YEAR_MESSAGE = "Enter a year as a whole number, such as 2014."


def test_it_says_enter_a_year_for_year_abc(client, small_corpus):
    assert get_json(client, "/api/quotes/", status=400, year="abc") == {"year": [YEAR_MESSAGE]}


def test_it_answers_400_for_a_malformed_source_filter(client, small_corpus):
    assert "year_min" in get_json(client, "/api/sources/", status=400, year_min="soon")


@pytest.mark.parametrize("page", ["999", "abc", "0", "-1", "99999999999999999999999"])
def test_it_answers_json_404_for_a_page_out_of_range(client, small_corpus, page):
    body = get_json(client, "/api/quotes/", status=404, page=page)
    assert set(body) == {"detail"}


def test_it_answers_json_errors_even_to_a_browser(client, small_corpus):
    response = client.get("/api/quotes/", {"page": "999"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    response = client.get("/api/quotes/", {"year": "abc"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 400
    assert response.json() == {"year": [YEAR_MESSAGE]}


@pytest.mark.parametrize(
    "url",
    [
        "/api/quotes/0/",
        "/api/quotes/abc/",
        "/api/quotes/99999999999999999999999/",
        "/api/sources/no-such-source/",
        "/api/passages/abc/",
        "/api/principles/nope/",
        "/api/themes/nope/",
        "/api/people/nope/",
        "/api/no-such-endpoint/",
        "/api/quotes/1/extra/",
    ],
)
def test_it_answers_json_404_for_unknown_objects(client, small_corpus, url):
    assert "detail" in get_json(client, url, status=404)


@pytest.mark.parametrize(
    "params",
    [
        {"year": "99999999999999999999999"},
        {"year_min": "-99999999999999999999"},
        {"year": "1e400"},
        {"year": "NaN"},
        {"q": "x" * 5000},
        {"q": "% _ \\ ' \" ;--"},
        {"theme": ["focus"] * 30},
        {"page": "1", "ordering": ""},
        {"featured": "maybe"},
    ],
)
def test_it_never_answers_500_to_odd_input(client, small_corpus, params):
    response = client.get("/api/quotes/", params)
    assert response.status_code in (200, 400), response.content[:300]
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("value", ["2014.5", "99999999999999999999999", "-1", "1e3"])
def test_a_year_is_a_whole_number(client, small_corpus, value):
    for url in ("/api/quotes/", "/api/sources/"):
        body = get_json(client, url, status=400, year_min=value)
        assert "year_min" in body
    assert get_json(client, "/api/quotes/", year="2014.0")["count"] == len(
        get_json(client, "/api/quotes/", year="2014")["results"]
    )


def test_it_is_read_only(client, staff_client, small_corpus):
    assert client.post("/api/quotes/", {"text": "x"}).status_code == 405
    url = f"/api/quotes/{small_corpus.focus_quote.pk}/"
    assert staff_client.delete(url).status_code == 405
    assert client.get(url).status_code == 200


# --- query counts ----------------------------------------------------------------------


def add_rows(corpus, n):
    """``n`` more published quotes, themes, people, principles and sources."""
    source, passage = corpus.source, corpus.passages[2]
    words = "We price close to cost so that friends tell friends."
    base = source.text.find(words)
    for i in range(n):
        person = Person.objects.create(name=f"Person {i}")
        theme = Theme.objects.create(name=f"Theme {i}")
        start, end = base + i % 10, base + len(words) - i // 10 - 1
        Quote.objects.create(
            text=source.text[start:end],
            source=source,
            passage=passage,
            start=start,
            end=end,
            speaker=person,
            status=Status.PUBLISHED,
        ).themes.set([theme, corpus.pricing])
        principle = Principle.objects.create(title=f"Principle {i}", status=Status.PUBLISHED)
        principle.themes.set([theme])
        Claim.objects.create(
            principle=principle, text="Price.", passage=passage, start=start, end=end
        )
        extra = Source.objects.create(title=f"Extra {i}", year=2000 + i, text=f"Extra text {i}.")
        Passage.objects.create(
            source=extra, number=1, start=0, end=len(extra.text), text=extra.text, speaker=person
        )


@pytest.mark.parametrize(
    "url",
    [
        "/api/sources/",
        "/api/sources/lei-jun-on-focus/",
        "/api/quotes/",
        "/api/quotes/?theme=pricing&theme=users-as-friends&theme_match=any&q=friends&ordering=speaker",
        "/api/principles/",
        "/api/themes/",
        "/api/people/",
    ],
)
def test_it_runs_a_bounded_number_of_queries(
    client, small_corpus, django_assert_max_num_queries, url
):
    add_rows(small_corpus, 30)
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    if "results" in body:
        assert len(body["results"]) >= 3


def test_it_runs_as_many_queries_for_many_rows_as_for_few(client, small_corpus):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = ["/api/quotes/", "/api/principles/", "/api/themes/", "/api/people/", "/api/sources/"]
    before = {url: count(url) for url in urls}
    add_rows(small_corpus, 20)
    assert {url: count(url) for url in urls} == before


def test_it_paginates_by_fifty(client, small_corpus):
    add_rows(small_corpus, 60)
    body = get_json(client, "/api/quotes/")
    assert body["count"] == 64
    assert get_json(client, "/api/sources/")["count"] == 62
    assert len(body["results"]) == 50
    assert body["next"].endswith("/api/quotes/?page=2")
    second = get_json(client, "/api/quotes/", page=2)
    assert len(second["results"]) == 14 and second["next"] is None
    assert second["previous"] is not None


# --- the seeded corpus -----------------------------------------------------------------


def test_it_serves_every_endpoint_on_the_seeded_corpus(client, corpus):
    for url in ["/api/", "/api/sources/", "/api/quotes/", "/api/principles/"]:
        get_json(client, url)
    for url in ["/api/themes/", "/api/people/"]:
        for row in get_json(client, url)["results"]:
            get_json(client, row["api_url"])
    for row in get_json(client, "/api/sources/")["results"]:
        source = get_json(client, row["api_url"])
        passages = get_json(client, source["passages_url"])
        assert passages["count"] == row["passage_count"] > 0
        get_json(client, f"/api/passages/{passages['results'][0]['id']}/")
    for row in get_json(client, "/api/principles/")["results"]:
        get_json(client, f"/api/principles/{row['slug']}/")


def test_it_lists_at_least_twenty_published_quotes_of_the_seeded_corpus(client, corpus):
    body = get_json(client, "/api/quotes/")
    assert body["count"] >= 20
    texts = {s.slug: s.text for s in Source.objects.all()}
    for row in body["results"]:
        assert row["status"] == "published"
        assert texts[row["source"]][row["start"] : row["end"]] == row["text"]
        get_json(client, f"/api/quotes/{row['id']}/")


def test_it_gives_seeded_claims_their_exact_evidence(client, corpus):
    texts = {s.slug: s.text for s in Source.objects.all()}
    body = get_json(client, "/api/principles/")
    assert body["count"] >= 1
    claims = [claim for row in body["results"] for claim in row["claims"]]
    assert claims
    for claim in claims:
        assert claim["evidence"] == texts[claim["source"]][claim["start"] : claim["end"]]
        assert claim["evidence"]


def test_it_builds_a_small_corpus_with_exact_spans(db):
    corpus = build_small_corpus()
    assert corpus.source.passages.count() == 3
    for quote in Quote.objects.select_related("source"):
        assert quote.source.text[quote.start : quote.end] == quote.text
        quote.full_clean()


@pytest.mark.parametrize(
    ("page", "why"),
    [("0", "less than 1"), ("abc", "not an integer"), ("99", "contains no results")],
)
def test_a_bad_page_says_why(client, small_corpus, page, why):
    for url, params in (("/api/quotes/", {}), ("/api/search/", {"q": "focus"})):
        body = client.get(url, {**params, "page": page})
        assert body.status_code == 404
        assert why in body.json()["detail"]


@pytest.mark.parametrize(
    "url", ['https://example.com/a"b', "https://example.com/<script>", "https://example.com/a b"]
)
def test_a_source_url_must_be_a_uri(small_corpus, url):
    from django.core.exceptions import ValidationError

    source = small_corpus.source
    source.url = url
    with pytest.raises(ValidationError) as refused:
        source.full_clean()
    assert "url" in refused.value.message_dict
    source.url = "https://example.com/a%22b%3Cscript%3E"
    source.full_clean()
