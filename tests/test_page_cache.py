"""Whole pages from the cache for anonymous readers (kb.middleware.PublicPageCacheMiddleware).

A reader's second request of a page is one query (the content token) and the same bytes;
anything personal (staff, a session, a token, a cookie set by the page) is never shared.
"""

import re

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
    assert client.get("/quotes/?page=2&o=1").status_code == 404
    assert "Only the first 1 page of 2 is listed" in client.get("/quotes/?o=1").content.decode()


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
