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


# --- The search index (pipeline: kb.search.index, kb.search.indexer) ----------------------
# Each test searches an index directory of its own, built on its first search from the
# test's database and then kept current in-process (KB_SEARCH_EAGER): every search first
# applies the outbox its connection sees, so a test's writes are found even inside its
# transaction, and nothing indexed by one test reaches the next. tests/test_search_pipeline.py
# runs the real indexer (a separate process) instead.


@pytest.fixture(autouse=True)
def search_index_dir(settings, tmp_path_factory):
    from kb.search.index import forget_open_index

    settings.KB_SEARCH_INDEX = tmp_path_factory.mktemp("search-index")
    settings.KB_SEARCH_EAGER = True
    yield settings.KB_SEARCH_INDEX
    forget_open_index()


@pytest.fixture
def apply_pending():
    """Apply the search outbox now (what the indexer does in its next round)."""
    from kb.search.indexer import apply_pending

    return apply_pending
