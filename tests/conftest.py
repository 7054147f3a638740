"""Shared fixtures: the seeded corpus as the command operators use writes it."""

import pytest
from seed_rows import load_seed_rows


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Pages render {% static %} without a collectstatic manifest in tests."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def corpus(db):
    """The seeded Lei Jun corpus: the rows ``load_seed_corpus`` (the real importer) writes
    (see ``tests.seed_rows``)."""
    load_seed_rows()


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        "editor", password="a-long-test-password", is_staff=True
    )
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def no_page_miss_limit(settings):
    """Tests ask for hundreds of pages from one address: the anonymous clients' limit on
    cache misses (kb.cache.miss_limited) is off unless a test sets KB_PAGE_MISS_RATE."""
    settings.KB_PAGE_MISS_RATE = ""


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: every test database starts at the same content
    version (the migration's), so a fragment cached by one test must not reach the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def server_error(client, db, monkeypatch):
    """The home page's answer when its view crashes (the client returns the 500 page instead
    of raising the error)."""
    import kb.views.quotes

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(kb.views.quotes, "render", boom)
    client.raise_request_exception = False
    return client.get("/")
