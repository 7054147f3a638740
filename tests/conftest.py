"""Shared fixtures (the seeded corpus as the command operators use writes it, a staff client)
and the `slow` mark of the system tests, which `make test-fast` leaves out."""

from pathlib import Path

import pytest
from seed_rows import load_seed_rows

TESTS = Path(__file__).resolve().parent

# The system tests, marked `slow` here by file (the files stay as they are): `make test-fast`
# leaves them out with -m "not slow"; `make test` runs them on both databases. A directory
# ends with "/". Keep a file here if it starts servers or processes, drives a browser, or
# draws thousands of examples.
SLOW = {
    "test_fuzz.py",  # hypothesis: 10,000+ requests to every URL
    "test_search_fuzz.py",  # hypothesis: thousands of queries on every search door
    "test_api_conformance.py",  # schemathesis over the OpenAPI schema
    "test_sqlite_concurrency.py",  # writer and reader processes on one SQLite file
    "test_import_faults.py",  # an import killed with SIGKILL in a subprocess
    "test_database_down.py",  # a PostgreSQL server of its own, stopped and started again
    "test_backup.py",  # backup and restore through the command, in subprocesses
    "test_bench.py",  # the benchmark's own runs
    "test_views_html_valid.py",  # the Nu HTML Checker (a Java process)
    "browser/",  # Playwright driving chromium
}


def pytest_collection_modifyitems(config, items):
    slow = pytest.mark.slow
    for item in items:
        path = item.path.relative_to(TESTS).as_posix()
        if path in SLOW or any(path.startswith(d) for d in SLOW if d.endswith("/")):
            item.add_marker(slow)


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Pages render {% static %} without a collectstatic manifest in tests."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Users made by tests hash their passwords with MD5: PBKDF2's million rounds cost about
    half a second a user, a quarter of the fast lane's time. PBKDF2 hashes still check."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


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
