"""What researchers asked of the API: reading it from another site's page (CORS), choosing
the results per page (``page_size``), and old slugs answering 301 as the pages do."""

import pytest
from api_factories import (  # noqa: F401
    fresh_throttle_fixture,
    make_claim,
    small_corpus_fixture,
)
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from test_moved_pages import renamed

from kb.api.pagination import MAX_PAGE_SIZE
from kb.models import Principle, Status, Theme

ORIGIN = "https://notebook.research.example"


def cross_site(client, url, method="get", **extra):
    """A request as a page on another site sends it (with its Origin)."""
    return getattr(client, method)(url, HTTP_ORIGIN=ORIGIN, **extra)


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}


def assert_readable_by_other_sites(response):
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.has_header("Access-Control-Allow-Credentials")
    # Without an Origin there is no CORS header: shared caches must keep the two apart.
    assert "origin" in vary(response)


def assert_not_cors(response):
    assert not any(name.lower().startswith("access-control-") for name in response.headers)
    assert "origin" not in vary(response)


@pytest.fixture
def staff_token(django_user_model):
    user = django_user_model.objects.create_user("researcher", is_staff=True)
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}


# --- CORS ------------------------------------------------------------------------------


def api_and_export_urls(corpus) -> list[str]:
    quote, source = corpus.focus_quote, corpus.source
    return [
        "/api/",
        "/api/quotes/?theme=focus",
        f"/api/quotes/{quote.pk}/",
        f"/api/quotes/{quote.pk}/cite/?style=bibtex",
        f"/api/sources/{source.slug}/",
        f"/api/sources/{source.slug}/cite/?style=apa",
        f"/api/passages/{corpus.passages[1].pk}/",
        "/api/themes/",
        "/api/people/",
        "/api/principles/",
        "/api/search/?q=focus",
        "/api/schema/",
        "/api/quotes/export.csv",
        "/api/quotes/export.jsonl?speaker=lei-jun",
        "/quotes/export.csv?theme=focus",
        "/quotes/export.jsonl",
    ]


@pytest.mark.parametrize("method", ["get", "head"])
def test_it_lets_other_sites_read_the_api_and_the_exports(client, small_corpus, method):
    for url in api_and_export_urls(small_corpus):
        response = cross_site(client, url, method)
        assert response.status_code == 200, url
        assert_readable_by_other_sites(response)
        if url.startswith("/api/"):
            # What the API varied on before stays (kb.api.caching; DRF's Accept).
            assert {"cookie", "authorization"} <= vary(response), url
    # What a script may read besides the safelisted headers: the validator, the wait of a
    # throttled client, an export's file name.
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {"etag", "retry-after", "content-disposition"}


def test_a_staff_token_from_another_site_gets_a_private_answer(client, small_corpus, staff_token):
    response = cross_site(client, "/api/quotes/", **staff_token)
    assert response.status_code == 200 and response.json()["count"] == 5  # the draft too
    assert_readable_by_other_sites(response)
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}


def test_the_apis_refusals_and_redirects_are_readable_too(client, small_corpus):
    """A page on another site can read why it was refused, and follow a redirect (a browser
    follows a cross-origin redirect only if the redirect itself allows the origin)."""
    answers = {
        "not found": cross_site(client, "/api/quotes/999999/"),
        "bad filter": cross_site(client, "/api/quotes/?year=abc"),
        "too long": cross_site(client, "/api/quotes/?q=" + "x" * 33_000),  # middleware's 414
        "no slash": cross_site(client, "/api/quotes"),  # APPEND_SLASH's redirect
    }
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {"not found": 404, "bad filter": 400, "too long": 414, "no slash": 301}
    for response in answers.values():
        assert_readable_by_other_sites(response)


def test_a_throttled_answer_is_readable_too(client, small_corpus, settings):
    settings.KB_API_ANON_RATE = "1/min"
    assert cross_site(client, "/api/themes/").status_code == 200
    throttled = cross_site(client, "/api/themes/")
    assert throttled.status_code == 429 and throttled.has_header("Retry-After")
    assert_readable_by_other_sites(throttled)


@pytest.mark.parametrize(
    "url", ["/api/quotes/", "/api/sources/lei-jun-on-focus/", "/quotes/export.csv"]
)
def test_it_answers_a_preflight(client, small_corpus, url):
    response = cross_site(
        client,
        url,
        "options",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-none-match",
    )
    assert response.status_code == 200 and response.content == b""
    assert_readable_by_other_sites(response)
    methods = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}  # read-only: no POST, PUT or DELETE
    headers = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "if-none-match"} <= headers
    assert int(response["Access-Control-Max-Age"]) > 0
    # The site's own headers still come with it.
    assert response.has_header("Content-Security-Policy")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_and_the_admin_send_no_cors_headers(client, small_corpus, settings):
    theme = small_corpus.focus
    urls = [
        "/",
        "/quotes/",
        "/quotes/?theme=focus",
        f"/themes/{theme.slug}/",
        f"/sources/{small_corpus.source.slug}/",
        "/search/?q=focus",
        "/feeds/quotes.atom",
        "/" + settings.ADMIN_PATH + "login/",
        "/healthz",
    ]
    for url in urls:
        # Twice: the second answer of a public page comes whole from the page cache.
        for _ in range(2):
            response = cross_site(client, url)
            assert response.status_code == 200, url
            assert_not_cors(response)
    preflight = cross_site(client, "/quotes/", "options", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert_not_cors(preflight)


def test_a_cached_list_page_and_a_304_carry_the_header(
    client, small_corpus, django_assert_max_num_queries
):
    url = "/api/quotes/?page_size=2"
    first = client.get(url)  # now in the cache (kb.api.views.CachedListMixin)
    assert first.status_code == 200 and not first.has_header("Access-Control-Allow-Origin")
    with django_assert_max_num_queries(1):  # the content version only: a cache hit
        hit = cross_site(client, url)
    assert hit.status_code == 200 and hit.content == first.content
    assert_readable_by_other_sites(hit)
    assert {"accept", "cookie", "authorization", "origin"} <= vary(hit)
    not_modified = cross_site(client, url, HTTP_IF_NONE_MATCH=hit["ETag"])
    assert not_modified.status_code == 304
    assert_readable_by_other_sites(not_modified)
    assert {"accept", "cookie", "authorization", "origin"} <= vary(not_modified)


# --- page_size -------------------------------------------------------------------------

LISTS = [
    "/api/sources/",
    "/api/quotes/",
    "/api/themes/",
    "/api/people/",
    "/api/principles/",
    "/api/search/?q=focus",
]


def results(client, url, **params):
    path, _, query = url.partition("?")  # the client's params would replace the URL's query
    response = client.get(path, {**QueryDict(query).dict(), **params})
    assert response.status_code == 200, response.content[:300]
    return response.json()


@pytest.fixture
def two_principles(small_corpus):
    """A second published principle, so that every list has more than one row."""
    principle = Principle.objects.create(title="Users first", status=Status.PUBLISHED)
    make_claim(principle, 1, "Friends.", small_corpus.passages[2], "Users are our friends.")
    return small_corpus


@pytest.mark.parametrize("url", LISTS)
def test_page_size_sets_the_results_per_page_of_every_list(client, two_principles, url):
    everything = results(client, url, page_size=MAX_PAGE_SIZE)
    assert everything["count"] > 1 and everything["next"] is None
    assert len(everything["results"]) == everything["count"]
    one = results(client, url, page_size=1)
    assert len(one["results"]) == 1 and one["count"] == everything["count"]
    assert one["results"][0] == everything["results"][0]
    assert "page_size=1" in one["next"]


@pytest.mark.parametrize("url", LISTS[:5])
def test_a_larger_page_runs_no_more_queries(client, small_corpus, url):
    def queries(page_size):
        with CaptureQueriesContext(connection) as ctx:
            results(client, url, page_size=page_size)
        return len(ctx.captured_queries)

    assert queries(MAX_PAGE_SIZE) == queries(1)


def test_next_and_previous_keep_the_page_size(client, small_corpus):
    first = results(client, "/api/quotes/", page_size=2, theme_match="any")
    assert first["count"] == 4
    assert first["next"] == "http://testserver/api/quotes/?page=2&page_size=2&theme_match=any"
    seen = [row["id"] for row in first["results"]]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert second["previous"] == "http://testserver/api/quotes/?page_size=2&theme_match=any"
    seen += [row["id"] for row in second["results"]]
    assert len(set(seen)) == 4
    assert client.get(second["previous"]).json() == first


def test_the_default_page_and_the_largest(client, small_corpus):
    Theme.objects.bulk_create(
        Theme(name=f"Theme {n}", slug=f"theme-{n}") for n in range(MAX_PAGE_SIZE + 5)
    )
    assert len(results(client, "/api/themes/")["results"]) == 50  # KB_API_PAGE_SIZE
    assert len(results(client, "/api/themes/", page_size="")["results"]) == 50  # no choice
    assert len(results(client, "/api/themes/", page_size="007")["results"]) == 7
    assert len(results(client, "/api/themes/", page_size=MAX_PAGE_SIZE)["results"]) == 100
    assert client.get("/api/themes/", {"page_size": MAX_PAGE_SIZE + 1}).status_code == 400


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-1",
        "abc",
        "1e3",
        str(10**30),
        "\x00",
        "5\x00",
        "101",
        "5.0",
        " 5",
        "+5",
        "٣",
        "9" * 5000,
    ],
)
@pytest.mark.parametrize("url", ["/api/quotes/", "/api/themes/", "/api/search/?q=focus"])
def test_a_bad_page_size_is_a_400_naming_it_and_the_range(client, small_corpus, url, value):
    path, _, query = url.partition("?")
    response = client.get(path, {**QueryDict(query).dict(), "page_size": value})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    (message,) = response.json()["page_size"]
    assert "from 1 to 100" in message, message
    assert len(message) < 200  # the value is quoted, not all of it


def test_cached_list_pages_are_kept_apart_by_page_size(
    client, small_corpus, django_assert_max_num_queries
):
    sizes = [(2, 2), (3, 3), (None, 4), (1, 1)]
    for page_size, expected in sizes:
        params = {} if page_size is None else {"page_size": page_size}
        assert len(results(client, "/api/quotes/", **params)["results"]) == expected
    for page_size, expected in sizes:  # again, from the cache now
        params = {} if page_size is None else {"page_size": page_size}
        with django_assert_max_num_queries(1):
            body = results(client, "/api/quotes/", **params)
        assert len(body["results"]) == expected
        if page_size in (2, 3):
            assert f"page_size={page_size}" in body["next"]


# --- renamed slugs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "attribute", "new"),
    [
        ("themes", "focus", "concentration"),
        ("people", "lei", "lei-jun-xiaomi"),
        ("sources", "source", "focus-interview"),
        ("principles", "principle", "few-things"),
    ],
)
def test_an_old_slug_answers_301_to_the_current_api_address(
    client, small_corpus, kind, attribute, new
):
    old = renamed(getattr(small_corpus, attribute), new)
    for method in ("get", "head"):
        response = cross_site(client, f"/api/{kind}/{old}/?format=json&x=1", method)
        assert response.status_code == 301
        assert response["Location"] == f"/api/{kind}/{new}/?format=json&x=1"
        assert_readable_by_other_sites(response)
    assert client.get(f"/api/{kind}/{old}.json")["Location"] == f"/api/{kind}/{new}.json"
    assert results(client, f"/api/{kind}/{new}/")["slug"] == new


def test_an_old_source_slug_keeps_its_citation_link(client, small_corpus):
    old = renamed(small_corpus.source, "focus-interview")
    response = client.get(f"/api/sources/{old}/cite/?style=bibtex")
    assert response.status_code == 301
    assert response["Location"] == "/api/sources/focus-interview/cite/?style=bibtex"


def test_unknown_and_retaken_slugs_are_not_redirected(client, small_corpus):
    for url in ["/api/themes/never-was/", "/api/principles/never-was/", "/api/sources/x/cite/"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json")
        assert "detail" in response.json()
    old = renamed(small_corpus.focus, "concentration")
    Theme.objects.create(name="Focus again", slug=old)
    assert results(client, f"/api/themes/{old}/")["name"] == "Focus again"


def test_only_the_objects_lookup_is_redirected(client, small_corpus):
    """An unknown format suffix is a 404 raised before the client is authenticated: it is
    not looked up (a bad token was then a 500), and a bad token is refused first."""
    old = renamed(small_corpus.lei, "lei-jun-xiaomi")
    bad_token = {"HTTP_AUTHORIZATION": "Token garbage"}
    for slug in (old, "lei-jun-xiaomi"):
        response = client.get(f"/api/people/{slug}.yaml", **bad_token)
        assert response.status_code == 404 and "detail" in response.json()
    assert client.get(f"/api/people/{old}/", **bad_token).status_code == 401


def test_a_draft_principles_new_address_is_told_to_staff_only(
    staff_client, small_corpus, staff_token
):
    principle = small_corpus.principle
    principle.status = Status.DRAFT
    principle.save()
    old = renamed(principle, "few-things")
    anonymous = Client().get(f"/api/principles/{old}/")
    assert anonymous.status_code == 404 and "detail" in anonymous.json()
    for response in [
        staff_client.get(f"/api/principles/{old}/"),
        Client().get(f"/api/principles/{old}/", **staff_token),
    ]:
        assert response.status_code == 301
        assert response["Location"] == "/api/principles/few-things/"
        assert "no-store" in response["Cache-Control"]  # a draft's address: never shared


# --- the schema ------------------------------------------------------------------------


def test_the_schema_documents_page_size_and_the_redirects(client, db):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in ["/api/quotes/", "/api/themes/", "/api/search/"]:
        (size,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == "page_size"]
        assert size["schema"]["type"] == "integer", path
        assert "1 to 100" in size["description"], path
    for path, operations in paths.items():
        assert ("301" in operations["get"]["responses"]) == ("{slug}" in path), path
