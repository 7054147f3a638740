"""The ``search`` part: latency of ``kb.search.search`` on a large generated corpus.

For each backend (SQLite, PostgreSQL) a worker process (Django is set up once per process,
on one database) builds the corpus of ``bench.searchcorpus`` straight into the tables
(or reuses it when the marker matches), then times the same queries four ways:

- ``search``: ``kb.search.search(q, types=("passage",), user=None, limit=10,
  facets=("passage",))``, what the search page runs for its passages tab (counts of every
  type, the passages' facets, highlighted snippets);
- ``search_nofacets``: the same with ``facets=False`` (to see what facets cost);
- ``search_all``: ``kb.search.search(q, user=None, limit=10)``, every type;
- ``bare``: the floor, one SQL full-text query for the top 10 passage ids by rank, with
  the same (alias-expanded) expression.

A third worker indexes the same passages with tantivy (tantivy-py) and times the same
queries there (top 10 with a count, as a search page needs). The parent prints p50/p95/p99
per backend and engine, the ratios, the build times and the machine's core count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import searchcorpus
from bench.common import peak_rss_mb, setup_django, summary

BATCH = 10_000  # passages per insert batch (and transaction)
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/kb_bench"
VARIANTS = ("bare", "search", "search_nofacets", "search_all")
TARGET_P95_MS = 50.0
TARGET_VS_BARE = 1.5
TARGET_VS_TANTIVY = 2.0


def log(message: str) -> None:
    print(f"[bench search {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def marker_for(args) -> dict:
    return {
        "version": searchcorpus.VERSION,
        "seed": searchcorpus.SEED,
        "passages": args.passages,
        "quotes": min(args.quotes, args.passages),
    }


# --- Databases -----------------------------------------------------------------------------


def database_url(engine: str, args) -> str:
    if engine == "sqlite":
        return f"sqlite:///{Path(args.cache_dir).resolve() / sqlite_name(args)}"
    return args.pg_url


def sqlite_name(args) -> str:
    return f"search-{args.passages}p-{min(args.quotes, args.passages)}q.sqlite3"


def pg_database_name(url: str) -> str:
    import dj_database_url

    name = dj_database_url.parse(url)["NAME"]
    if not name.startswith("kb_bench"):
        # The server is shared with other test runs: never drop a database we did not name.
        raise SystemExit(
            f"refusing to use PostgreSQL database {name!r}: its name must start with kb_bench"
        )
    return name


def recreate_postgres(url: str) -> None:
    """Drop and create the bench database (and only it)."""
    import dj_database_url
    import psycopg

    name = pg_database_name(url)
    config = dj_database_url.parse(url)
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def read_marker() -> dict | None:
    """The marker of a finished build in the current database, or None."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM bench_marker WHERE name = 'corpus'")
            row = cursor.fetchone()
            if row is None:
                return None
            marker = json.loads(row[0])
            cursor.execute("SELECT count(*) FROM kb_passage")
            passages = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM kb_quote")
            quotes = cursor.fetchone()[0]
    except Exception:  # no database, no table: build
        return None
    if marker.pop("rows", None) != {"passages": passages, "quotes": quotes}:
        return None  # a build that did not finish, or rows changed since
    return marker


def write_marker(marker: dict) -> None:
    """Record a finished build: the generator's parameters and the rows it gave."""
    from django.db import connection

    from kb.models import Passage, Quote

    rows = {"passages": Passage.objects.count(), "quotes": Quote.objects.count()}
    marker = {**marker, "rows": rows}
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_marker (name varchar(40) PRIMARY KEY, value text)"
        )
        cursor.execute("DELETE FROM bench_marker WHERE name = 'corpus'")
        cursor.execute(
            "INSERT INTO bench_marker (name, value) VALUES ('corpus', %s)", [json.dumps(marker)]
        )


def _shape(args) -> searchcorpus.Shape:
    return getattr(args, "shape", searchcorpus.SEARCH)


def _small_rows(shape: searchcorpus.Shape = searchcorpus.SEARCH):
    """People, themes, aliases: the rows the generated ones point to."""
    people = [
        (i, name, name.lower().replace(" ", "-"), "[]", "")
        for i, name in enumerate(shape.people, 1)
    ]
    themes = [
        (i, name, name.lower().replace(" ", "-"), "") for i, name in enumerate(shape.themes, 1)
    ]
    aliases = [(i, t, m, two) for i, (t, m, two) in enumerate(searchcorpus.ALIASES, 1)]
    return people, themes, aliases


def _principles(first_passages: list[tuple], shape: searchcorpus.Shape = searchcorpus.SEARCH):
    """A few published principles whose claims cite spans of the first passages."""
    principles, claims, links = [], [], []
    now = searchcorpus.NOW.strftime("%Y-%m-%d %H:%M:%S")
    usable = [p for p in first_passages if not p[7]]
    count = min(searchcorpus.PRINCIPLES, len(usable) // 3)
    words = searchcorpus.Vocabulary.build().topic
    claim_id = 0
    for i in range(1, count + 1):
        a, b = words[i % len(words)], words[(i * 7) % len(words)]
        principles.append(
            (i, f"Principle {i}: {a} before {b}", f"principle-{i}", f"Put {a} first, then {b}.",
             "published", now, now)
        )  # fmt: skip
        for position in range(3):
            passage = usable[(i * 3 + position) % len(usable)]
            pid, _, _, start, end, text = passage[:6]
            cut = text.find(".") + 1 or len(text)
            claim_id += 1
            claims.append(
                (
                    claim_id,
                    i,
                    position,
                    f"Claim {position} of {a} and {b}.",
                    pid,
                    start,
                    start + cut,
                )
            )
        links.append((i, 1 + i % len(shape.themes)))
    return principles, claims, links


def _rows_in_batches(args):
    """Lists of SourceRows holding about BATCH passages each (never the whole corpus)."""
    batch, size = [], 0
    for rows in searchcorpus.sources(args.passages, args.quotes, shape=_shape(args)):
        batch.append(rows)
        size += len(rows.passages)
        if size >= BATCH:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _cols(columns) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def build_sqlite(args) -> dict:
    """Load the rows with the search triggers dropped, then ``rebuild_index()`` once.

    ``rebuild_index`` re-creates the triggers and fills each FTS5 table with one
    INSERT … SELECT of the same SELECT the triggers use, then optimizes: the same index.
    """
    from django.db import connection, transaction

    from kb.search import rebuild_index
    from kb.search import sqlite as fts

    timings = {}
    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA cache_size=-1000000")  # 1 GB of page cache while loading
    raw.execute("PRAGMA temp_store=MEMORY")
    for name in fts.TRIGGERS:
        raw.execute(f"DROP TRIGGER IF EXISTS {name}")
    now = searchcorpus.NOW.strftime("%Y-%m-%d %H:%M:%S")

    def insert(table, columns, rows):
        marks = ", ".join("?" for _ in columns)
        raw.executemany(f'INSERT INTO "{table}" ({_cols(columns)}) VALUES ({marks})', rows)

    people, themes, aliases = _small_rows(_shape(args))
    first_passages: list[tuple] = []
    with transaction.atomic():
        insert("kb_person", ["id", "name", "slug", "aliases", "description"], people)
        insert("kb_theme", ["id", "name", "slug", "description"], themes)
        insert("kb_searchalias", ["id", "term", "means", "two_way"], aliases)
    done = 0
    for batch in _rows_in_batches(args):
        with transaction.atomic():
            insert(
                "kb_source",
                searchcorpus.SOURCE_COLUMNS,
                [r.source[:13] + (now, now) for r in batch],
            )
            passages = [p for r in batch for p in r.passages]
            insert("kb_passage", searchcorpus.PASSAGE_COLUMNS, passages)
            insert(
                "kb_quote",
                searchcorpus.QUOTE_COLUMNS,
                [q[:11] + (now, now) for r in batch for q in r.quotes],
            )
            insert(
                "kb_quote_themes",
                searchcorpus.QUOTE_THEME_COLUMNS,
                [t for r in batch for t in r.quote_themes],
            )
        if len(first_passages) < 3 * searchcorpus.PRINCIPLES * 2:
            first_passages += passages[: 6 * searchcorpus.PRINCIPLES]
        done += len(passages)
        if done % 100_000 < BATCH:
            log(f"sqlite: {done} passages loaded")
    principles, claims, links = _principles(first_passages, _shape(args))
    with transaction.atomic():
        insert(
            "kb_principle",
            ["id", "title", "slug", "summary", "status", "created", "updated"],
            principles,
        )
        insert(
            "kb_claim",
            ["id", "principle_id", "position", "text", "passage_id", "start", "end"],
            claims,
        )
        insert("kb_principle_themes", ["principle_id", "theme_id"], links)
    timings["load_s"] = round(time.perf_counter() - started, 1)
    log(f"sqlite: rows loaded in {timings['load_s']} s; building the FTS5 index")
    started = time.perf_counter()
    with transaction.atomic():
        rebuild_index(connection)
    timings["index_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    raw.execute("ANALYZE")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["analyze_s"] = round(time.perf_counter() - started, 1)
    return timings


def build_postgres(args) -> dict:
    """COPY the rows with the vector triggers on but the GIN indexes dropped, then
    ``install_index()`` (which creates the missing indexes: the same ones, built once).

    Quotes and their theme links are copied with the triggers paused and their vectors
    computed once at the end by the trigger (``UPDATE … SET search_vector = NULL``, what
    ``rebuild_index`` does), so a quote's vector includes its themes as the triggers give.
    """
    from django.db import connection

    from kb.search import install_index
    from kb.search import postgres as pg

    timings = {}
    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection  # psycopg 3, autocommit (Django's default)
    raw.execute("SET maintenance_work_mem = '1GB'")
    raw.execute("SET synchronous_commit = off")
    for table in pg.VECTORS:
        raw.execute(f"DROP INDEX IF EXISTS {table}_search_gin")
    raw.execute("DROP INDEX IF EXISTS kb_passage_text_trgm")

    def copy(table, columns, rows):
        with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({_cols(columns)}) FROM STDIN') as cp:
            for row in rows:
                cp.write_row(row)

    def paused(on: bool):
        raw.execute("SELECT set_config('kb.search_paused', %s, false)", ["on" if on else "off"])

    people, themes, aliases = _small_rows(_shape(args))
    copy("kb_person", ["id", "name", "slug", "aliases", "description"], people)
    copy("kb_theme", ["id", "name", "slug", "description"], themes)
    copy("kb_searchalias", ["id", "term", "means", "two_way"], aliases)
    first_passages: list[tuple] = []
    done = 0
    for batch in _rows_in_batches(args):
        with raw.transaction():
            copy("kb_source", searchcorpus.SOURCE_COLUMNS, [r.source for r in batch])
            passages = [p for r in batch for p in r.passages]
            copy("kb_passage", searchcorpus.PASSAGE_COLUMNS, passages)
            paused(True)
            copy("kb_quote", searchcorpus.QUOTE_COLUMNS, [q for r in batch for q in r.quotes])
            copy(
                "kb_quote_themes",
                searchcorpus.QUOTE_THEME_COLUMNS,
                [t for r in batch for t in r.quote_themes],
            )
            paused(False)
        if len(first_passages) < 3 * searchcorpus.PRINCIPLES * 2:
            first_passages += passages[: 6 * searchcorpus.PRINCIPLES]
        done += len(passages)
        if done % 100_000 < BATCH:
            log(f"postgres: {done} passages loaded")
    principles, claims, links = _principles(first_passages, _shape(args))
    with raw.transaction():
        copy(
            "kb_principle",
            ["id", "title", "slug", "summary", "status", "created", "updated"],
            principles,
        )
        copy(
            "kb_claim",
            ["id", "principle_id", "position", "text", "passage_id", "start", "end"],
            claims,
        )
        copy("kb_principle_themes", ["principle_id", "theme_id"], links)
    with raw.transaction():
        raw.execute("UPDATE kb_quote SET search_vector = NULL")  # the trigger computes it
    for table in ("kb_person", "kb_theme", "kb_searchalias", "kb_source", "kb_passage",
                  "kb_quote", "kb_quote_themes", "kb_principle", "kb_claim",
                  "kb_principle_themes"):  # fmt: skip
        raw.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        )
    timings["load_s"] = round(time.perf_counter() - started, 1)
    log(f"postgres: rows loaded in {timings['load_s']} s; building the GIN indexes")
    started = time.perf_counter()
    install_index(connection)
    timings["index_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    raw.execute("VACUUM ANALYZE")
    timings["analyze_s"] = round(time.perf_counter() - started, 1)
    return timings


def database_size_mb(engine: str, args) -> float:
    from django.db import connection

    if engine == "sqlite":
        path = Path(args.cache_dir) / sqlite_name(args)
        return round(path.stat().st_size / 1024 / 1024, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return round(cursor.fetchone()[0] / 1024 / 1024, 1)


# --- Timing --------------------------------------------------------------------------------


def _bare_runner(engine: str, expanded):
    """A function running the floor query for one (expanded) query: top 10 ids by rank."""
    from django.contrib.postgres.search import SearchRank
    from django.db import connection
    from django.db.models import F

    from kb.search import postgres as pg
    from kb.search import sqlite as fts

    raw = connection.connection
    if engine == "sqlite":
        expression = fts.compile_query(expanded)
        sql = (
            "SELECT rowid FROM kb_search_passage WHERE kb_search_passage MATCH ? "
            "ORDER BY bm25(kb_search_passage) LIMIT 10"
        )

        def run():
            return raw.execute(sql, (expression,)).fetchall()

        return run, sql, [expression]
    from kb.models import Passage

    expression = pg.compile_query(expanded)
    queryset = (
        Passage.objects.filter(search_vector=expression)
        .annotate(rank=SearchRank(F("search_vector"), expression))
        .order_by("-rank")
        .values_list("id", flat=True)[:10]
    )
    sql, params = queryset.query.sql_with_params()

    def run():
        with raw.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    return run, sql, list(params)


class TimedOut(Exception):
    pass


def _canceller(engine: str):
    """A function cancelling the statement running on the default connection (any thread)."""
    from django.db import connection

    raw = connection.connection
    if engine == "sqlite":
        return raw.interrupt
    return getattr(raw, "cancel_safe", raw.cancel)


def _absorb_late_cancel() -> None:
    """A cancel sent as a statement finished may reach the next one: let it hit a no-op."""
    from django.db import connection

    time.sleep(0.05)
    for _ in range(3):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return
        except Exception:  # the late cancel (PostgreSQL) or interrupt (SQLite)
            continue


def timed(call, timeout_s: float, cancel) -> tuple[float, object]:
    """``(milliseconds, result)``; past ``timeout_s`` the statement is cancelled and
    ``(timeout in ms, TimedOut)`` returned: such a query counts as at least the timeout.
    A call that fails otherwise is logged and counted the same way (censored)."""
    fired = threading.Event()

    def fire():
        fired.set()
        cancel()

    timer = threading.Timer(timeout_s, fire)
    timer.start()
    t0 = time.perf_counter()
    try:
        result = call()
        elapsed = (time.perf_counter() - t0) * 1000
    except Exception as exc:  # the cancelled statement's error (OperationalError, QueryCanceled)
        elapsed = (time.perf_counter() - t0) * 1000
        result = exc
    timer.cancel()
    timer.join()  # a cancel being sent is sent before the next statement starts
    if fired.is_set():
        _absorb_late_cancel()
        return max(elapsed, timeout_s * 1000), TimedOut("cancelled at the timeout")
    if isinstance(result, Exception):
        log(f"a call failed after {elapsed:.0f} ms: {result!r}")
        return timeout_s * 1000, TimedOut(repr(result))
    return elapsed, result


def time_database(engine: str, queries: list[dict], variants, timeout_s: float) -> dict:
    from kb.search import alias_map, search
    from kb.search.aliases import expand
    from kb.search.query import parse

    mapping = alias_map()
    if mapping != searchcorpus.alias_mapping():
        raise SystemExit(
            "the database's aliases are not the generated ones: rebuild without --reuse"
        )
    runners = []
    for item in queries:
        bare, sql, params = _bare_runner(engine, expand(parse(item["q"]), mapping))
        runners.append(
            {
                "bare": bare,
                "search": lambda q=item["q"]: search(
                    q, types=("passage",), user=None, limit=10, facets=("passage",)
                ),
                "search_nofacets": lambda q=item["q"]: search(
                    q, types=("passage",), user=None, limit=10, facets=False
                ),
                "search_all": lambda q=item["q"]: search(q, user=None, limit=10),
            }
        )
        item["bare_sql"] = [sql, params]
    cancel = _canceller(engine)
    # One untimed pass (caches, plans), then the timed pass, variants interleaved. A query
    # whose search timed out in the warm-up is not run again by the search variants (they
    # all rank every match): it counts as the timeout, marked as censored.
    started = time.perf_counter()
    slow = set()
    for i, run in enumerate(runners):
        timed(run["bare"], timeout_s, cancel)
        _, result = timed(run["search"], timeout_s, cancel)
        if isinstance(result, TimedOut):
            slow.add(i)
            log(f"{engine}: {queries[i]['q']!r} took over {timeout_s} s (timed out)")
    warmup_s = time.perf_counter() - started
    log(f"{engine}: warm-up pass {warmup_s:.1f} s, {len(slow)} searches over the timeout")
    times = {v: [] for v in variants}
    hits = {v: [] for v in variants}
    censored = {v: [] for v in variants}
    for i, run in enumerate(runners):
        for variant in variants:
            if i in slow and variant != "bare":
                elapsed, result = timeout_s * 1000, TimedOut("timed out in the warm-up")
            else:
                elapsed, result = timed(run[variant], timeout_s, cancel)
            times[variant].append(elapsed)
            censored[variant].append(isinstance(result, TimedOut))
            if isinstance(result, TimedOut):
                hits[variant].append(None)
            elif variant == "bare":
                hits[variant].append(len(result))
            else:
                hits[variant].append(result.counts.get("passage", 0))
    return {
        "warmup_s": round(warmup_s, 1),
        "timeout_s": timeout_s,
        "times": times,
        "found": hits,
        "censored": censored,
    }


# --- tantivy -------------------------------------------------------------------------------


def tantivy_query_text(node) -> str:
    """A parsed, expanded ``kb.search`` query node in tantivy's query language."""
    from kb.search.query import All, Phrase

    if isinstance(node, Phrase):
        return node.words[0] if len(node.words) == 1 else '"' + " ".join(node.words) + '"'
    joiner = " AND " if isinstance(node, All) else " OR "
    return "(" + joiner.join(tantivy_query_text(part) for part in node.parts) + ")"


def tantivy_query(parsed) -> str:
    positive = " AND ".join(tantivy_query_text(n) for n in parsed.positive)
    negative = " ".join("-" + tantivy_query_text(n) for n in parsed.negative)
    return f"{positive} {negative}".strip()


def run_tantivy(args, queries: list[dict]) -> dict:
    import tantivy

    from kb.search.aliases import expand
    from kb.search.query import parse

    path = Path(args.cache_dir) / f"tantivy-{args.passages}p"
    marker_file = path / "bench-marker.json"
    marker = marker_for(args)
    built = None
    schema_builder = tantivy.SchemaBuilder()
    schema_builder.add_integer_field("id", stored=True, indexed=False, fast=True)
    schema_builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
    schema = schema_builder.build()
    reuse = args.reuse and marker_file.exists() and json.loads(marker_file.read_text()) == marker
    if not reuse:
        import shutil

        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        started = time.perf_counter()
        index = tantivy.Index(schema, path=str(path))
        writer = index.writer(heap_size=1_000_000_000, num_threads=os.cpu_count() or 1)
        done = 0
        for pid, text in searchcorpus.passages_only(args.passages, args.quotes):
            writer.add_document(tantivy.Document(id=pid, text=text))
            done += 1
            if done % 200_000 == 0:
                log(f"tantivy: {done} passages indexed")
        writer.commit()
        writer.wait_merging_threads()
        built = {"index_s": round(time.perf_counter() - started, 1)}
        marker_file.write_text(json.dumps(marker))
        log(f"tantivy: index built in {built['index_s']} s")
    index = tantivy.Index(schema, path=str(path))
    index.reload()
    searcher = index.searcher()
    mapping = searchcorpus.alias_mapping()
    texts = []
    for item in queries:
        text = tantivy_query(expand(parse(item["q"]), mapping))
        item["tantivy"] = text
        texts.append(text)

    def run(text):
        query = index.parse_query(text, ["text"])
        result = searcher.search(query, limit=10, count=True)
        ids = [searcher.doc(address)["id"][0] for _, address in result.hits]
        return result.count, ids

    started = time.perf_counter()
    for text in texts:
        run(text)
    warmup_s = time.perf_counter() - started
    times, found = [], []
    for text in texts:
        t0 = time.perf_counter()
        count, _ = run(text)
        times.append((time.perf_counter() - t0) * 1000)
        found.append(count)
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    return {
        "engine": "tantivy",
        "version": getattr(tantivy, "__version__", "?"),
        "reused": reuse,
        "build": built,
        "index_mb": round(size / 1024 / 1024, 1),
        "segments": searcher.num_segments,
        "warmup_s": round(warmup_s, 1),
        "times": {"tantivy": times},
        "found": {"tantivy": found},
    }


# --- Workers and the parent ----------------------------------------------------------------


def worker(args) -> int:
    """One engine in this process: build or reuse, time, write JSON to ``args.out``."""
    queries = json.loads(Path(args.queries_file).read_text())
    if args.engine == "tantivy":
        setup_django(database_url("sqlite", args), migrate=False)  # only to import kb.search
        try:
            result = run_tantivy(args, queries)
        except ImportError as exc:
            result = {"engine": "tantivy", "unavailable": f"tantivy is not installed ({exc})"}
    else:
        result = run_database(args, queries)
    result["queries"] = queries
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    Path(args.out).write_text(json.dumps(result, default=str))
    return 0


def run_database(args, queries) -> dict:
    engine = args.engine
    url = database_url(engine, args)
    if engine == "postgres":
        pg_database_name(url)
    setup_django(url, migrate=False)
    from django.core.management import call_command
    from django.db import connection

    marker = marker_for(args)
    reused = bool(args.reuse) and read_marker() == marker
    build = None
    if not reused:
        connection.close()
        started = time.perf_counter()
        if engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        else:
            recreate_postgres(url)
        log(f"{engine}: building {args.passages} passages, {marker['quotes']} quotes")
        call_command("migrate", verbosity=0)
        timings = build_sqlite(args) if engine == "sqlite" else build_postgres(args)
        write_marker(marker)
        timings["total_s"] = round(time.perf_counter() - started, 1)
        build = timings
        log(f"{engine}: built in {timings['total_s']} s ({timings})")
    else:
        log(f"{engine}: reusing the corpus ({marker})")
        # The rows are the marker's; the schema follows the code (an index added since).
        call_command("migrate", verbosity=0)
    from kb.models import Passage, Quote, Source

    sizes = {
        "sources": Source.objects.count(),
        "passages": Passage.objects.count(),
        "quotes": Quote.objects.count(),
        "database_mb": database_size_mb(engine, args),
    }
    timed = time_database(engine, queries, args.variants.split(","), args.timeout_ms / 1000)
    return {"engine": engine, "reused": reused, "build": build, "sizes": sizes, **timed}


def spawn(engine: str, args, queries_file: Path) -> dict:
    out = Path(args.cache_dir) / f"result-{engine}.json"
    out.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "bench", "search-worker", "--engine", engine,
        "--passages", str(args.passages), "--quotes", str(args.quotes),
        "--cache-dir", str(args.cache_dir), "--pg-url", args.pg_url,
        "--queries-file", str(queries_file), "--out", str(out), "--variants", args.variants,
        "--timeout-ms", str(args.timeout_ms),
    ] + (["--reuse"] if args.reuse else [])  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, check=False)
    if done.returncode != 0 or not out.exists():
        return {"engine": engine, "failed": f"worker exited with {done.returncode}"}
    result = json.loads(out.read_text())
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def bench_search(args) -> dict:
    variants = set(args.variants.split(","))
    if not {"bare", "search"} <= variants or not variants <= set(VARIANTS):
        # The report compares search with bare: both are needed (a bad list fails early,
        # not after an hour of building and timing).
        raise SystemExit(
            f"--variants must include bare and search, from: {', '.join(VARIANTS)} "
            f"(got {args.variants!r})"
        )
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    queries = searchcorpus.queries(args.queries, passages=args.passages, quotes=args.quotes)
    queries_file = cache / "queries.json"
    queries_file.write_text(json.dumps(queries, indent=1))
    engines = [e for e in args.backends.split(",") if e]
    if not args.no_tantivy:
        engines.append("tantivy")
    results = {}
    for engine in engines:
        log(f"{engine}: starting")
        results[engine] = spawn(engine, args, queries_file)
    return summarize(args, queries, results)


def _median(values):
    """The median of the known values (a timed-out call found an unknown number)."""
    known = sorted(v for v in values if v is not None)
    return known[len(known) // 2] if known else None


def _censored(stats: dict, p: str) -> bool:
    return bool(stats.get("timed_out")) and stats[p] >= stats["timeout_ms"] * 0.999


def _ratio(a, b):
    return round(a / b, 2) if a and b else None


def summarize(args, queries, results) -> dict:
    kinds = [q["kind"] for q in queries]
    out = {
        "part": "search",
        "cpu_count": os.cpu_count(),
        "passages": args.passages,
        "quotes": min(args.quotes, args.passages),
        "queries": len(queries),
        "query_kinds": {k: kinds.count(k) for k in searchcorpus.KINDS_OF_QUERY},
        "targets": {
            "p95_ms": TARGET_P95_MS,
            "vs_bare": TARGET_VS_BARE,
            "vs_tantivy": TARGET_VS_TANTIVY,
        },
        "engines": {},
    }
    tantivy_p = None
    for engine, result in results.items():
        if "failed" in result or "unavailable" in result:
            out["engines"][engine] = {k: v for k, v in result.items() if k != "queries"}
            continue
        entry = {
            k: result.get(k)
            for k in ("reused", "build", "sizes", "warmup_s", "wall_s", "index_mb", "version",
                      "peak_rss_mb")
            if k in result
        }  # fmt: skip
        entry["latency_ms"] = {}
        entry["p95_by_kind_ms"] = {}
        timeout_ms = result.get("timeout_s", 0) * 1000
        for variant, ms in result["times"].items():
            entry["latency_ms"][variant] = summary(ms)
            cut = sum(result.get("censored", {}).get(variant, []))
            entry["latency_ms"][variant]["timed_out"] = cut
            entry["latency_ms"][variant]["timeout_ms"] = timeout_ms or None
            entry["p95_by_kind_ms"][variant] = {
                kind: summary([m for m, k in zip(ms, kinds, strict=True) if k == kind])["p95"]
                for kind in searchcorpus.KINDS_OF_QUERY
            }
        entry["found_median"] = {v: _median(f) for v, f in result["found"].items()}
        # The slowest queries of the main variant: where the time goes.
        main = "tantivy" if engine == "tantivy" else "search"
        slowest = sorted(
            zip(result["times"][main], queries, result["found"][main], strict=True),
            key=lambda t: -t[0],
        )[:5]
        entry["slowest"] = [
            {"ms": round(ms, 1), "q": q["q"], "kind": q["kind"], "found": f} for ms, q, f in slowest
        ]
        out["engines"][engine] = entry
        if engine == "tantivy":
            tantivy_p = entry["latency_ms"]["tantivy"]
    for engine, entry in out["engines"].items():
        if engine == "tantivy" or "latency_ms" not in entry:
            continue
        lat = entry["latency_ms"]
        ratios = {}
        for p in ("p50", "p95", "p99"):
            ratios[f"search/bare {p}"] = _ratio(lat["search"][p], lat["bare"][p])
            if tantivy_p:
                ratios[f"search/tantivy {p}"] = _ratio(lat["search"][p], tantivy_p[p])
                ratios[f"bare/tantivy {p}"] = _ratio(lat["bare"][p], tantivy_p[p])
        entry["ratios"] = ratios
        # A search percentile at the timeout is only a lower bound, and so is its ratio.
        entry["ratios_lower_bound"] = [
            key
            for key in ratios
            if key.startswith("search/") and _censored(lat["search"], key.rsplit(" ", 1)[1])
        ]
        entry["meets"] = {
            "p95 <= 50 ms": lat["search"]["p95"] <= TARGET_P95_MS
            and not _censored(lat["search"], "p95"),
            "p95 <= 1.5x bare": (ratios["search/bare p95"] or 99) <= TARGET_VS_BARE
            and not _censored(lat["search"], "p95"),
            "p95 <= 2x tantivy": (ratios.get("search/tantivy p95") or 99) <= TARGET_VS_TANTIVY
            and not _censored(lat["search"], "p95")
            if tantivy_p
            else None,
        }
    return out


LABELS = {
    "search": "search(passage)",
    "search_nofacets": "search(passage, no facets)",
    "search_all": "search(all types)",
    "bare": "bare SQL full-text (floor)",
    "tantivy": "tantivy top 10 + count",
}


def report_search(result: dict) -> None:
    print(
        f"search: {result['passages']} passages, {result['quotes']} quotes, "
        f"{result['queries']} queries {result['query_kinds']}, {result['cpu_count']} cores"
    )
    for engine, entry in result["engines"].items():
        if "latency_ms" not in entry:
            reason = entry.get("unavailable") or entry.get("failed")
            print(f"{engine}: unavailable ({reason})")
            continue
        build = entry.get("build")
        sizes = entry.get("sizes") or {}
        where = f"{sizes.get('database_mb', entry.get('index_mb'))} MB"
        if build:
            print(
                f"{engine}: built in {build.get('total_s', build.get('index_s'))} s {build}, {where}"
            )
        else:
            print(f"{engine}: reused the built corpus, {where}")
        for variant, s in entry["latency_ms"].items():
            limit = s.get("timeout_ms")

            def ms(value, limit=limit, s=s):
                over = limit and s.get("timed_out") and value >= limit * 0.999
                return f"{'>' if over else ' '}{value:8.2f}"

            kinds = " ".join(
                f"{k} {ms(v).strip()}" for k, v in entry["p95_by_kind_ms"][variant].items()
            )
            cut = (
                f", {s['timed_out']} over the {limit:.0f} ms timeout" if s.get("timed_out") else ""
            )
            print(
                f"{engine:9} {LABELS.get(variant, variant):30} p50 {ms(s['p50'])} ms  "
                f"p95 {ms(s['p95'])} ms  p99 {ms(s['p99'])} ms  (p95 by kind: {kinds}{cut})"
            )
        if "ratios" in entry:
            low = set(entry.get("ratios_lower_bound", []))
            ratios = "  ".join(
                f"{k} {'≥' if k in low else ''}{v}×"
                for k, v in entry["ratios"].items()
                if v is not None
            )
            print(f"{engine:9} ratios: {ratios}")
            meets = ", ".join(
                f"{k}: {'ok' if v else 'MISSED'}"
                for k, v in entry["meets"].items()
                if v is not None
            )
            print(f"{engine:9} targets: {meets}")
