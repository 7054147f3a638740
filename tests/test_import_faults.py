"""An interrupted import leaves no partial source: an error in its last step, or a SIGKILL.

``store_plan`` writes a source in one transaction; ``import_source`` wraps a batch in one
more (all or nothing) unless ``--keep-going``, where each source commits on its own. So a
failure may leave the sources stored before it (``--keep-going``) but never part of one.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from contextlib import closing
from io import StringIO

import pytest
from django.core.management import call_command
from scratch_db import (
    BASE_DIR,
    Scratch,
    dump,
    manage,
    raw_test_database,
    subprocess_env,
    vendor,
)

from bench.corpus import generate_texts
from kb.ingest import store
from kb.models import Quote, Source, Status

TITLE = "Lei Jun on sincerity"
TEXT = """---
title: Lei Jun on sincerity
kind: profile
---
Xiaomi's founder on pricing

"We want every user to be our friend," said Lei Jun, the founder of the company.

"A sincere price is part of a sincere product," Lei added.

Analysts were not so sure. "Margins this thin are hard to keep," said an analyst.
"""


def database_state() -> dict:
    """Every row of every table; not PostgreSQL's sequences, which never roll back."""
    raw = raw_test_database()
    try:
        state = dump(raw)
    finally:
        if vendor() == "postgresql":
            raw.close()
    state.pop("~sequences", None)
    return state


def assert_unchanged(after: dict, before: dict) -> None:
    changed = {t: (len(before.get(t, [])), len(rows)) for t, rows in after.items()}
    changed = {t: counts for t, counts in changed.items() if counts[0] != counts[1]}
    assert not changed, f"row counts changed (before, after): {changed}"
    assert after == before


def fail_after(monkeypatch, module, name: str, check) -> list:
    """Make ``module.name`` do its work, ``check`` that it wrote, then raise."""
    real = getattr(module, name)
    ran = []

    def failing(*args, **kwargs):
        real(*args, **kwargs)
        ran.append(check())
        raise RuntimeError("injected failure")

    monkeypatch.setattr(module, name, failing)
    return ran


def import_source(*args: str) -> str:
    out = StringIO()
    call_command("import_source", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --- An error in the last step of storing a source ----------------------------------------


@pytest.fixture
def seeded(transactional_db):
    # Transactional: the importer's transaction is a real one, not a savepoint in the test's.
    call_command("load_seed_corpus", verbosity=0)


def quotes_of_new_source() -> int:
    return Quote.objects.filter(source__title=TITLE).count()


LAST_STEPS = {
    # The quotes are the last rows written; indexing them is the last statement.
    "write quotes": (store, "_write_quotes", quotes_of_new_source),
}


@pytest.mark.parametrize("keep_going", [False, True], ids=["batch", "keep-going"])
@pytest.mark.parametrize("step", list(LAST_STEPS))
def test_an_error_in_the_last_step_leaves_nothing_of_the_source(
    seeded, monkeypatch, tmp_path, step, keep_going
):
    path = tmp_path / "sincerity.txt"
    path.write_text(TEXT, encoding="utf-8")
    before = database_state()
    ran = fail_after(monkeypatch, *LAST_STEPS[step])
    with pytest.raises(RuntimeError, match="injected failure"):
        import_source(str(path), *(["--keep-going"] if keep_going else []))
    assert ran and ran[0] >= 3, "the step ran and its rows were written before the failure"
    assert_unchanged(database_state(), before)

    monkeypatch.undo()
    out = import_source(str(path))
    assert "already imported" not in out
    assert Source.objects.get(title=TITLE).quotes.count() == ran[0]


def test_an_error_while_replacing_keeps_the_old_version_and_its_curation(
    seeded, monkeypatch, tmp_path
):
    path = tmp_path / "sincerity.txt"
    path.write_text(TEXT, encoding="utf-8")
    import_source(str(path))
    curated = Quote.objects.get(text="We want every user to be our friend")
    curated.status = Status.PUBLISHED
    curated.note = "curated"
    curated.save()
    stored_text = curated.source.text
    path.write_text(TEXT + "\nA paragraph added in a later version.\n", encoding="utf-8")
    before = database_state()

    def moved():
        return Quote.objects.filter(note="curated").exclude(source__text=stored_text).count()

    ran = fail_after(monkeypatch, store, "_move_curation", moved)
    with pytest.raises(RuntimeError, match="injected failure"):
        import_source(str(path), "--replace", "--keep-going")
    assert ran == [1], "the curated quote had been moved to the new version"
    assert_unchanged(database_state(), before)
    assert Quote.objects.get(pk=curated.pk).source.text == stored_text


# --- The import process killed while it writes ---------------------------------------------

CORPUS_BYTES = 600_000
KILL_AFTER = (1, 6, 18)  # sources reported stored before the kill


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("generated")
    for name, text in generate_texts(CORPUS_BYTES, seed=11):
        (directory / name).write_text(text, encoding="utf-8")
    assert len(list(directory.iterdir())) > 2 * max(KILL_AFTER)
    return directory


SPANS_SQL = {
    "passages": 'SELECT s.sha256, p.number, p.start, p."end", p.is_boilerplate FROM kb_passage p '
    "JOIN kb_source s ON s.id = p.source_id ORDER BY 1, 2",
    "quotes": 'SELECT s.sha256, q.start, q."end", q.text FROM kb_quote q '
    "JOIN kb_source s ON s.id = q.source_id ORDER BY 1, 2",
}


def spans(raw) -> dict[str, dict[str, list[tuple]]]:
    """{"passages"|"quotes": {source sha256: its spans}}, as written."""
    found: dict[str, dict[str, list[tuple]]] = {}
    cursor = raw.cursor()
    for kind, sql in SPANS_SQL.items():
        cursor.execute(sql)
        by_source: dict[str, list[tuple]] = {}
        for sha256, *span in cursor.fetchall():
            by_source.setdefault(sha256, []).append(tuple(span))
        found[kind] = by_source
    return found


def source_hashes(raw) -> set[str]:
    cursor = raw.cursor()
    cursor.execute("SELECT sha256 FROM kb_source")
    return {row[0] for row in cursor.fetchall()}


@pytest.fixture(scope="module")
def killed_runs(django_db_setup, corpus_dir, tmp_path_factory):
    """A migrated template, the complete import of the corpus (the reference), and scratch."""
    scratch = Scratch(tmp_path_factory.mktemp("scratch"))
    try:
        template = scratch.create("kill_template")
        done = manage(template, "migrate", "--no-input", "-v0")
        assert done.returncode == 0, done.stderr
        reference = scratch.create("kill_reference", template=template)
        done = manage(reference, "import_source", str(corpus_dir), timeout=600)
        assert done.returncode == 0, done.stderr
        with closing(scratch.raw(reference)) as raw:
            expected = spans(raw)
            assert len(source_hashes(raw)) == len(list(corpus_dir.iterdir()))
        yield scratch, template, expected
    finally:
        scratch.close()


def import_and_kill(url: str, corpus_dir, after: int, *args: str, delay: float) -> int:
    """Start ``import_source``, SIGKILL it once it has stored ``after`` sources (plus a
    little, so the kill lands inside a later source's write); the lines it printed."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_source", str(corpus_dir), *args],
        cwd=BASE_DIR,
        env=subprocess_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    stored = 0
    try:
        for line in process.stdout:
            if " passages (" in line:
                stored += 1
            if stored >= after:
                time.sleep(delay)
                break
        assert process.poll() is None, "the import finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    return stored


def assert_only_complete_sources(
    scratch: Scratch, url: str, expected: dict, *, verify: bool = True
) -> set[str]:
    """Every source in the database is exactly as a complete import writes it (its passages
    tile its text, as ``verify_corpus`` checks too); returns their sha256."""
    with closing(scratch.raw(url)) as raw:
        present = source_hashes(raw)
        found = spans(raw)
        cursor = raw.cursor()
        if scratch.vendor == "sqlite":
            assert cursor.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Every stored passage and quote left its outbox row (written in the same
        # transaction; no indexer runs here): the search index can miss none of them.
        for table in ("passage", "quote"):
            cursor.execute(
                f"SELECT COUNT(*) FROM kb_{table} r WHERE NOT EXISTS (SELECT 1 FROM "
                f"kb_searchoutbox o WHERE o.kind = '{table}' AND o.object_id = r.id)"
            )
            missing = cursor.fetchone()[0]
            assert missing == 0, f"{missing} {table} rows without an outbox row"
    for kind in ("passages", "quotes"):
        # No rows of a source that is not there, and every source's rows all there.
        assert set(found[kind]) <= present
        for sha256 in present:
            assert found[kind].get(sha256, []) == expected[kind].get(sha256, []), (
                f"source {sha256[:12]}: its {kind} differ from a complete import"
            )
    if verify:
        verified = manage(url, "verify_corpus")
        assert verified.returncode == 0, verified.stderr
    return present


def test_a_killed_import_leaves_only_complete_sources(killed_runs, corpus_dir):
    scratch, template, expected = killed_runs
    rng = random.Random(3)
    url = scratch.create("killed", template=template)
    for after in KILL_AFTER:
        stored = import_and_kill(url, corpus_dir, after, delay=rng.uniform(0, 0.05))
        assert stored >= after
        # The batch is one transaction: the sources it reported were never committed.
        last = after == KILL_AFTER[-1]
        assert assert_only_complete_sources(scratch, url, expected, verify=last) == set()

    committed: set[str] = set()
    for after in KILL_AFTER:
        # --keep-going commits each source; run again over the same database each time, as
        # an operator would after a crash.
        import_and_kill(url, corpus_dir, after, "--keep-going", delay=rng.uniform(0, 0.05))
        present = assert_only_complete_sources(scratch, url, expected)
        # Each reported source was committed on its own; none was lost by the kill.
        assert committed < present
        committed = present
    # A last run completes the import from where the kills left it.
    done = manage(url, "import_source", str(corpus_dir), "--keep-going", timeout=600)
    assert done.returncode == 0, done.stderr
    assert assert_only_complete_sources(scratch, url, expected) == set(expected["passages"])
