"""SQLite with one writer and several readers: no reader ever sees "database is locked".

A file database in WAL mode (kb.settings), as ``make run`` serves it: an import writes
(``--keep-going``, a commit per source) while reader processes request pages and read with
the ORM. Every request must succeed. The test builds its own database file; it does not
depend on the database the suite runs on, so it runs in the SQLite half of ``make test``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from scratch_db import BASE_DIR, manage, subprocess_env, vendor

from bench.corpus import generate_texts

pytestmark = pytest.mark.skipif(
    vendor() != "sqlite", reason="SQLite locking; runs in the SQLite half of make test"
)

READERS = 3
# Big enough that the import writes for a few seconds while the readers read.
CORPUS_BYTES = 1_500_000
URLS = [
    "/",
    "/quotes/",
    "/sources/",
    "/sources/fortune-interview-2014/",
    "/themes/",
    "/search/?q={word}",
    "/api/quotes/?q={word}",
    "/api/sources/",
]


@pytest.fixture
def site_database(transactional_db, tmp_path) -> str:
    """A file database holding the seeded corpus: the test database's committed copy."""
    call_command("load_seed_corpus", verbosity=0)
    path = tmp_path / "site.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    url = f"sqlite:///{path}"
    # Its search index, as `make setup` builds it (beside the file).
    done = manage(url, "rebuild_search_index", "-v0")
    assert done.returncode == 0, done.stderr
    return url


def test_readers_never_see_a_locked_database_while_an_import_writes(site_database, tmp_path):
    url = site_database
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in generate_texts(CORPUS_BYTES, seed=13):
        (corpus / name).write_text(text, encoding="utf-8")

    stop = tmp_path / "stop"
    env = subprocess_env(url, DJANGO_ALLOWED_HOSTS="testserver")
    readers = [
        subprocess.Popen(
            [sys.executable, "tests/sqlite_reader.py", str(stop), *URLS],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(READERS)
    ]
    try:
        for reader in readers:
            assert reader.stdout.readline().strip() == "ready", reader.stderr.read()
        started = time.time()
        writer = subprocess.run(
            [sys.executable, "manage.py", "import_source", str(corpus), "--keep-going"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        finished = time.time()
    finally:
        stop.touch()
        outputs = [reader.communicate(timeout=60) for reader in readers]
    assert writer.returncode == 0, writer.stderr
    assert "locked" not in writer.stderr

    files = len(list(corpus.iterdir()))
    for reader, (out, err) in zip(readers, outputs, strict=True):
        assert reader.returncode == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        assert report["failures"] == []
        assert report["journal_mode"] == "wal"
        assert report["busy_timeout"] == settings.DATABASES["default"]["OPTIONS"]["timeout"] * 1000
        during = [t for t in report["requests"] if started <= t <= finished]
        assert len(during) >= 2 * len(URLS), "the reader was not reading while the import wrote"
        # It saw the import's commits as they happened, not just before and after.
        assert any(2 < n < 2 + files for n in report["sources"]), report["sources"]
