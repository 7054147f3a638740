"""The search pipeline: outbox triggers, the indexer, rebuilds (kb.search.outbox, index,
indexer and their commands).

The first tests look at the outbox rows the database's triggers write, in-process. The
consistency tests run the real indexer (``manage.py search_indexer``) as a subprocess on
a committed copy of the test database (SQLite: a file copy; PostgreSQL: the test
database itself), write with raw SQL on a connection of their own (as any program could)
and read the index directory the indexer writes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from factories import build_source, make_quote
from scratch_db import BASE_DIR, Scratch, sqlite_connect, sqlite_path, subprocess_env, vendor

from kb.models import Claim, Person, Principle, Quote, SearchAlias, SearchOutbox, Status, Theme
from kb.search import documents
from kb.search.index import (
    SearchUnavailable,
    current_generation,
    current_index,
    open_generation,
    write_meta,
)
from kb.search.indexer import apply_pending, rebuild

# The promise: a committed write is found in search within 2 s.
VISIBLE_WITHIN = 2.0
# Starting a subprocess (Django, the analyzer's tables, a first build) takes longer.
STARTUP_WITHIN = 60.0


def outbox() -> list[tuple[str, int]]:
    return list(SearchOutbox.objects.order_by("id").values_list("kind", "object_id"))


def make_source(title="Interview", words="We listen to users and make great products."):
    lei = Person.objects.create(name="Lei Jun", slug=f"lei-jun-{Person.objects.count()}")
    source, passages = build_source(
        title,
        [("lei", False, f"lei jun: {words}"), (None, False, "Fortune: thank you.")],
        speakers={"lei": lei},
    )
    return source, passages


# --- The triggers ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_records_every_kind_of_write_in_the_outbox():
    source, (first, second) = make_source()
    quote = make_quote(first, "make great products")
    SearchOutbox.objects.all().delete()

    Quote.objects.filter(pk=quote.pk).update(status=Status.DRAFT)  # no signal sent
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute("UPDATE kb_passage SET text = text WHERE id = %s", [second.pk])
    theme = Theme.objects.create(name="Users", slug="users")
    quote.themes.add(theme)
    SearchAlias.objects.create(term="Millet", means="Xiaomi")
    assert outbox() == [
        ("quote", quote.pk),
        ("passage", second.pk),
        ("theme", theme.pk),
        ("quote", quote.pk),
        ("alias", SearchAlias.objects.get().pk),
    ]


@pytest.mark.django_db
def test_a_delete_also_names_the_rows_whose_facets_it_changes():
    source, (first, _) = make_source()
    quote = make_quote(first, "make great products")
    principle = Principle.objects.create(title="Users first", slug="users-first")
    claim = Claim.objects.create(
        principle=principle, position=1, text="Listen.", passage=first, start=0, end=3
    )
    SearchOutbox.objects.all().delete()
    quote_id, claim_id = quote.pk, claim.pk

    quote.delete()
    claim.delete()
    assert outbox() == [
        ("quote", quote_id),
        ("passage", first.pk),
        ("source", source.pk),
        ("claim", claim_id),
        ("principle", principle.pk),
    ]


@pytest.mark.django_db
def test_a_source_edit_that_no_document_reads_leaves_no_outbox_row():
    source, _ = make_source()
    SearchOutbox.objects.all().delete()

    source.url = "https://example.com/a"
    source.save()  # url, updated: not searched; a source's row reindexes all its passages
    assert outbox() == []
    source.title = "Another title"
    source.save()
    assert outbox() == [("source", source.pk)]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_no_outbox_row():
    source, (first, _) = make_source()
    SearchOutbox.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        Quote.objects.create(
            text="make", source=source, passage=first, start=first.start, end=first.start + 4
        )
        raise RuntimeError("rolled back")
    assert outbox() == []


@pytest.mark.django_db
def test_the_triggers_come_back_after_a_migrate():
    from kb.search.outbox import ensure_triggers

    if vendor() == "sqlite":  # as a migration rebuilding the table leaves it
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER kb_outbox_kb_quote_au")
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER kb_outbox_kb_quote_upd ON kb_quote")
    assert len(ensure_triggers()) == 1
    assert ensure_triggers() == []


# --- Applying the outbox in-process -----------------------------------------------------------


def keys(word: str, field: str = "text") -> set[str]:
    """The keys of the documents of the current index matching ``word``."""
    index = current_index()
    searcher = index.searcher()
    result = searcher.search(index.parse_query(word, [field]), limit=100)
    return {searcher.doc(address)[documents.KEY_FIELD][0] for _, address in result.hits}


@pytest.mark.django_db
def test_apply_pending_builds_the_index_then_applies_the_outbox(settings, search_index_dir):
    settings.KB_SEARCH_EAGER = False
    source, (first, _) = make_source(words="Zebracorns are sincere.")
    apply_pending()
    assert keys("zebracorns") == {f"passage:{first.pk}"}
    assert outbox() == []

    quote = make_quote(first, "Zebracorns are sincere.")
    assert keys("zebracorns") == {f"passage:{first.pk}"}  # not applied yet
    assert apply_pending() > 0
    assert keys("zebracorns") == {f"passage:{first.pk}", f"quote:{quote.pk}"}
    assert outbox() == []

    Quote.objects.filter(pk=quote.pk).update(status=Status.DRAFT)
    apply_pending()
    assert keys("zebracorns") == {f"passage:{first.pk}"}


@pytest.mark.django_db
def test_eager_mode_applies_the_outbox_before_a_search():
    source, (first, _) = make_source(words="Quokkas never lie.")
    assert keys("quokkas") == {f"passage:{first.pk}"}  # built on the first search
    second = make_quote(first, "Quokkas never lie.")
    assert f"quote:{second.pk}" in keys("quokkas")


@pytest.mark.django_db
def test_search_is_unavailable_without_an_index_or_with_another_schema(settings, search_index_dir):
    settings.KB_SEARCH_EAGER = False
    with pytest.raises(SearchUnavailable, match="has not been built"):
        current_index()
    rebuild(progress=False)
    assert current_index().searcher().num_docs == 0
    write_meta(current_generation(search_index_dir), schema_version=-1)
    from kb.search.index import forget_open_index

    forget_open_index()
    with pytest.raises(SearchUnavailable, match="built for schema -1"):
        current_index()


@pytest.mark.django_db
def test_a_rebuild_swaps_in_a_new_generation_and_keeps_one_before(settings, search_index_dir):
    settings.KB_SEARCH_EAGER = False
    make_source(words="Capybaras at rest.")
    rebuild(progress=False)
    first = current_generation(search_index_dir)
    searcher = open_generation(first).searcher()  # a reader still on the old one
    rebuild(progress=False)
    second = current_generation(search_index_dir)
    rebuild(progress=False)
    third = current_generation(search_index_dir)
    assert len({first, second, third}) == 3
    assert not first.exists() and second.exists()  # pruned; the one before kept
    # A source and its two passages, in the old reader and in the new generation.
    assert searcher.num_docs == open_generation(third).searcher().num_docs == 3


@pytest.mark.parametrize("command", [["rebuild_search_index"], ["search_indexer", "--once"]])
def test_the_commands_fail_in_one_line_when_the_index_cannot_be_written(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = subprocess_env(
        f"sqlite:///{tmp_path / 'db.sqlite3'}", KB_SEARCH_INDEX=str(blocker / "index")
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True, timeout=300)
    done = subprocess.run(
        [*manage, *command], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "search index" in lines[0], done.stderr


# --- Consistency with the real indexer running ------------------------------------------------


class Site:
    """A committed database, an index directory and the indexer subprocess on them."""

    def __init__(self, url: str, index: Path, log: Path):
        self.url, self.index, self.log = url, index, log
        self.process: subprocess.Popen | None = None

    def env(self) -> dict:
        return subprocess_env(self.url, KB_SEARCH_INDEX=str(self.index), KB_SEARCH_EAGER="0")

    def start_indexer(self) -> subprocess.Popen:
        log = open(self.log, "a")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "search_indexer", "--interval", "0.1"],
            cwd=BASE_DIR,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(lambda: current_generation(self.index) is not None, STARTUP_WITHIN, self)
        wait_for(lambda: self.pending() == 0, STARTUP_WITHIN, self)
        return self.process

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def raw(self):
        if self.url.startswith("sqlite:"):
            return closing(sqlite_connect(sqlite_path(self.url)))
        import psycopg

        return closing(psycopg.connect(self.url.replace("postgres://", "postgresql://")))

    def write(self, sql: str, params=()) -> None:
        with self.raw() as raw:
            raw.execute(sql.replace("%s", "?") if self.sqlite else sql, params)
            raw.commit()

    @property
    def sqlite(self) -> bool:
        return self.url.startswith("sqlite:")

    def pending(self) -> int:
        with self.raw() as raw:
            return raw.execute("SELECT count(*) FROM kb_searchoutbox").fetchone()[0]

    def keys(self, word: str) -> set[str]:
        generation = current_generation(self.index)
        if generation is None:
            return set()
        index = open_generation(generation)
        searcher = index.searcher()
        result = searcher.search(index.parse_query(word, ["text"]), limit=100)
        return {searcher.doc(address)[documents.KEY_FIELD][0] for _, address in result.hits}

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


def wait_for(condition, seconds: float, site: Site | None = None) -> float:
    """Seconds until ``condition()`` holds; fails after ``seconds``."""
    started = time.monotonic()
    while not condition():
        if site and site.process and site.process.poll() is not None:
            pytest.fail(f"the indexer exited ({site.process.returncode}):\n{site.output()}")
        if time.monotonic() - started > seconds:
            pytest.fail(f"not within {seconds} s" + (f":\n{site.output()}" if site else ""))
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.fixture
def site(transactional_db, tmp_path):
    """Two passages and a published quote, committed, with the indexer running."""
    source, (first, second) = make_source(words="Sincerity is our price.")
    make_quote(first, "Sincerity is our price.")
    if vendor() == "sqlite":
        path = tmp_path / "site.sqlite3"
        connection.ensure_connection()
        with closing(__import__("sqlite3").connect(path)) as copy:
            connection.connection.backup(copy)
        url = f"sqlite:///{path}"
    else:
        url = Scratch(tmp_path).url(connection.settings_dict["NAME"])
    site = Site(url, tmp_path / "search-index", tmp_path / "indexer.log")
    site.first, site.second = first.pk, second.pk
    site.quote = Quote.objects.get().pk
    site.start_indexer()
    yield site
    site.stop()


def test_a_write_is_searchable_within_2_s(site):
    assert site.keys("sincerity") == {f"passage:{site.first}", f"quote:{site.quote}"}
    site.write("UPDATE kb_passage SET text = %s WHERE id = %s", ["Okapis agree.", site.second])
    wait_for(lambda: site.keys("okapis") == {f"passage:{site.second}"}, VISIBLE_WITHIN, site)


def test_unpublishing_removes_the_hit_from_the_index_within_2_s(site):
    site.write("UPDATE kb_quote SET status = %s WHERE id = %s", [Status.DRAFT, site.quote])
    wait_for(lambda: f"quote:{site.quote}" not in site.keys("sincerity"), VISIBLE_WITHIN, site)
    assert site.keys("sincerity") == {f"passage:{site.first}"}


def test_a_rolled_back_write_never_appears(site):
    with site.raw() as raw:
        sql = "UPDATE kb_passage SET text = %s WHERE id = %s"
        raw.execute(sql.replace("%s", "?") if site.sqlite else sql, ["Wombats!", site.second])
        raw.rollback()
    # A later write is applied: the indexer has had its rounds since the rollback.
    site.write("UPDATE kb_passage SET text = %s WHERE id = %s", ["Okapis agree.", site.first])
    wait_for(lambda: site.keys("okapis") == {f"passage:{site.first}"}, VISIBLE_WITHIN, site)
    assert site.keys("wombats") == set()
    wait_for(lambda: site.pending() == 0, VISIBLE_WITHIN, site)  # deleted after the commit


def test_transactions_committing_out_of_id_order_are_both_indexed(site):
    if site.sqlite:
        # SQLite takes one writer at a time (ids are handed out in commit order), so the
        # gap is made by hand: an outbox row below the ones already applied appears late.
        site.write("UPDATE kb_passage SET text = %s WHERE id = %s", ["Okapis agree.", site.first])
        wait_for(lambda: site.keys("okapis") == {f"passage:{site.first}"}, VISIBLE_WITHIN, site)
        with site.raw() as raw:
            raw.execute("UPDATE kb_passage SET text = 'Wombats!' WHERE id = ?", [site.second])
            raw.execute("DELETE FROM kb_searchoutbox")
            raw.execute(
                "INSERT INTO kb_searchoutbox (id, kind, object_id) VALUES (1, 'passage', ?)",
                [site.second],
            )
            raw.commit()
        wait_for(lambda: site.keys("wombats") == {f"passage:{site.second}"}, VISIBLE_WITHIN, site)
        return
    with site.raw() as early, site.raw() as late:
        # The early transaction takes the lower outbox id, then commits last.
        early.execute("UPDATE kb_passage SET text = 'Wombats!' WHERE id = %s", [site.second])
        late.execute("UPDATE kb_passage SET text = 'Okapis agree.' WHERE id = %s", [site.first])
        late.commit()
        wait_for(lambda: site.keys("okapis") == {f"passage:{site.first}"}, VISIBLE_WITHIN, site)
        time.sleep(0.3)  # a few rounds of the indexer past the gap
        early.commit()
    wait_for(lambda: site.keys("wombats") == {f"passage:{site.second}"}, VISIBLE_WITHIN, site)


def test_a_killed_indexer_resumes_where_it_stopped_and_its_stale_lock_is_recovered(site):
    site.kill()  # SIGKILL: no cleanup at all; the lock files stay behind
    generation = current_generation(site.index)
    assert (site.index / "indexer.lock").exists()
    assert (generation / ".tantivy-writer.lock").exists()
    site.write("UPDATE kb_passage SET text = %s WHERE id = %s", ["Okapis agree.", site.second])
    site.write("UPDATE kb_quote SET status = %s WHERE id = %s", [Status.DRAFT, site.quote])
    assert site.pending() == 2
    time.sleep(0.5)
    assert site.keys("okapis") == set()  # nobody applies the outbox meanwhile

    site.start_indexer()
    assert site.keys("okapis") == {f"passage:{site.second}"}
    assert site.keys("sincerity") == {f"passage:{site.first}"}
    assert current_generation(site.index) == generation  # resumed, not rebuilt


def test_a_second_indexer_refuses_to_start(site):
    done = subprocess.run(
        [sys.executable, "manage.py", "search_indexer", "--once"],
        cwd=BASE_DIR,
        env=site.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert f"pid {site.process.pid}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_rebuild_while_the_indexer_runs_loses_nothing(site):
    before = current_generation(site.index)
    rebuilding = subprocess.Popen(
        [sys.executable, "manage.py", "rebuild_search_index", "-v0"],
        cwd=BASE_DIR,
        env=site.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Writes during the rebuild: applied to one generation or the other, and to the last.
    for word in ("Okapis agree.", "Wombats!", "Tapirs, too."):
        site.write("UPDATE kb_passage SET text = %s WHERE id = %s", [word, site.second])
        time.sleep(0.2)
    out, err = rebuilding.communicate(timeout=120)
    assert rebuilding.returncode == 0, err
    assert current_generation(site.index) != before
    wait_for(lambda: site.keys("tapirs") == {f"passage:{site.second}"}, VISIBLE_WITHIN, site)
    assert site.keys("okapis") == site.keys("wombats") == set()
    assert site.keys("sincerity") == {f"passage:{site.first}", f"quote:{site.quote}"}
    # The indexer took the new generation up.
    site.write("UPDATE kb_passage SET text = %s WHERE id = %s", ["Quolls.", site.first])
    wait_for(lambda: site.keys("quolls") == {f"passage:{site.first}"}, VISIBLE_WITHIN, site)
    assert site.process.poll() is None


def test_rebuild_search_index_builds_only_when_needed(transactional_db, tmp_path, settings):
    settings.KB_SEARCH_EAGER = False
    make_source(words="Pangolins.")
    call_command("rebuild_search_index", "--if-needed", verbosity=0)
    generation = current_generation()
    call_command("rebuild_search_index", "--if-needed", verbosity=0)
    assert current_generation() == generation
    write_meta(generation, schema_version=documents.SCHEMA_VERSION + 1)
    call_command("rebuild_search_index", "--if-needed", verbosity=0)
    assert current_generation() != generation
