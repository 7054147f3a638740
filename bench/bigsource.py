"""The ``bigsource`` part: one generated source of ``--size-mb`` (20 MB by default), on SQLite
and PostgreSQL, through everything that reads it.

For each database (a throw-away SQLite file, or the PostgreSQL database ``kb_bench_bigsource``
dropped and created again) a worker process imports the source with ``manage.py
import_source`` and runs ``verify_corpus`` and ``backup`` (each a child process: its time and
its own peak RSS, from ``wait4``), then requests in-process, through the whole middleware
stack with the page cache emptied before each request (every request a miss): the source
page (first and last page), the source API and its last page of passages, a passage page and
a quote page from the middle of the source, the admin's source list and change page. Time
(p50/p95 of ``--requests`` requests) and the peak RSS of each (the worker's high-water mark,
reset before each URL). The search indexer is measured when ``kb.search.indexer`` exists.

Targets (issue #22): every page and endpoint p95 < 200 ms, admin pages < 1 s, verify_corpus
and backup at >= 10 MB/s with peak RSS < 300 MB, import >= 1 MB/s with peak RSS < 300 MB.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import summary
from bench.corpus import WORDS, paragraph, sentence

INTERVIEWEE = "Lei Jun"
SLUG = "big-interview"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/kb_bench_bigsource"
ROOT = Path(__file__).resolve().parent.parent

PAGE_P95_MS = 200
ADMIN_MS = 1000
STREAM_MB_S = 10
IMPORT_MB_S = 1
RSS_MB = 300
# Seconds of requests per URL at most (after the first), whatever --requests says.
BUDGET_S = 20


def big_interview_text(size_bytes: int, seed: int = 22) -> str:
    """A book-length interview of at most ``size_bytes`` (ASCII, so bytes = characters): a
    title, then questions by Fortune and labelled answers by Lei Jun, each answer cut into
    quotes by the importer (about 5,000 quotes and 3,000 passages a MB)."""
    rng = random.Random(seed)
    parts = [f"{INTERVIEWEE} on the long road (a generated interview)", "", "Interviewer: Fortune"]
    size = sum(len(part) + 1 for part in parts)
    while True:
        question = f"Fortune: {sentence(rng)[:-1]} {' '.join(rng.choices(WORDS, k=5))}?"
        answer = f"{INTERVIEWEE}: {paragraph(rng, rng.randint(2, 8))}"
        turn = ["", question, "", answer]
        grown = size + sum(len(part) + 1 for part in turn)
        if grown > size_bytes:  # never over: 20 MB is the importer's limit
            break
        parts += turn
        size = grown
    return "\n".join(parts) + "\n"


# --- The parent: one worker per database, then the targets ----------------------------------


def bench_bigsource(args) -> dict:
    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        with tempfile.TemporaryDirectory(prefix="kb-bench-bigsource-") as tmp:
            out = Path(tmp) / "result.json"
            command = [
                sys.executable,
                "-m",
                "bench",
                "bigsource-worker",
                "--backend",
                backend,
                "--size-mb",
                str(args.size_mb),
                "--requests",
                str(args.requests),
                "--pg-url",
                args.pg_url,
                "--out",
                str(out),
            ]
            print(f"== bigsource on {backend}", file=sys.stderr, flush=True)
            done = subprocess.run(command, cwd=ROOT)
            if done.returncode != 0 or not out.exists():
                results.append({"backend": backend, "error": f"worker exited {done.returncode}"})
                continue
            results.append(json.loads(out.read_text()))
    return {"part": "bigsource", "size_mb": args.size_mb, "results": results}


def targets(result: dict) -> list[tuple[str, bool, str]]:
    """(what, met, figures) for every target of one database's result."""
    checks = []
    imp = result["import"]
    checks.append(
        (
            "import",
            imp["mb_per_s"] >= IMPORT_MB_S and imp["peak_rss_mb"] < RSS_MB,
            f"{imp['mb_per_s']} MB/s (>= {IMPORT_MB_S}), {imp['peak_rss_mb']} MB RSS (< {RSS_MB}); "
            f"{imp['seconds']} s wall, {imp['cpu_seconds']} s CPU",
        )
    )
    for name in ("verify_corpus", "backup"):
        step = result[name]
        checks.append(
            (
                name,
                step["returncode"] == 0
                and step["mb_per_s"] >= STREAM_MB_S
                and step["peak_rss_mb"] < RSS_MB,
                f"{step['mb_per_s']} MB/s (>= {STREAM_MB_S}), {step['peak_rss_mb']} MB RSS "
                f"(< {RSS_MB}), exit {step['returncode']}; {step['seconds']} s wall, "
                f"{step['cpu_seconds']} s CPU",
            )
        )
    for url in result["pages"]:
        limit = ADMIN_MS if url["admin"] else PAGE_P95_MS
        checks.append(
            (
                url["name"],
                url["status"] == 200 and url["ms"]["p95"] < limit,
                f"p95 {url['ms']['p95']} ms (< {limit}; CPU p95 {url['cpu_ms']['p95']} ms, "
                f"n={url['ms']['n']}), {url['kb']} KB, "
                f"{url['peak_rss_mb']} MB RSS, HTTP {url['status']}",
            )
        )
    return checks


def report_bigsource(result: dict) -> None:
    print(f"bigsource: one generated source of {result['size_mb']} MB")
    for one in result["results"]:
        if "error" in one:
            print(f"  {one['backend']}: {one['error']}")
            continue
        print(
            f"  {one['backend']}: {one['passages']:,} passages, {one['quotes']:,} quotes, "
            f"{one['megabytes']} MB text (load average {one['load_average']} on "
            f"{one['cores']} cores)"
        )
        for what, met, figures in targets(one):
            print(f"    {'met   ' if met else 'MISSED'} {what}: {figures}")
        for note in one["notes"]:
            print(f"    note: {note}")


# --- The worker: one database -------------------------------------------------------------


def _database_url(args, tmp: Path) -> str:
    if args.backend == "sqlite":
        return f"sqlite:///{tmp / 'bigsource.sqlite3'}"
    from bench.search import recreate_postgres

    recreate_postgres(args.pg_url)  # refuses a database not named kb_bench*
    return args.pg_url


def _child_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "benchmark-only-not-secret"),
        "DJANGO_DEBUG": "0",
    }


def _run_child(command: list[str], env: dict[str, str]) -> dict:
    """Run ``command``; its wall time, its own peak RSS (wait4) and its exit status."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # wait4 reads this child's resource usage: the output is small (a line or two).
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stdout, stderr = process.stdout.read(), process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(elapsed, 2),
        # CPU time too: on a shared machine the wall time is mostly waiting for a core.
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "returncode": process.returncode,
        "output": (stdout.strip().splitlines() or [""])[-1][:300],
        "errors": (stderr.strip().splitlines() or [""])[-1][:300],
    }


def _reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux 4.0+)
    except OSError:
        pass


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _time_url(client, url: str, requests: int) -> dict:
    from django.core.cache import cache

    _reset_peak_rss()
    ms, cpu_ms, size, status = [], [], 0, None
    budget = time.perf_counter() + BUDGET_S
    for n in range(requests):
        if n >= 1 and time.perf_counter() > budget:
            break  # a page of many seconds: what was measured says enough
        cache.clear()  # every request a miss: the page as computed, not as cached
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        body = b"".join(response) if response.streaming else response.content
        ms.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)
        size, status = len(body), response.status_code
    return {
        "ms": summary(ms),
        "cpu_ms": summary(cpu_ms),
        "kb": round(size / 1024, 1),
        "status": status,
        "rss": _peak_rss_mb(),
    }


def worker(args) -> int:
    with tempfile.TemporaryDirectory(prefix="kb-bench-bigsource-") as tmp_name:
        tmp = Path(tmp_name)
        url = _database_url(args, tmp)
        os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
        from bench.common import setup_django

        setup_django(url)
        from django.conf import settings

        # The pages' static URLs without the manifest collectstatic writes (a fresh clone has
        # none; the pages part collects one for its server): the same work but for a lookup.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        env = _child_env(url)
        notes: list[str] = []

        text = big_interview_text(int(args.size_mb * 1024 * 1024))
        path = tmp / f"{SLUG}.txt"
        path.write_text(text, encoding="utf-8")
        megabytes = len(text.encode("utf-8")) / 1024 / 1024
        manage = [sys.executable, "manage.py"]
        print(f"   importing {megabytes:.1f} MB", file=sys.stderr, flush=True)
        imported = _run_child(
            [
                *manage,
                "import_source",
                str(path),
                "--kind",
                "interview",
                "--subject",
                INTERVIEWEE,
                "--publish",  # published quotes: the quote page is a reader's
            ],
            env,
        )
        if imported["returncode"] != 0:
            raise SystemExit(f"import failed: {imported['errors']}")
        imported["mb_per_s"] = round(megabytes / imported["seconds"], 2)

        from django.contrib.auth import get_user_model
        from django.test import Client

        from kb.models import Passage, Quote, Source

        source = Source.objects.defer("text").get()
        passages = Passage.objects.filter(source=source).count()
        quotes = Quote.objects.filter(source=source)
        quote_total = quotes.count()

        print("   verify_corpus", file=sys.stderr, flush=True)
        verified = _run_child([*manage, "verify_corpus", "--progress", "never"], env)
        verified["mb_per_s"] = round(megabytes / verified["seconds"], 2)
        print("   backup", file=sys.stderr, flush=True)
        backup_path = tmp / ("backup.sqlite3" if args.backend == "sqlite" else "backup.pgdump")
        backed_up = _run_child([*manage, "backup", str(backup_path)], env)
        backed_up["mb_per_s"] = round(megabytes / backed_up["seconds"], 2)
        backed_up["file_mb"] = (
            round(backup_path.stat().st_size / 1024 / 1024, 1) if backup_path.exists() else None
        )

        if importlib.util.find_spec("kb.search.indexer") is None:
            notes.append("the search indexer: kb.search.indexer does not exist on this branch")

        # The pages, in-process (Django's test client: the whole middleware stack, no server).
        source_url = source.get_absolute_url()
        middle = passages // 2
        passage = Passage.objects.filter(source=source, number=middle).first()
        quote = quotes.filter(start__gte=passage.start).order_by("start").first()
        reader = Client()
        first_page = reader.get(source_url)
        pages_seen = [int(n) for n in re.findall(rb"[?&](?:amp;)?page=(\d+)", first_page.content)]
        last_page = max(pages_seen, default=1)
        api_page_size = 100
        last_api_page = max(1, math.ceil(passages / api_page_size))
        urls = [
            ("source page (first)", source_url, False),
            ("source page (last)", f"{source_url}?page={last_page}", False),
            ("source API", f"/api/sources/{source.slug}/", False),
            (
                "source API passages (last page)",
                f"/api/sources/{source.slug}/passages/?page_size={api_page_size}"
                f"&page={last_api_page}",
                False,
            ),
            ("passage page (middle)", f"{source_url}p/{middle}/", False),
            ("quote page (middle)", f"/quotes/{quote.pk}/", False),
        ]
        if last_page == 1:
            notes.append(
                "the source page is not paginated on this branch (the cache helper's work): "
                "its last page is the whole page, measured once as it is"
            )
        admin = get_user_model().objects.create_superuser("bench", password="bench-only-password")
        editor = Client()
        editor.force_login(admin)
        from django.urls import reverse

        admin_urls = [
            ("admin source list", reverse("admin:kb_source_changelist"), True),
            ("admin source change page", reverse("admin:kb_source_change", args=[source.pk]), True),
        ]
        if last_page == 1:
            urls = [url for url in urls if url[0] != "source page (last)"]
        pages = []
        for name, address, is_admin in urls + admin_urls:
            print(f"   {name}: {address}", file=sys.stderr, flush=True)
            client = editor if is_admin else reader
            timed = _time_url(client, address, args.requests)
            pages.append(
                {
                    "name": name,
                    "url": address,
                    "admin": is_admin,
                    "ms": timed["ms"],
                    "cpu_ms": timed["cpu_ms"],
                    "kb": timed["kb"],
                    "status": timed["status"],
                    "peak_rss_mb": timed["rss"],
                }
            )
        result = {
            "backend": args.backend,
            "load_average": [round(n, 1) for n in os.getloadavg()],
            "cores": os.cpu_count(),
            "megabytes": round(megabytes, 2),
            "passages": passages,
            "quotes": quote_total,
            "import": imported,
            "verify_corpus": verified,
            "backup": backed_up,
            "pages": pages,
            "notes": notes,
        }
        from django.db import connections

        connections.close_all()
        if args.backend == "postgres":
            _drop_postgres(args.pg_url)
    Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


def _drop_postgres(url: str) -> None:
    import dj_database_url
    import psycopg

    from bench.search import pg_database_name

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
