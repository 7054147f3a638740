"""Whole pages from the cache for anonymous readers (kb.middleware.PublicPageCacheMiddleware).

A reader's second request of a page is one query (the content token) and the same bytes;
anything personal (staff, a session, a token, a cookie set by the page) is never shared.
"""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from factories import small_corpus_fixture  # noqa: F401

from kb.models import Quote


def page_keys() -> set[str]:
    return {key for key in cache._cache if ":page:" in key}  # locmem: "<prefix>:<v>:<key>"


def test_a_readers_second_request_is_one_query_and_the_same_page(
    client, small_corpus, django_assert_num_queries
):
    url = small_corpus.q_focus.get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the content token; no session, no user, no view
        second = client.get(url)
    assert second.status_code == 200
    assert second["Content-Type"] == first["Content-Type"]
    assert second["X-Frame-Options"] == "DENY"  # set by middleware the hit skips: stored
    assert second["Content-Length"] == str(len(second.content))
    nonce = re.compile(rb'nonce="[^"]+"')
    assert nonce.sub(b"", second.content) == nonce.sub(b"", first.content)


def test_every_hit_gets_its_own_nonce_matching_its_header(client, small_corpus):
    url = small_corpus.q_focus.get_absolute_url()
    seen = set()
    for _ in range(3):
        response = client.get(url)
        html = response.content.decode()
        nonce = re.search(r'<script type="application/ld\+json" nonce="([^"]+)">', html).group(1)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        seen.add(nonce)
    assert len(seen) == 3
    assert "csp-nonce" not in html


def test_staff_never_get_nor_leave_a_shared_page(small_corpus, django_user_model):
    draft = small_corpus.q_draft
    assert draft.text not in Client().get("/quotes/").content.decode()
    staff_client = Client()
    staff_client.force_login(django_user_model.objects.create_user("ed", is_staff=True))
    # Staff see drafts on the same URL: not the reader's cached copy...
    assert draft.text in staff_client.get("/quotes/").content.decode()
    before = page_keys()
    staff_client.get(f"/quotes/{draft.pk}/")
    # ...and what they see is never stored for readers.
    assert page_keys() == before
    assert Client().get(f"/quotes/{draft.pk}/").status_code == 404


def test_a_signed_in_users_pages_are_private_and_a_readers_are_not(
    client, small_corpus, django_user_model
):
    staff_client = Client()
    staff_client.force_login(django_user_model.objects.create_user("ed", is_staff=True))
    for url in ("/quotes/", f"/quotes/{small_corpus.q_draft.pk}/", "/search/?q=price"):
        response = staff_client.get(url)
        assert response.status_code == 200
        assert "private" in response.get("Cache-Control", ""), url
        reader = client.get(url.replace(f"{small_corpus.q_draft.pk}", f"{small_corpus.q_focus.pk}"))
        assert "private" not in reader.get("Cache-Control", ""), url


def test_a_token_or_a_session_cookie_bypasses_the_cache(client, small_corpus):
    client.get("/themes/")
    stored = page_keys()
    assert stored
    Client(HTTP_AUTHORIZATION="Token nonsense").get("/themes/")
    other = Client()
    other.cookies["sessionid"] = "not-a-session"
    other.get("/themes/")
    assert page_keys() == stored


def test_only_pages_that_opt_in_are_stored(client, small_corpus):
    client.get("/healthz")
    client.get("/api/quotes/")
    client.get("/quotes/export.csv")
    client.get("/no/such/page/")
    assert page_keys() == set()
    client.get("/")
    assert len(page_keys()) == 1


def test_a_hit_answers_a_conditional_get(client, small_corpus):
    url = small_corpus.q_focus.get_absolute_url()
    etag = client.get(url)["ETag"]
    assert client.get(url).status_code == 200  # a hit
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_each_query_string_and_host_is_its_own_page(client, small_corpus, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    assert "Focus" in client.get("/quotes/?theme=focus").content.decode()
    pricing = client.get("/quotes/?theme=pricing").content.decode()
    assert small_corpus.q_focus.text not in pricing
    client.get("/", HTTP_HOST="other.example")
    assert len(page_keys()) == 3
    # Absolute links follow the scheme: an https page is never the http one.
    secure = client.get(small_corpus.q_focus.get_absolute_url(), secure=True).content.decode()
    assert "https://testserver/quotes/" in secure
    plain = client.get(small_corpus.q_focus.get_absolute_url()).content.decode()
    assert "https://testserver/quotes/" not in plain and "http://testserver/quotes/" in plain


def test_lists_serve_a_bounded_number_of_pages():
    from bench.pages import MAX_PAGES as BENCH_MAX_PAGES
    from kb.views.common import MAX_PAGES, BoundedPaginator

    paginator = BoundedPaginator(list(range(20 * MAX_PAGES + 1)), 20)
    assert paginator.count == 20 * MAX_PAGES + 1  # the true total is still shown
    assert paginator.num_pages == MAX_PAGES
    assert paginator.all_pages == MAX_PAGES + 1
    assert paginator.truncated
    assert not BoundedPaginator(list(range(20 * MAX_PAGES)), 20).truncated
    assert BENCH_MAX_PAGES == MAX_PAGES  # the bench loads the deepest page served


def test_a_page_past_the_bound_is_a_404_and_the_last_one_says_why(client, corpus, monkeypatch):
    from kb.views.common import BoundedPaginator

    assert Quote.objects.published().count() > 20  # the seeded corpus: two pages
    assert "Only the first" not in client.get("/quotes/").content.decode()
    assert client.get("/quotes/?page=2").status_code == 200
    monkeypatch.setattr(BoundedPaginator, "max_pages", 1)
    cache.clear()  # the pages above were cached with the old bound
    assert client.get("/quotes/?page=2").status_code == 404
    assert "Only the first 1 page of 2 is listed" in client.get("/quotes/").content.decode()


def test_the_api_list_is_cached_rendered_and_still_throttled(client, small_corpus, settings):
    first = client.get("/api/quotes/")
    second = client.get("/api/quotes/")
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    assert second["ETag"] == first["ETag"]
    assert {q["id"] for q in second.json()["results"]} == {q.pk for q in Quote.objects.published()}
    browsable = client.get("/api/quotes/", HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"].startswith("text/html")
    assert small_corpus.q_focus.text.replace("&", "&amp;") in browsable.content.decode()
    settings.KB_API_ANON_RATE = "1/min"  # a cached list still counts against the rate
    other = {"REMOTE_ADDR": "192.0.2.44"}  # a client with no requests counted yet
    assert client.get("/api/quotes/", **other).status_code == 200
    assert client.get("/api/quotes/", **other).status_code == 429


# --- Keys from the parameters a page reads; a limit on misses -------------------------------


def stored_keys() -> set[str]:
    """Everything in the cache but the miss counters (kb.cache.miss_limited)."""
    return {key for key in cache._cache if ":page-miss:" not in key}


def test_one_readers_page_is_one_cache_entry(client, small_corpus):
    for url in ("/", "/quotes/", f"/quotes/{small_corpus.q_focus.pk}/", "/themes/"):
        before = stored_keys()
        assert client.get(url).status_code == 200
        assert len(stored_keys() - before) == 1, url  # the page: no fragment, no object


def test_junk_parameters_add_no_cache_entries(client, small_corpus):
    pages = ["/", "/quotes/?theme=focus", f"/sources/{small_corpus.interview.slug}/", "/themes/"]
    for url in pages:
        client.get(url)
    stored = page_keys()
    assert len(stored) == len(pages)
    for n, url in enumerate(pages):
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}r={n}&utm_source=x&fbclid={n}{n}")
        assert response.status_code == 200
        assert response.context is None  # served from the page cache: nothing rendered
    assert page_keys() == stored


def test_known_parameters_are_normalised_in_the_key(client, small_corpus):
    client.get("/quotes/?theme=focus&theme=pricing&year_min=2000")
    stored = page_keys()
    for url in (
        "/quotes/?year_min=2000&theme=pricing&theme=focus",
        "/quotes/?theme=focus&q=&year_min=2000&speaker=&theme=pricing&theme=",
    ):
        assert client.get(url).context is None, url
    assert page_keys() == stored
    assert client.get("/quotes/?theme=focus").context is not None  # another page: rendered


def test_a_page_is_made_from_its_canonical_query(client, small_corpus):
    html = client.get("/quotes/?zz=1&theme=focus&year=&ordering=&page=1").content.decode()
    assert "zz=1" not in html and "year=" not in html


def test_every_public_page_declares_the_parameters_it_reads():
    from django.urls import get_resolver

    from kb.cache import PARAMS_BY_URL_NAME

    undeclared = []
    for pattern in get_resolver().url_patterns:
        for inner in getattr(pattern, "url_patterns", []):
            view = getattr(inner, "callback", None)
            if getattr(view, "kb_public_page", False):
                name = f"{pattern.namespace}:{inner.name}"
                if getattr(view, "kb_page_params", None) is None and name not in PARAMS_BY_URL_NAME:
                    undeclared.append(name)
    assert undeclared == []


def test_a_client_missing_the_cache_too_often_waits(client, small_corpus, settings):
    settings.KB_PAGE_MISS_RATE = "3/min"
    urls = ["/", "/themes/", "/quotes/"]
    for url in urls:
        assert client.get(url).status_code == 200  # three misses
    for url in urls:
        assert client.get(url).status_code == 200  # hits are not counted
    refused = client.get("/principles/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Cache-Control"] == "no-store"
    assert client.get("/healthz").status_code == 200  # never limited
    other = Client(REMOTE_ADDR="192.0.2.7")  # another client has its own count
    assert other.get("/principles/").status_code == 200
    assert client.get("/principles/").status_code == 200  # now a hit


def test_staff_and_an_unlimited_setting_are_never_refused(
    staff_client, client, small_corpus, settings
):
    settings.KB_PAGE_MISS_RATE = "1/min"
    for url in ("/", "/themes/", "/quotes/"):
        assert staff_client.get(url).status_code == 200
    settings.KB_PAGE_MISS_RATE = ""
    for url in ("/", "/themes/", "/quotes/", "/principles/"):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("rate", ["lots", "0/min", "5/fortnight", "-1/s"])
def test_a_wrong_rate_is_a_configuration_error(rate):
    from django.core.exceptions import ImproperlyConfigured

    from kb.cache import parse_rate

    with pytest.raises(ImproperlyConfigured, match="KB_PAGE_MISS_RATE"):
        parse_rate(rate)
    assert parse_rate("120/min") == (120, 60)
