"""The ``pages`` part: the site under load, served as in production, at growing sizes.

For each size (passages; by default SIZE/100, SIZE/10 and SIZE), each backend (SQLite,
PostgreSQL) and each WSGI server asked for (gunicorn sync by default; gthread and granian
to compare), it:

1. builds the generated corpus of ``bench.searchcorpus`` in the ``PAGES`` shape (about
   a hundred passages a source, one source of 500, 60 themes, 500 people, a tenth as many
   quotes as passages) in a worker process, or reuses it (SQLite under ``--cache-dir``,
   PostgreSQL database ``kb_bench_pages_<size>``), then runs the project's migrations;
2. starts the server on 127.0.0.1 with two workers, ``DJANGO_DEBUG`` off and
   ``bench.settings`` (the site plus a hello-world view and a query-count header);
3. for each URL: a few requests to read its status and SQL queries (``X-Bench-Queries``),
   a short warm-up, then wrk for DURATION seconds at a fixed concurrency;
4. reads the workers' peak RSS (VmHWM) and compares their process ids before and after
   (a changed id is a worker restart).

Per URL it reports req/s, p50/p95/p99, the ratio to the hello-world view's req/s, SQL
queries per request, errors (socket errors and non-2xx/3xx answers) and restarts; then
the growth of each URL from the smallest size to the largest, and the issue's targets.
The anonymous API rate limit is off on the bench server (every request comes from one
address, so a limit would measure the throttle, not the page).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import searchcorpus
from bench.common import index_dir_for

HERE = Path(__file__).resolve().parent
QUERIES_HEADER = "x-bench-queries"  # bench.server.QUERIES_HEADER, as get() names it
ROOT = HERE.parent  # the checkout: bench/ sits at its top
WRK_SCRIPT = HERE / "wrk_report.lua"
DEFAULT_PG_SERVER = "postgres://postgres@127.0.0.1:5432"
SERVERS = ("gunicorn-sync", "gunicorn-gthread", "granian")
QUOTES_PER_PASSAGE = 0.1
PER_PAGE = 20  # kb.views.common.PER_PAGE
MAX_PAGES = 50  # kb.views.common.MAX_PAGES
# (name, kind): the kind says which target applies (issue #9).
URLS = [
    ("hello", "ceiling"),
    ("static", "ceiling"),
    ("home", "list"),
    ("quotes_theme", "list"),
    ("quotes_theme_deep", "list"),
    ("quote", "detail"),
    ("source_500", "list"),  # a detail page, but it lists 500 passages: held to 30 %
    ("passage", "detail"),
    ("themes", "list"),
    ("principle", "detail"),
    ("search_common", "search"),
    ("search_rare", "search"),
    ("api_quotes", "list"),
]
TARGET_RATIO = {"detail": 0.5, "list": 0.3, "search": 0.3}
TARGET_P95_MS = 100.0
TARGET_GROWTH = 1.2  # detail pages and first list pages: within 20 % from smallest to largest
FLAT_URLS = ("home", "quotes_theme", "quote", "passage", "principle", "themes", "api_quotes")
MAX_QUERIES = 12
# The crawl workload (issue #23): CRAWL_URLS distinct URLs of every page family, each asked
# once in random order, at the same concurrency; and per family a few more asked one at a
# time on the idle server (nothing cached for them): a page's cold time.
CRAWL_URLS = 10_000
CRAWL_SHARES = {  # family: share of the crawl's URLs
    "quote": 0.24,
    "passage": 0.24,
    "source": 0.19,
    "quote_list": 0.20,  # the quote list filtered (theme, year, speaker, source, kind)
    "person": 0.08,
    "theme": 0.03,
    "principle": 0.02,
}
COLD_PER_FAMILY = 15
CRAWL_WRK_SCRIPT = HERE / "wrk_crawl.lua"
TARGET_CRAWL_REQ_S = 200.0
TARGET_CRAWL_P95_MS = 100.0
TARGET_COLD_MS = 50.0


def log(message: str) -> None:
    print(f"[bench pages {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sizes_for(args) -> list[int]:
    if args.sizes:
        return [int(s) for s in args.sizes.split(",") if s.strip()]
    return sorted({max(1000, args.size // 100), max(1000, args.size // 10), args.size})


def quotes_for(passages: int) -> int:
    return int(passages * QUOTES_PER_PASSAGE)


def sqlite_path(cache_dir: Path, passages: int) -> Path:
    return (Path(cache_dir) / f"pages-{passages}p.sqlite3").resolve()


def targets_path(cache_dir: Path, engine: str, passages: int) -> Path:
    return Path(cache_dir) / f"pages-targets-{engine}-{passages}.json"


def crawl_path(cache_dir: Path, engine: str, passages: int) -> Path:
    return (Path(cache_dir) / f"pages-crawl-{engine}-{passages}.txt").resolve()


def pg_url(args, passages: int) -> str:
    return f"{args.pg_server.rstrip('/')}/kb_bench_pages_{passages}"


def database_url(args, engine: str, passages: int) -> str:
    if engine == "sqlite":
        return f"sqlite:///{sqlite_path(args.cache_dir, passages)}"
    return pg_url(args, passages)


# --- The corpus (a worker process per database: Django is set up once per process) ----------


def build_worker(args) -> int:
    """Build or reuse one database, migrate it, and write the URLs to load to ``--out``."""
    from bench import search
    from bench.common import setup_django

    url = database_url(args, args.engine, args.passages)
    if args.engine == "postgres":
        search.pg_database_name(url)
    setup_django(url, migrate=False)
    from django.core.management import call_command
    from django.db import connection

    quotes = quotes_for(args.passages)
    marker = {
        "version": searchcorpus.VERSION,
        "seed": searchcorpus.SEED,
        "shape": searchcorpus.PAGES.name,
        "passages": args.passages,
        "quotes": quotes,
    }
    build = None
    if args.rebuild or search.read_marker() != marker:
        connection.close()
        started = time.perf_counter()
        if args.engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        else:
            search.recreate_postgres(url)
        log(f"{args.engine}: building {args.passages} passages, {quotes} quotes")
        call_command("migrate", verbosity=0)
        searchcorpus.load(args.passages, quotes, shape=searchcorpus.PAGES, log=log)
        search.write_marker(marker)
        build = {"total_s": 0.0}
        build["total_s"] = round(time.perf_counter() - started, 1)
        log(f"{args.engine}: built in {build['total_s']} s")
    else:
        log(f"{args.engine}: reusing the {args.passages}-passage corpus")
    # Migrations added since the corpus was built (new indexes) apply to it as to a site.
    call_command("migrate", verbosity=0)
    targets = url_targets()
    crawl, cold = crawl_targets(CRAWL_URLS, COLD_PER_FAMILY)
    crawl_file = crawl_path(args.cache_dir, args.engine, args.passages)
    crawl_file.write_text("\n".join(crawl) + "\n")
    out = targets_path(args.cache_dir, args.engine, args.passages)
    out.write_text(
        json.dumps(
            {"build": build, "targets": targets, "crawl_file": str(crawl_file), "cold": cold}
        )
    )
    return 0


def bench_static_url(path: str) -> str:
    """The hashed URL of a static file as the bench's server will serve it.

    This worker runs on the site's settings, whose STATIC_ROOT may hold no manifest (a fresh
    clone never ran collectstatic there): read the manifest the bench collected instead.
    """
    from django.conf import settings
    from django.core.files.storage import storages
    from django.templatetags.static import static

    root = os.environ.get("KB_BENCH_STATIC_ROOT")
    if not root:
        return static(path)
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    return storages.create_storage({"BACKEND": backend, "OPTIONS": {"location": root}}).url(path)


def url_targets() -> dict[str, str]:
    """The path of each URL of ``URLS`` in the current database."""
    from django.db.models import Count
    from django.urls import reverse

    from kb.models import Passage, Principle, Quote, Source, Theme

    published = Quote.objects.published()
    theme = (
        Theme.objects.filter(quotes__status="published")
        .annotate(n=Count("quotes"))
        .order_by("-n", "pk")
        .first()
    )
    theme_quotes = published.filter(themes=theme).count()
    # The last page served: the deepest offset (kb.views.common.MAX_PAGES bounds it).
    deep = min(max(1, -(-theme_quotes // PER_PAGE)), MAX_PAGES)
    quote = published.order_by("pk")[published.count() // 2]
    source = Source.objects.annotate(n=Count("passages")).order_by("-n", "pk").only("slug").first()
    passage = Passage.objects.public().filter(source=source).order_by("number")
    middle = passage[passage.count() // 2]
    principle = Principle.objects.published().order_by("pk").first()
    vocab = searchcorpus.Vocabulary.build()
    return {
        "hello": "/bench/hello/",
        "static": bench_static_url("css/site.css"),
        "home": "/",
        "quotes_theme": f"/quotes/?theme={theme.slug}",
        "quotes_theme_deep": f"/quotes/?theme={theme.slug}&page={deep}",
        "quote": quote.get_absolute_url(),
        "source_500": source.get_absolute_url(),
        "passage": reverse("kb:passage", args=[source.slug, middle.number]),
        "themes": "/themes/",
        "principle": principle.get_absolute_url(),
        "search_common": "/search/?q=phone",
        "search_rare": f"/search/?q={vocab.tail[2000]}",
        "api_quotes": "/api/quotes/",
    }


def family_urls(rng, want: int) -> dict[str, list[str]]:
    """About ``want`` distinct paths in all, per family (``CRAWL_SHARES``), from the database."""
    from django.db.models import Count, Max, Q
    from django.urls import reverse

    from kb.models import Passage, Person, Principle, Quote, Source, Status, Theme
    from kb.views.common import PASSAGES_PER_PAGE

    def sample_ids(model, count: int, **filters) -> list[int]:
        """``count`` random ids of rows matching ``filters`` (ids drawn, then checked)."""
        top = model.objects.aggregate(top=Max("pk"))["top"] or 0
        found: list[int] = []
        seen: set[int] = set()
        while len(found) < count and len(seen) < top:
            draw = [i for i in (rng.randint(1, top) for _ in range(count * 2)) if i not in seen]
            seen.update(draw)
            found += model.objects.filter(pk__in=draw, **filters).values_list("pk", flat=True)
        return found[:count]

    n = {family: max(1, round(want * share)) for family, share in CRAWL_SHARES.items()}
    out: dict[str, list[str]] = {}
    out["quote"] = [f"/quotes/{pk}/" for pk in sample_ids(Quote, n["quote"], status="published")]
    passage_ids = sample_ids(Passage, n["passage"], is_boilerplate=False)
    out["passage"] = [
        reverse("kb:passage", args=[slug, number])
        for slug, number in Passage.objects.filter(pk__in=passage_ids).values_list(
            "source__slug", "number"
        )
    ]
    sources = list(Source.objects.current().values_list("slug", "pk"))
    rng.shuffle(sources)
    longest = Passage.objects.filter(source_id=1).aggregate(n=Max("number"))["n"] or 0
    extra = [f"/sources/bench-1/?page={k}" for k in range(2, -(-longest // PASSAGES_PER_PAGE) + 1)]
    out["source"] = (extra + [f"/sources/{slug}/" for slug, _ in sources])[: n["source"]]
    themes = list(Theme.objects.values_list("slug", flat=True))
    people = list(Person.objects.values_list("slug", flat=True))
    lists = [f"/quotes/?theme={t}&year_min={y}" for t in themes for y in range(2010, 2025)]
    lists += [f"/quotes/?speaker={p}" for p in people]
    lists += [f"/quotes/?source={slug}" for slug, _ in sources[:500]]
    lists += [f"/quotes/?theme={t}&kind={k}" for t in themes for k in Source.Kind.values]
    rng.shuffle(lists)
    out["quote_list"] = lists[: n["quote_list"]]

    def last_page(count: int) -> int:  # the deepest page served (kb.views.common)
        return min(max(1, -(-count // PER_PAGE)), MAX_PAGES)

    first = [f"/people/{p}/" for p in people]
    rng.shuffle(first)
    # The deeper pages of the person quoted most (Lei Jun in the generated corpus).
    top = (
        Quote.objects.published()
        .filter(speaker__isnull=False)
        .values("speaker__slug")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    ) or {"speaker__slug": people[0], "n": 0}
    deep = [f"/people/{top['speaker__slug']}/?page={k}" for k in range(2, last_page(top["n"]) + 1)]
    out["person"] = (first + deep)[: n["person"]]
    per_theme = dict(
        Theme.objects.annotate(n=Count("quotes", filter=Q(quotes__status="published"))).values_list(
            "slug", "n"
        )
    )
    pages = [
        f"/themes/{t}/?page={k}"
        for t in themes
        for k in range(2, min(8, last_page(per_theme.get(t, 0)) + 1))
    ]
    rng.shuffle(pages)
    out["theme"] = ([f"/themes/{t}/" for t in themes] + pages)[: n["theme"]]
    principles = Principle.objects.filter(status=Status.PUBLISHED)
    out["principle"] = [p.get_absolute_url() for p in principles.order_by("pk")[: n["principle"]]]
    return out


def crawl_targets(count: int, cold_per_family: int) -> tuple[list[str], dict[str, list[str]]]:
    """The crawl's paths, shuffled, and per family ``cold_per_family`` others (not crawled)."""
    import random

    rng = random.Random(searchcorpus.SEED + 23)
    families = family_urls(rng, count + cold_per_family * len(CRAWL_SHARES))
    cold = {family: urls[:cold_per_family] for family, urls in families.items()}
    crawl = [url for urls in families.values() for url in urls[cold_per_family:]]
    crawl = list(dict.fromkeys(crawl))[:count]
    rng.shuffle(crawl)
    return crawl, cold


def prepare(args, engine: str, passages: int) -> dict:
    out = targets_path(args.cache_dir, engine, passages)
    out.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "bench", "pages-build", "--engine", engine,
        "--passages", str(passages), "--cache-dir", str(args.cache_dir),
        "--pg-server", args.pg_server,
    ] + (["--rebuild"] if args.rebuild else [])  # fmt: skip
    done = subprocess.run(command, check=False, cwd=ROOT)
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"building the {engine} corpus of {passages} passages failed")
    return json.loads(out.read_text())


# --- The server --------------------------------------------------------------------------


def server_command(server: str, port: int, workers: int, threads: int) -> list[str]:
    venv = Path(sys.executable).parent
    bind = f"127.0.0.1:{port}"
    if server == "gunicorn-sync":
        return [str(venv / "gunicorn"), "kb.wsgi", "--bind", bind, "--workers", str(workers)]
    if server == "gunicorn-gthread":
        return [
            str(venv / "gunicorn"), "kb.wsgi", "--bind", bind, "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads),
        ]  # fmt: skip
    if server == "granian":
        return [
            str(venv / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers),
            "--blocking-threads", str(threads), "--no-ws", "kb.wsgi:application",
        ]  # fmt: skip
    raise SystemExit(f"unknown server {server!r}: use one of {', '.join(SERVERS)}")


def server_env(database: str, extra: list[str]) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database,
        KB_SEARCH_INDEX=index_dir_for(database),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or "benchmark-only-not-secret",
        KB_API_ANON_RATE="",
        KB_PAGE_MISS_RATE="",  # one address makes every request: no limit measured
    )
    for item in extra:
        key, _, value = item.partition("=")
        env[key] = value
    return env


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (the server's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def get(url: str, timeout: float = 30.0) -> tuple[int, dict, int]:
    """(status, headers, body bytes) of one GET; an HTTP error status is returned too.

    Header names are lower-cased: servers differ (granian sends ``x-bench-queries``).
    """
    request = urllib.request.Request(url, headers={"User-Agent": "kb-bench"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, len(body)
    except urllib.error.HTTPError as error:
        headers = {k.lower(): v for k, v in error.headers.items()}
        return error.code, headers, len(error.read())


class Server:
    """A WSGI server started in its own process group, stopped (only it) at the end."""

    def __init__(self, server: str, args, database: str):
        self.name = server
        self.port = args.port
        self.command = server_command(server, args.port, args.workers, args.threads)
        self.env = server_env(database, args.server_env or [])
        self.log_path = Path(args.cache_dir).resolve() / f"server-{server}.log"
        # Another checkout of the site (``--app-dir``) serves the same database: "before".
        self.app_dir = Path(args.app_dir).resolve() if args.app_dir else ROOT
        self.process = None

    def __enter__(self):
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.app_dir,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            return self._wait_until_ready()
        except BaseException:  # never leave a server behind (Ctrl-C included)
            self.__exit__()
            raise

    def _wait_until_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited; see {self.log_path}")
            try:
                if get(self.url("/bench/hello/"), timeout=2)[0] == 200:
                    # Every worker answers before the clock starts (they import lazily).
                    for _ in range(20):
                        get(self.url("/bench/hello/"), timeout=5)
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer within 60 s; see {self.log_path}")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def workers(self) -> list[int]:
        """The processes serving requests (granian's, under a supervisor child, included)."""
        pids = children(self.process.pid)
        nested = [p for pid in pids for p in children(pid)]
        return sorted(pids + nested)


# --- Load --------------------------------------------------------------------------------


def wrk(url: str, seconds: float, connections: int, threads: int) -> dict:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(WRK_SCRIPT), url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    result = parse_wrk(done.stdout)
    if result is None:
        raise SystemExit(f"wrk gave no result for {url}: {done.stdout} {done.stderr}")
    return result


def parse_wrk(stdout: str) -> dict | None:
    """The figures of ``wrk_report.lua``'s line, in req/s and milliseconds."""
    for line in stdout.splitlines():
        if line.startswith("WRKJSON "):
            raw = json.loads(line.removeprefix("WRKJSON "))
            seconds_run = raw["duration_us"] / 1e6
            errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
            return {
                "requests": raw["requests"],
                "req_s": round(raw["requests"] / seconds_run, 1) if seconds_run else 0.0,
                "p50_ms": round(raw["p50"] / 1000, 2),
                "p95_ms": round(raw["p95"] / 1000, 2),
                "p99_ms": round(raw["p99"] / 1000, 2),
                "max_ms": round(raw["max"] / 1000, 2),
                "errors": errors,
                "error_detail": {
                    k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]
                },
            }
    return None


def load_one(server: Server, name: str, path: str, args) -> dict:
    # The first request may fill a cache; each worker has its own (local memory), so the
    # steady state is the fewest queries seen over a few requests.
    counts, seconds = [], []
    for _ in range(6):
        started = time.perf_counter()
        status, headers, size = get(server.url(path))
        seconds.append(time.perf_counter() - started)
        counts.append(headers.get(QUERIES_HEADER))
    cold = counts[0]
    queries = min((int(c) for c in counts if c is not None), default=None)
    before = server.workers()
    wrk(server.url(path), min(2, args.duration), args.connections, args.wrk_threads)  # warm-up
    result = wrk(server.url(path), args.duration, args.connections, args.wrk_threads)
    after = server.workers()
    restarts = len(set(before) - set(after))
    return {
        "url": name,
        "path": path,
        "status": status,
        "bytes": size,
        "queries": int(queries) if queries is not None else None,
        "queries_cold": int(cold) if cold is not None else None,
        # The first request of this URL: nothing cached for it yet (what wrk never sees).
        "cold_ms": round(seconds[0] * 1000, 1),
        "restarts": restarts,
        **result,
    }


def crawl(server: Server, url_file: str, args) -> dict:
    """wrk over the crawl's list (``wrk_crawl.lua``): each URL once; stopped by SIGINT once
    every thread has its share answered, so the figures cover the crawl's own run time."""
    done = Path(args.cache_dir).resolve() / "crawl-done-"
    for old in done.parent.glob(done.name + "*"):
        old.unlink()
    env = dict(os.environ)
    env.update(
        KB_CRAWL_URLS=url_file,
        KB_CRAWL_THREADS=str(args.wrk_threads),
        KB_CRAWL_DONE=str(done),
        KB_WRK_REPORT=str(WRK_SCRIPT),
        KB_CRAWL_LIMIT=str(args.crawl_limit or 0),
    )
    command = [
        "wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", "-d3600s", "--timeout", "10s",
        "-s", str(CRAWL_WRK_SCRIPT), server.url("/"),
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 3600
    while process.poll() is None and time.monotonic() < deadline:
        if len(list(done.parent.glob(done.name + "*"))) >= args.wrk_threads:
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=60)
    result = parse_wrk(stdout)
    if result is None:
        raise SystemExit(f"wrk gave no result for the crawl: {stdout}")
    urls = sum(1 for line in Path(url_file).read_text().splitlines() if line)
    urls = min(urls, args.crawl_limit) if args.crawl_limit else urls
    return {"url": "crawl", "path": f"{urls} URLs once each", "urls": urls, **result}


def cold_families(server: Server, cold: dict[str, list[str]]) -> dict[str, dict]:
    """Per family, each of its URLs asked once, one at a time: nothing cached for them."""
    from bench.common import summary

    out = {}
    for family, paths in cold.items():
        ms, statuses = [], set()
        for path in paths:
            started = time.perf_counter()
            status, _, _ = get(server.url(path))
            ms.append((time.perf_counter() - started) * 1000)
            statuses.add(status)
        out[family] = {**summary(ms), "statuses": sorted(statuses)}
    return out


def run_server(args, engine: str, passages: int, server_name: str, prepared: dict) -> dict:
    targets = prepared["targets"]
    wanted = [u for u, _ in URLS if not args.urls or u in args.urls.split(",") or u == "hello"]
    database = database_url(args, engine, passages)
    with Server(server_name, args, database) as server:
        first = server.workers()
        results = []
        cold, crawled = None, None
        for name in wanted:
            row = load_one(server, name, targets[name], args)
            log(
                f"{engine} {passages} {server_name} {name}: {row['req_s']} req/s, "
                f"p95 {row['p95_ms']} ms, {row['queries']} queries, {row['errors']} errors"
            )
            results.append(row)
        if args.crawl and passages == max(sizes_for(args)):
            # After the repeated URLs (whose first request is then a worker's first render):
            # cold pages, asked for once each (none of them is in the crawl), then the crawl.
            cold = cold_families(server, prepared["cold"])
            for family, row in cold.items():
                log(f"{engine} {passages} {server_name} cold {family}: p50 {row['p50']} ms")
            crawled = crawl(server, prepared["crawl_file"], args)
            log(
                f"{engine} {passages} {server_name} crawl: {crawled['req_s']} req/s, "
                f"p50 {crawled['p50_ms']} p95 {crawled['p95_ms']} p99 {crawled['p99_ms']} ms, "
                f"{crawled['errors']} errors"
            )
        last = server.workers()
        rss = {pid: peak_rss_mb(pid) for pid in last}
    hello = next(r for r in results if r["url"] == "hello")["req_s"] or float("nan")
    for row in results:
        row["ratio_hello"] = round(row["req_s"] / hello, 3)
        row["kind"] = dict(URLS)[row["url"]]
    if crawled is not None:
        crawled["ratio_hello"] = round(crawled["req_s"] / hello, 3)
    return {
        "size": passages,
        "backend": engine,
        "server": server_name,
        "workers": len(first),
        "worker_restarts": len(set(first) - set(last)),
        "peak_rss_mb": max((v for v in rss.values() if v), default=None),
        "urls": results,
        "crawl": crawled,
        "cold": cold,
    }


def collectstatic() -> None:
    env = server_env("sqlite:///:memory:", [])
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def bench_pages(args) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it)")
    Path(args.cache_dir).mkdir(parents=True, exist_ok=True)
    # The server's static files: collected under the cache dir (bench.settings).
    os.environ["KB_BENCH_STATIC_ROOT"] = str(Path(args.cache_dir).resolve() / "static")
    collectstatic()
    runs = []
    builds = {}
    started = time.time()
    for passages in sizes_for(args):
        for engine in args.backends.split(","):
            prepared = prepare(args, engine, passages)
            builds[f"{engine}-{passages}"] = prepared["build"]
            for server_name in args.servers.split(","):
                runs.append(run_server(args, engine, passages, server_name, prepared))
    return {
        "part": "pages",
        "command": " ".join(sys.argv),
        "machine": {"cores": os.cpu_count()},
        "duration_s": args.duration,
        "connections": args.connections,
        "workers": args.workers,
        "sizes": sizes_for(args),
        "builds": builds,
        "runs": runs,
        "targets": check_targets(runs),
        "wall_s": round(time.time() - started, 1),
    }


# --- Report ------------------------------------------------------------------------------


def check_targets(runs: list[dict]) -> list[dict]:
    """The issue's targets, each with the figures that decide it."""
    out = []
    largest = max((r["size"] for r in runs), default=0)
    smallest = min((r["size"] for r in runs), default=0)
    for run in runs:
        tag = f"{run['backend']} {run['server']} {run['size']}"
        for row in run["urls"]:
            kind = row["kind"]
            if kind in TARGET_RATIO:
                out.append(
                    {
                        "target": f"req/s >= {TARGET_RATIO[kind]:.0%} of hello",
                        "where": f"{tag} {row['url']}",
                        "value": row["ratio_hello"],
                        "met": row["ratio_hello"] >= TARGET_RATIO[kind],
                    }
                )
            if run["size"] == largest and kind != "ceiling":
                out.append(
                    {
                        "target": f"p95 < {TARGET_P95_MS:.0f} ms at the largest size",
                        "where": f"{tag} {row['url']}",
                        "value": row["p95_ms"],
                        "met": row["p95_ms"] < TARGET_P95_MS,
                    }
                )
            if row["queries"] is not None and kind != "ceiling":
                # Steady state (cached) and a worker's first request (nothing cached yet).
                worst = max(row["queries"], row.get("queries_cold") or 0)
                out.append(
                    {
                        "target": f"queries <= {MAX_QUERIES} (cold too)",
                        "where": f"{tag} {row['url']}",
                        "value": worst,
                        "met": worst <= MAX_QUERIES,
                    }
                )
            out.append(
                {
                    "target": "no errors, no restarts",
                    "where": f"{tag} {row['url']}",
                    "value": row["errors"] + row["restarts"],
                    "met": row["errors"] == 0 and row["restarts"] == 0 and row["status"] < 400,
                }
            )
    for run in runs:
        tag = f"{run['backend']} {run['server']} {run['size']}"
        row = run.get("crawl")
        if row:
            out.append(
                {
                    "target": f"crawl >= {TARGET_CRAWL_REQ_S:.0f} req/s",
                    "where": tag,
                    "value": row["req_s"],
                    "met": row["req_s"] >= TARGET_CRAWL_REQ_S,
                }
            )
            out.append(
                {
                    "target": f"crawl p95 < {TARGET_CRAWL_P95_MS:.0f} ms, no errors",
                    "where": tag,
                    "value": row["p95_ms"],
                    "met": row["p95_ms"] < TARGET_CRAWL_P95_MS and row["errors"] == 0,
                }
            )
        for family, cold in (run.get("cold") or {}).items():
            out.append(
                {
                    "target": f"cold page <= {TARGET_COLD_MS:.0f} ms (max of the family)",
                    "where": f"{tag} {family}",
                    "value": cold["max"],
                    "met": cold["max"] <= TARGET_COLD_MS and cold["statuses"] == [200],
                }
            )
    if smallest != largest:
        for growth in growth_rows(runs):
            if growth["url"] in FLAT_URLS:
                out.append(
                    {
                        "target": f"p50 flat within {TARGET_GROWTH - 1:.0%} across sizes",
                        "where": f"{growth['backend']} {growth['server']} {growth['url']}",
                        "value": growth["p50_growth"],
                        "met": growth["p50_growth"] <= TARGET_GROWTH,
                    }
                )
    return out


def growth_rows(runs: list[dict]) -> list[dict]:
    """Per backend, server and URL: figures at each size and largest/smallest p50."""
    table: dict[tuple, dict] = {}
    for run in runs:
        for row in run["urls"]:
            key = (run["backend"], run["server"], row["url"])
            table.setdefault(key, {})[run["size"]] = row
    out = []
    for (backend, server, url), by_size in table.items():
        sizes = sorted(by_size)
        first, last = by_size[sizes[0]], by_size[sizes[-1]]
        out.append(
            {
                "backend": backend,
                "server": server,
                "url": url,
                "p95_ms": {s: by_size[s]["p95_ms"] for s in sizes},
                "req_s": {s: by_size[s]["req_s"] for s in sizes},
                "p50_growth": round(last["p50_ms"] / first["p50_ms"], 2)
                if first["p50_ms"]
                else None,
            }
        )
    return out


def report_pages(result: dict) -> None:
    print(
        f"pages: {result['connections']} connections, {result['duration_s']} s per URL, "
        f"{result['workers']} workers, {result['machine']['cores']} cores"
    )
    header = (
        f"{'size':>8} {'backend':8} {'server':16} {'url':18} {'req/s':>8} {'p50':>7} "
        f"{'p95':>7} {'p99':>7} {'×hello':>7} {'SQL':>4} {'err':>4} {'cold ms':>8} {'SQL':>4}"
    )
    for run in result["runs"]:
        print()
        print(
            f"{run['size']} passages, {run['backend']}, {run['server']}: peak worker RSS "
            f"{run['peak_rss_mb']} MB, worker restarts {run['worker_restarts']}"
        )
        print(header)
        for row in run["urls"]:
            print(
                f"{run['size']:>8} {run['backend']:8} {run['server']:16} {row['url']:18} "
                f"{row['req_s']:>8.1f} {row['p50_ms']:>7.1f} p95 {row['p95_ms']:>6.1f} "
                f"{row['p99_ms']:>7.1f} {row['ratio_hello']:>7.2f} "
                f"{row['queries'] if row['queries'] is not None else '-':>4} "
                f"{row['errors']:>4} {row.get('cold_ms', '-'):>8} "
                f"{row['queries_cold'] if row.get('queries_cold') is not None else '-':>4}"
            )
        crawled = run.get("crawl")
        if crawled:
            print(
                f"{run['size']:>8} {run['backend']:8} {run['server']:16} {'crawl':18} "
                f"{crawled['req_s']:>8.1f} {crawled['p50_ms']:>7.1f} p95 {crawled['p95_ms']:>6.1f} "
                f"{crawled['p99_ms']:>7.1f} {crawled['ratio_hello']:>7.2f}    - "
                f"{crawled['errors']:>4}   ({crawled['urls']} distinct URLs, each once)"
            )
        if run.get("cold"):
            print("  cold pages (each URL once, one at a time), ms:")
            for family, cold in run["cold"].items():
                print(
                    f"    {family:12} n {cold['n']:>3}  p50 {cold['p50']:>7.1f}  "
                    f"p95 {cold['p95']:>7.1f}  max {cold['max']:>7.1f}  status {cold['statuses']}"
                )
    growth = growth_rows(result["runs"])
    if len(result["sizes"]) > 1:
        print()
        print("growth (p95 ms at each size; p50 largest/smallest):")
        for row in growth:
            cells = "  ".join(f"{s}: p95 {v:.1f}" for s, v in row["p95_ms"].items())
            print(
                f"  {row['backend']:8} {row['server']:16} {row['url']:18} {cells}  "
                f"×{row['p50_growth']}"
            )
    missed = [t for t in result["targets"] if not t["met"]]
    print()
    print(f"targets: {len(result['targets']) - len(missed)} met, {len(missed)} missed")
    for t in missed:
        print(f"  MISSED {t['target']}: {t['where']} ({t['value']})")
