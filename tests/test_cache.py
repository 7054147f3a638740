"""Cached pages (kb.cache): a publish or an edit is visible on the very next request.

Readers' whole pages are cached and pages answer conditional GETs, both keyed by the
content version that every change renews; these tests change the content between two
requests of the same page, as an editor in the admin would, and read the page again.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import timezone
from factories import small_corpus_fixture  # noqa: F401

from kb.cache import bump_version, current_version
from kb.models import ContentVersion, Status, Theme


def test_it_caches_a_readers_page(client, small_corpus, django_assert_max_num_queries):
    client.get("/themes/")
    with django_assert_max_num_queries(1):  # the content version; the page is cached
        response = client.get("/themes/")
    assert "Focus" in response.content.decode()


def test_it_shows_a_published_quote_on_the_next_request(client, small_corpus):
    draft = small_corpus.q_draft
    assert draft.text not in client.get("/quotes/").content.decode()
    assert client.get(f"/quotes/{draft.pk}/").status_code == 404
    draft.status = Status.PUBLISHED
    draft.save()
    assert draft.text in client.get("/quotes/").content.decode()
    assert client.get(f"/quotes/{draft.pk}/").status_code == 200


def test_it_shows_an_edit_on_the_next_request(client, small_corpus):
    quote = small_corpus.q_focus
    client.get(f"/quotes/{quote.pk}/")
    client.get(f"/sources/{quote.source.slug}/")
    quote.attribution = "said at the launch"
    quote.save()
    assert "said at the launch" in client.get(f"/quotes/{quote.pk}/").content.decode()
    theme = small_corpus.focus
    before = client.get("/themes/").content.decode()
    assert "Focus" in before
    theme.name = "Concentration"
    theme.save()
    assert "Concentration" in client.get("/themes/").content.decode()
    assert "Concentration" in client.get("/").content.decode()


def test_it_counts_a_theme_added_to_a_quote_on_the_next_request(client, small_corpus):
    client.get("/themes/")
    pricing_quotes = small_corpus.pricing.quotes.filter(status=Status.PUBLISHED).count()
    small_corpus.q_focus.themes.add(small_corpus.pricing)  # m2m_changed, not a save
    html = client.get("/themes/").content.decode()
    assert f"{pricing_quotes + 1} quote" in html


def test_it_unmarks_an_unpublished_quote_on_the_source_page(client, small_corpus):
    quote = small_corpus.q_focus
    url = f"/sources/{quote.source.slug}/"
    assert f'href="/quotes/{quote.pk}/"' in client.get(url).content.decode()
    quote.status = Status.DRAFT
    quote.save()
    assert f'href="/quotes/{quote.pk}/"' not in client.get(url).content.decode()


def test_it_keeps_staff_and_readers_apart(staff_client, small_corpus):
    draft = small_corpus.q_draft
    assert draft.text in staff_client.get("/quotes/").content.decode()
    assert draft.text not in Client().get("/quotes/").content.decode()


@pytest.fixture(params=["quote", "source"])
def page_of_a_quote(request, small_corpus) -> str:
    """The quote's page, or its source's page."""
    quote = small_corpus.q_focus
    return f"/quotes/{quote.pk}/" if request.param == "quote" else f"/sources/{quote.source.slug}/"


def test_it_answers_a_conditional_get_until_the_content_changes(
    client, small_corpus, page_of_a_quote
):
    quote, url = small_corpus.q_focus, page_of_a_quote
    settled()
    first = client.get(url)
    etag = first["ETag"]
    assert first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    quote.attribution = "he added"
    quote.save()
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert again["ETag"] != etag
    since = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 200


def settled(seconds: int = 10):
    """The last change made ``seconds`` ago."""
    ContentVersion.objects.update(changed=timezone.now() - timedelta(seconds=seconds))


def test_a_page_served_in_the_second_of_a_change_has_no_last_modified(client, page_of_a_quote):
    # Else a change later in the same second would match its If-Modified-Since (HTTP dates
    # count whole seconds) and a client sending only that would keep the stale page.
    url = page_of_a_quote
    bump_version()
    first = client.get(url)
    assert "Last-Modified" not in first and first["ETag"]
    cache.clear()
    settled()
    assert client.get(url)["Last-Modified"]


def test_staff_and_readers_get_different_etags(staff_client, small_corpus):
    url = f"/sources/{small_corpus.interview.slug}/"
    assert Client().get(url)["ETag"] != staff_client.get(url)["ETag"]


def test_every_change_renews_the_version_and_history_rows_do_not(small_corpus):
    token = current_version().token
    small_corpus.lei.description = "Founder of Xiaomi."
    small_corpus.lei.save()
    renewed = current_version().token
    assert renewed != token
    small_corpus.lei.history.first().save()  # a revision row changes nothing readers see
    assert current_version().token == renewed


def test_a_flushed_database_gets_a_new_version(db):
    ContentVersion.objects.all().delete()
    assert current_version().token
    bump_version()
    assert ContentVersion.objects.count() == 1


def test_the_cache_is_local_memory_unless_redis_is_configured(monkeypatch):
    import importlib

    import kb.settings

    try:
        monkeypatch.delenv("REDIS_URL", raising=False)
        backend = importlib.reload(kb.settings).CACHES["default"]["BACKEND"]
        assert backend == "django.core.cache.backends.locmem.LocMemCache"
        monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
        config = importlib.reload(kb.settings).CACHES["default"]
        assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert config["LOCATION"] == "redis://127.0.0.1:6379/0"
    finally:
        monkeypatch.delenv("REDIS_URL", raising=False)
        importlib.reload(kb.settings)
    assert cache.get("nothing") is None


def test_one_change_gives_one_new_token_and_none_when_it_fails(db):
    from kb.cache import one_change

    first = current_version().token
    with one_change():
        with one_change():  # nested: the outermost one bumps
            Theme.objects.create(name="Speed")
            assert current_version().token == first
        Theme.objects.create(name="Focus")
        assert current_version().token == first
    second = current_version().token
    assert second != first
    with one_change():
        pass  # nothing changed: no new token
    assert current_version().token == second
    with pytest.raises(RuntimeError), transaction.atomic(), one_change():
        Theme.objects.create(name="Luck")
        raise RuntimeError("rolled back")
    assert current_version().token == second
    assert not Theme.objects.filter(name="Luck").exists()
