"""The ``search`` part: the tantivy search on a large generated corpus (issue #24).

For each database (SQLite, PostgreSQL) a worker process builds the corpus of
``bench.searchcorpus`` straight into the tables (or reuses it when the marker matches),
plus a share of Chinese and mixed Chinese/English sources, then:

- builds the search index with ``manage.py rebuild_search_index`` in a child process:
  documents/s and passages/s, the index's size, the child's peak RSS;
- times 200 queries (common words, rare words, phrases, aliases, typos, Chinese), each
  three ways, interleaved: ``search`` (``kb.search.search(q, limit=10)``: the search
  page's whole work, counts of every type, ranked hits with highlights, exact facets),
  ``bare`` (a script doing the same work on tantivy directly: top 10 of each type, the
  counts, the same facet aggregations, the 10 hits' rows and snippets) and
  ``quote_list`` (the quote list's FilterSet with ``q`` and two filters, its first page);
- measures whether tantivy releases the GIL: the same searches on one thread, then on
  two threads at once;
- runs the real indexer (``manage.py search_indexer``) and times single edits until
  they are found (``open_searcher``), with the indexer's RSS.

The old engines (SQLite FTS5, PostgreSQL GIN) are gone from the code; their last figures
are printed from ``LAST_FIGURES`` (README, same corpus and queries).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from bench import searchcorpus
from bench.common import peak_rss_mb, setup_django, summary

BATCH = 10_000  # passages per insert batch (and transaction)
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/kb_bench"
VARIANTS = ("search", "bare", "quote_list")
KINDS_OF_QUERY = (*searchcorpus.KINDS_OF_QUERY, "typo", "chinese")
TARGET_P95_MS = 30.0
TARGET_P99_MS = 60.0
TARGET_VS_BARE = 1.5
TARGET_QUOTE_LIST_P95_MS = 30.0
TARGET_BUILD_PASSAGES_S = 20_000
TARGET_VISIBLE_S = 2.0
EDITS = 5  # single edits timed until visible
# A share of the corpus in Chinese (one passage in CJK_EVERY), by sources of CJK_PER_SOURCE.
CJK_EVERY = 100
CJK_PER_SOURCE = 10
CJK_WORDS = (
    "小米 雷军 手机 价格 用户 互联网 创业 产品 设计 生态链 智能 家居 汽车 芯片 供应链 质量 "
    "效率 粉丝 口碑 极致 专注 性价比 工程师 团队 市场 全球 技术 创新 梦想 朋友 感动 "
    "硬件 软件 服务 新零售 电商 工厂 制造 体验 社区 开发 系统 屏幕 相机 电池 充电"
).split()
MIXED = ("OLED,CyberDog仿生", "MIUI系统", "Redmi手机", "HyperOS生态", "SU7汽车")
# The old engines' last figures (README, the same 1M-passage corpus and 200 queries of four
# kinds, 2 cores; ms p50 / p95 / p99), kept as figures rather than code.
LAST_FIGURES = {
    "SQLite FTS5 bm25, bare top 10": (35, 407, 774),
    "SQLite FTS5, search() all types": (74, 545, 964),
    "PostgreSQL GIN ts_rank, bare top 10": (84, 288, 325),
    "PostgreSQL GIN, search() all types": (149, 422, 503),
}


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
        (i, name, name.lower().replace(" ", "-"), "[]", "", "published")
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


def _cjk_sources(args, first_id: int, first_passage: int):
    """Chinese (and mixed) sources after the generated ones: one passage in CJK_EVERY."""
    rng = random.Random(searchcorpus.SEED + 7)
    total = max(CJK_PER_SOURCE, args.passages // CJK_EVERY)
    passage_id = first_passage
    now = searchcorpus.NOW
    for n in range(0, total, CJK_PER_SOURCE):
        source_id = first_id + n // CJK_PER_SOURCE
        texts, rows, offset = [], [], 0
        for number in range(1, CJK_PER_SOURCE + 1):
            passage_id += 1
            words = [rng.choice(CJK_WORDS) for _ in range(rng.randint(20, 60))]
            if rng.random() < 0.3:
                words.insert(rng.randrange(len(words)), rng.choice(MIXED))
            text = "".join(words) + "。"
            rows.append((passage_id, source_id, number, offset, offset + len(text), text, 1, False))
            texts.append(text)
            offset += len(text) + 2
        text = "\n\n".join(texts)
        import hashlib

        from kb.texts import fingerprint

        source = (
            source_id, f"雷军访谈 {source_id}", f"bench-zh-{source_id}", "interview", "",
            "记者", "新浪科技", None, 2015 + source_id % 10, "zh", text,
            hashlib.sha256(text.encode()).hexdigest(), fingerprint(text), "", now, now,
        )  # fmt: skip
        yield source, rows


def _load(args, insert, transaction) -> list[tuple]:
    """Every row through ``insert(table, columns, rows)``; ``transaction()`` a context."""
    people, themes, aliases = _small_rows(_shape(args))
    first_passages: list[tuple] = []
    with transaction():
        insert("kb_person", ["id", "name", "slug", "aliases", "description", "status"], people)
        insert("kb_theme", ["id", "name", "slug", "description"], themes)
        insert("kb_searchalias", ["id", "term", "means", "two_way"], aliases)
    done = last_source = last_passage = 0
    for batch in _rows_in_batches(args):
        with transaction():
            insert("kb_source", searchcorpus.SOURCE_COLUMNS, [r.source for r in batch])
            passages = [p for r in batch for p in r.passages]
            insert("kb_passage", searchcorpus.PASSAGE_COLUMNS, passages)
            insert("kb_quote", searchcorpus.QUOTE_COLUMNS, [q for r in batch for q in r.quotes])
            insert(
                "kb_quote_themes",
                searchcorpus.QUOTE_THEME_COLUMNS,
                [t for r in batch for t in r.quote_themes],
            )
        last_source, last_passage = batch[-1].source[0], passages[-1][0]
        if len(first_passages) < 3 * searchcorpus.PRINCIPLES * 2:
            first_passages += passages[: 6 * searchcorpus.PRINCIPLES]
        done += len(passages)
        if done % 100_000 < BATCH:
            log(f"{done} passages loaded")
    with transaction():
        for source, rows in _cjk_sources(args, last_source + 1, last_passage):
            insert("kb_source", searchcorpus.SOURCE_COLUMNS, [source])
            insert("kb_passage", searchcorpus.PASSAGE_COLUMNS, rows)
    principles, claims, links = _principles(first_passages, _shape(args))
    with transaction():
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
    return first_passages


def _drop_outbox_triggers(connection) -> None:
    """The rows go in without outbox rows (the index is built from the tables after)."""
    from kb.search import outbox

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in outbox.sqlite_triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            for name, sql in outbox.postgres_triggers().items():
                table = sql.split(" ON ", 1)[1].split()[0]
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def build_sqlite(args) -> dict:
    from django.db import connection, transaction

    from kb.search.outbox import ensure_triggers

    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA cache_size=-1000000")  # 1 GB of page cache while loading
    _drop_outbox_triggers(connection)

    def value(v):
        return v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v

    def insert(table, columns, rows):
        marks = ", ".join("?" for _ in columns)
        rows = [tuple(value(v) for v in row) for row in rows]
        raw.executemany(f'INSERT INTO "{table}" ({_cols(columns)}) VALUES ({marks})', rows)

    _load(args, insert, transaction.atomic)
    ensure_triggers(connection)
    raw.execute("ANALYZE")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"load_s": round(time.perf_counter() - started, 1)}


def build_postgres(args) -> dict:
    from django.db import connection

    from kb.search.outbox import ensure_triggers

    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection  # psycopg 3, autocommit (Django's default)
    raw.execute("SET synchronous_commit = off")
    _drop_outbox_triggers(connection)

    def insert(table, columns, rows):
        with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({_cols(columns)}) FROM STDIN') as cp:
            for row in rows:
                cp.write_row(row)

    _load(args, insert, raw.transaction)
    for table in ("kb_person", "kb_theme", "kb_searchalias", "kb_source", "kb_passage",
                  "kb_quote", "kb_quote_themes", "kb_principle", "kb_claim",
                  "kb_principle_themes"):  # fmt: skip
        raw.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        )
    ensure_triggers(connection)
    raw.execute("VACUUM ANALYZE")
    return {"load_s": round(time.perf_counter() - started, 1)}


def database_size_mb(engine: str, args) -> float:
    from django.db import connection

    if engine == "sqlite":
        path = Path(args.cache_dir) / sqlite_name(args)
        return round(path.stat().st_size / 1024 / 1024, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return round(cursor.fetchone()[0] / 1024 / 1024, 1)


# --- Queries ---------------------------------------------------------------------------------


def _typo(word: str, rng: random.Random) -> str:
    """``word`` with one letter changed: swapped with the next, dropped or replaced."""
    i = rng.randrange(1, len(word) - 1)
    how = rng.randrange(3)
    if how == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == 1:
        return word[:i] + word[i + 1 :]
    letter = rng.choice([c for c in "aeioustrnl" if c != word[i]])
    return word[:i] + letter + word[i + 1 :]


def make_queries(args) -> list[dict]:
    """``args.queries`` queries: the four kinds of ``searchcorpus.queries`` (two thirds),
    typos of its common and rare words, and Chinese (one sixth each)."""
    sixth = args.queries // 6
    base = searchcorpus.queries(
        args.queries - 2 * sixth, passages=args.passages, quotes=args.quotes
    )
    rng = random.Random(searchcorpus.SEED + 5)
    words = [q["q"] for q in base if q["kind"] in ("common", "rare") and " " not in q["q"]]
    words = [w for w in words if len(w) >= 5 and w.isalpha()] or ["sincerity"]
    typos = [{"kind": "typo", "q": _typo(rng.choice(words), rng)} for _ in range(sixth)]
    chinese = []
    for i in range(sixth):
        if i % 4 == 0:
            q = rng.choice(MIXED).split("仿生")[0].lower() if i % 8 == 0 else "雷軍"
        elif i % 4 == 1:
            q = f"{rng.choice(CJK_WORDS)} {rng.choice(CJK_WORDS)}"
        else:
            q = rng.choice(CJK_WORDS)
        chinese.append({"kind": "chinese", "q": q})
    return base + typos + chinese


# --- Timing ----------------------------------------------------------------------------------


class Bare:
    """The search page's work on tantivy directly, with no kb.search layer: per type the top
    10 and the count, the facet aggregations over every match, the hits' rows and snippets."""

    FACETS = ("theme", "speaker", "source", "kind", "year")

    def __init__(self):
        import re

        from kb.search import documents
        from kb.search.index import current_index

        self.re = re
        self.documents = documents
        self.index = current_index()
        self.schema = self.index.schema

    def run(self, q: str) -> int:
        import tantivy

        from kb.models import Passage, Principle, Quote, Source

        searcher = self.index.searcher()
        fields = list(self.documents.TEXT_FIELDS)
        try:
            query = self.index.parse_query(q, fields)
        except ValueError:
            query = self.index.parse_query_lenient(q, fields)[0]
        total = 0
        models = {"quote": Quote, "passage": Passage, "principle": Principle, "source": Source}
        words = [w for w in self.re.findall(r"\w+", q.lower()) if len(w) > 1]
        pattern = self.re.compile("|".join(map(self.re.escape, words)) or "^$", self.re.I)
        for kind, model in models.items():
            typed = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, query),
                    (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "type", kind)),
                ]
            )
            result = searcher.search(typed, limit=10, count=True)
            total += result.count
            if not result.hits:
                continue
            ids = searcher.fast_field_values("id", [address for _, address in result.hits])
            field = "title" if kind in ("principle", "source") else "text"
            for text in model.objects.filter(pk__in=ids).values_list(field, flat=True):
                match = pattern.search(text or "")
                at = match.start() if match else 0
                pattern.sub(
                    lambda m: f"<mark>{m.group(0)}</mark>", text[max(0, at - 80) : at + 240]
                )
        aggs = {
            "type": {
                "terms": {"field": "type", "size": 10},
                "aggs": {f: {"terms": {"field": f, "size": 50}} for f in self.FACETS},
            }
        }
        searcher.aggregate(query, aggs)
        return total


def time_queries(queries: list[dict], variants) -> dict:
    from kb.filters import QuoteFilter
    from kb.models import Person, Quote, Theme
    from kb.search import search

    bare = Bare()
    theme = Theme.objects.order_by("pk").values_list("slug", flat=True).first()
    speaker = Person.objects.order_by("pk").values_list("slug", flat=True).first()

    def quote_list(q):
        data = {"q": q, "theme": theme, "speaker": speaker}
        qs = QuoteFilter(data, queryset=Quote.objects.published()).qs
        return len(list(qs[:20])) + qs.count()

    runs = {
        "search": lambda q: sum(search(q, limit=10).counts.values()),
        "bare": bare.run,
        "quote_list": quote_list,
    }
    for item in queries:  # one untimed pass: caches, the analyzer's tables
        for variant in variants:
            runs[variant](item["q"])
    times = {v: [] for v in variants}
    found = {v: [] for v in variants}
    errors = {v: 0 for v in variants}
    for item in queries:
        for variant in variants:
            t0 = time.perf_counter()
            try:
                count = runs[variant](item["q"])
            except Exception as exc:  # a failure is counted, not hidden
                errors[variant] += 1
                log(f"{variant} {item['q']!r} failed: {exc!r}")
                count = None
            times[variant].append((time.perf_counter() - t0) * 1000)
            found[variant].append(count)
    return {"times": times, "found": found, "errors": errors}


def gil_test(queries: list[dict]) -> dict:
    """Searches per second on one thread and on two at once: about 2x on 2 cores when
    tantivy releases the GIL during a search (the Python layer above it never does)."""
    from kb.search import search
    from kb.search.index import current_index

    index = current_index()
    words = [q["q"] for q in queries if q["kind"] in ("common", "phrase")]

    def engine_only(q):
        searcher = index.searcher()
        try:
            query = index.parse_query(q, ["text"])
        except ValueError:
            return
        searcher.search(query, limit=10, count=True)

    out = {}
    for name, call in (
        ("tantivy search", engine_only),
        ("search()", lambda q: search(q, limit=10)),
    ):
        rounds = 3 if name == "tantivy search" else 1
        work = words * rounds
        t0 = time.perf_counter()
        for q in work + work:
            call(q)
        one = time.perf_counter() - t0
        threads = [
            threading.Thread(target=lambda c=call, w=work: [c(q) for q in w]) for _ in range(2)
        ]
        t0, cpu0 = time.perf_counter(), time.process_time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        two, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        out[name] = {
            "searches": 2 * len(work),
            "one_thread_per_s": round(2 * len(work) / one, 1),
            "two_threads_per_s": round(2 * len(work) / two, 1),
            "speedup": round(one / two, 2),
            # Above 1.0: both threads ran at once (the GIL was released), whatever the
            # machine's other load did to the wall-clock speedup.
            "cpu_per_wall_two_threads": round(cpu / two, 2),
        }
    return out


def build_index(url: str, index_dir: Path) -> dict:
    """``manage.py rebuild_search_index`` in a child: its seconds, rate, size and peak RSS."""
    import re

    env = {**os.environ, "DATABASE_URL": url, "KB_SEARCH_INDEX": str(index_dir)}
    env.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-secret")
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "manage.py", "rebuild_search_index"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"rebuild_search_index failed ({status}): {out}")
    seconds = float(re.search(r"; ([\d.]+) s,", out).group(1))
    counts = {kind: int(n.replace(",", "")) for n, kind in re.findall(r"(\d+) (\w+)s\b", out)}
    from kb.search.index import current_generation

    generation = current_generation(index_dir)
    size = sum(p.stat().st_size for p in generation.iterdir() if p.is_file())
    documents = sum(counts.values())
    return {
        "seconds": seconds,
        "wall_s": round(wall, 1),
        "documents": documents,
        "passages": counts.get("passage", 0),
        "documents_per_s": round(documents / seconds),
        "passages_per_s": round(counts.get("passage", 0) / seconds),
        "index_mb": round(size / 1024 / 1024, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "output": out.strip(),
    }


def edit_latency(url: str, index_dir: Path) -> dict:
    """The real indexer running: single edits (an ORM update) until a search finds them."""
    from kb.models import Passage
    from kb.search.index import current_index, writer_lock

    env = {**os.environ, "DATABASE_URL": url, "KB_SEARCH_INDEX": str(index_dir)}
    env.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-secret")
    indexer = subprocess.Popen(
        [sys.executable, "manage.py", "search_indexer", "-v0"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
    )
    try:
        # Ready once it holds the writer lock (Django, the analyzer's tables, the index open).
        lock = writer_lock(index_dir)
        deadline = time.monotonic() + 120
        while not lock.is_locked() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        ids = list(
            Passage.objects.filter(is_boilerplate=False)
            .order_by("?")[:EDITS]
            .values_list("pk", flat=True)
        )
        latencies = []
        for i, pk in enumerate(ids):
            token = f"editprobe{i}q{int(time.time())}"
            Passage.objects.filter(pk=pk).update(text=f"{token} was here")
            t0 = time.perf_counter()
            while True:
                index = current_index()
                if index.searcher().search(index.parse_query(token, ["text"]), limit=1).count:
                    break
                if time.perf_counter() - t0 > 30:
                    break
                time.sleep(0.01)
            latencies.append(round(time.perf_counter() - t0, 3))
        status = Path(f"/proc/{indexer.pid}/status").read_text()
        rss = {
            line.split(":")[0]: round(int(line.split()[1]) / 1024, 1)
            for line in status.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))
        }
    finally:
        indexer.terminate()
        indexer.wait(30)
    return {
        "seconds": latencies,
        "max_s": max(latencies),
        "indexer_rss_mb": rss.get("VmRSS"),
        "indexer_peak_rss_mb": rss.get("VmHWM"),
    }


# --- Workers and the parent --------------------------------------------------------------------


def worker(args) -> int:
    """One database in this process: build or reuse, index, time, write JSON to ``args.out``."""
    queries = json.loads(Path(args.queries_file).read_text())
    engine = args.engine
    url = database_url(engine, args)
    index_dir = (Path(args.cache_dir) / f"index-{engine}-{args.passages}p").resolve()
    os.environ["KB_SEARCH_INDEX"] = str(index_dir)
    os.environ["KB_SEARCH_EAGER"] = "0"
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
        build = build_sqlite(args) if engine == "sqlite" else build_postgres(args)
        write_marker(marker)
        build["total_s"] = round(time.perf_counter() - started, 1)
        log(f"{engine}: rows loaded in {build['total_s']} s")
    else:
        log(f"{engine}: reusing the corpus ({marker})")
        call_command("migrate", verbosity=0)
    from kb.models import Passage, Quote, SearchOutbox, Source

    SearchOutbox.objects.all().delete()
    sizes = {
        "sources": Source.objects.count(),
        "passages": Passage.objects.count(),
        "quotes": Quote.objects.count(),
        "database_mb": database_size_mb(engine, args),
    }
    log(f"{engine}: building the search index ({sizes})")
    index = build_index(url, index_dir)
    log(f"{engine}: index built: {index['passages_per_s']} passages/s, {index['index_mb']} MB")
    timed = time_queries(queries, [v for v in args.variants.split(",") if v])
    log(f"{engine}: timed; measuring the GIL")
    gil = gil_test(queries)
    log(f"{engine}: single edits with the indexer running")
    edits = edit_latency(url, index_dir)
    result = {
        "engine": engine,
        "reused": reused,
        "build": build,
        "sizes": sizes,
        "index": index,
        "gil": gil,
        "edits": edits,
        **timed,
        "queries": queries,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    Path(args.out).write_text(json.dumps(result, default=str))
    return 0


def spawn(engine: str, args, queries_file: Path) -> dict:
    out = Path(args.cache_dir) / f"result-{engine}.json"
    out.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "bench", "search-worker", "--engine", engine,
        "--passages", str(args.passages), "--quotes", str(args.quotes),
        "--cache-dir", str(args.cache_dir), "--pg-url", args.pg_url,
        "--queries-file", str(queries_file), "--out", str(out), "--variants", args.variants,
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
        raise SystemExit(
            f"--variants must include bare and search, from: {', '.join(VARIANTS)} "
            f"(got {args.variants!r})"
        )
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    queries = make_queries(args)
    queries_file = cache / "queries.json"
    queries_file.write_text(json.dumps(queries, indent=1, ensure_ascii=False))
    results = {}
    for engine in [e for e in args.backends.split(",") if e]:
        log(f"{engine}: starting")
        results[engine] = spawn(engine, args, queries_file)
    return summarize(args, queries, results)


def _ratio(a, b):
    return round(a / b, 2) if a and b else None


def summarize(args, queries, results) -> dict:
    kinds = [q["kind"] for q in queries]
    out = {
        "part": "search",
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "passages": args.passages,
        "quotes": min(args.quotes, args.passages),
        "queries": len(queries),
        "query_kinds": {k: kinds.count(k) for k in KINDS_OF_QUERY},
        "targets": {
            "search p95_ms": TARGET_P95_MS,
            "search p99_ms": TARGET_P99_MS,
            "search/bare p95": TARGET_VS_BARE,
            "quote_list p95_ms": TARGET_QUOTE_LIST_P95_MS,
            "build passages/s": TARGET_BUILD_PASSAGES_S,
            "edit visible s": TARGET_VISIBLE_S,
        },
        "last_figures_old_engines_ms": LAST_FIGURES,
        "engines": {},
    }
    for engine, result in results.items():
        if "failed" in result:
            out["engines"][engine] = result
            continue
        entry = {
            k: result.get(k)
            for k in ("reused", "build", "sizes", "index", "gil", "edits", "wall_s", "errors",
                      "peak_rss_mb")
        }  # fmt: skip
        entry["index"].pop("output", None)
        entry["latency_ms"], entry["p95_by_kind_ms"] = {}, {}
        for variant, ms in result["times"].items():
            entry["latency_ms"][variant] = summary(ms)
            entry["p95_by_kind_ms"][variant] = {
                kind: summary([m for m, k in zip(ms, kinds, strict=True) if k == kind])["p95"]
                for kind in KINDS_OF_QUERY
            }
        slowest = sorted(
            zip(result["times"]["search"], queries, result["found"]["search"], strict=True),
            key=lambda t: -t[0],
        )[:5]
        entry["slowest"] = [
            {"ms": round(ms, 1), "q": q["q"], "kind": q["kind"], "found": f} for ms, q, f in slowest
        ]
        lat = entry["latency_ms"]
        entry["ratios"] = {
            f"search/bare {p}": _ratio(lat["search"][p], lat["bare"][p])
            for p in ("p50", "p95", "p99")
        }
        entry["meets"] = {
            "search p95 <= 30 ms": lat["search"]["p95"] <= TARGET_P95_MS,
            "search p99 <= 60 ms": lat["search"]["p99"] <= TARGET_P99_MS,
            "search p95 <= 1.5x bare": (entry["ratios"]["search/bare p95"] or 99) <= TARGET_VS_BARE,
            "quote list p95 <= 30 ms": lat["quote_list"]["p95"] <= TARGET_QUOTE_LIST_P95_MS
            if "quote_list" in lat
            else None,
            "build >= 20,000 passages/s": entry["index"]["passages_per_s"]
            >= TARGET_BUILD_PASSAGES_S,
            "an edit visible within 2 s": entry["edits"]["max_s"] <= TARGET_VISIBLE_S,
        }
        out["engines"][engine] = entry
    return out


LABELS = {
    "search": "search() (the page's work)",
    "bare": "bare tantivy, same work",
    "quote_list": "quote list, q + 2 filters",
}


def report_search(result: dict) -> None:
    print(
        f"search: {result['passages']} passages (+1% Chinese), {result['quotes']} quotes, "
        f"{result['queries']} queries {result['query_kinds']}, {result['cpu_count']} cores, "
        f"load average {result['load_average']}"
    )
    for engine, entry in result["engines"].items():
        if "latency_ms" not in entry:
            print(f"{engine}: unavailable ({entry.get('failed')})")
            continue
        sizes, index = entry["sizes"], entry["index"]
        print(
            f"{engine}: {sizes['passages']} passages, {sizes['quotes']} quotes, database "
            f"{sizes['database_mb']} MB"
            + ("" if entry["build"] is None else f", loaded in {entry['build']['total_s']} s")
        )
        print(
            f"{engine:9} index build: {index['documents']} documents in {index['seconds']} s, "
            f"{index['passages_per_s']:,} passages/s ({index['documents_per_s']:,} documents/s), "
            f"{index['index_mb']} MB, peak RSS {index['peak_rss_mb']} MB"
        )
        for variant, s in entry["latency_ms"].items():
            kinds = " ".join(f"{k} {v:.1f}" for k, v in entry["p95_by_kind_ms"][variant].items())
            print(
                f"{engine:9} {LABELS.get(variant, variant):28} p50 {s['p50']:7.2f} ms  "
                f"p95 {s['p95']:7.2f} ms  p99 {s['p99']:7.2f} ms  (p95 by kind: {kinds})"
            )
        print(f"{engine:9} ratios: " + "  ".join(f"{k} {v}x" for k, v in entry["ratios"].items()))
        edits = entry["edits"]
        print(
            f"{engine:9} single edit visible in {edits['seconds']} s; indexer RSS "
            f"{edits['indexer_rss_mb']} MB (peak {edits['indexer_peak_rss_mb']} MB)"
        )
        for name, g in entry["gil"].items():
            print(
                f"{engine:9} GIL: {name}: {g['one_thread_per_s']}/s on one thread, "
                f"{g['two_threads_per_s']}/s on two: x{g['speedup']} "
                f"(CPU/wall on two threads {g.get('cpu_per_wall_two_threads')})"
            )
        print(
            f"{engine:9} targets: "
            + ", ".join(
                f"{k}: {'ok' if v else 'MISSED'}"
                for k, v in entry["meets"].items()
                if v is not None
            )
        )
        if any(entry["errors"].values()):
            print(f"{engine:9} errors: {entry['errors']}")
    print("last figures of the old engines (README; ms p50 / p95 / p99 at 1M passages):")
    for name, (p50, p95, p99) in result["last_figures_old_engines_ms"].items():
        print(f"  {name}: {p50} / {p95} / {p99}")
