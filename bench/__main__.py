"""``python -m bench [--json FILE] PART [options]``: run one benchmark part, print its figures.

Parts:

- ``import --size-mb N``: the importer's MB/s and peak memory on a generated corpus (a
  throw-away database: ``BENCH_DATABASE_URL``, default a SQLite file in a temporary
  directory, never the site's own);
- ``search --passages N --quotes M``: search latency (p50/p95/p99) on SQLite and
  PostgreSQL, against the bare SQL full-text query and a tantivy index of the same
  passages (``bench.search``). Its databases are a SQLite file under ``--cache-dir``
  (default ``.bench/``) and the PostgreSQL database ``kb_bench`` (``--pg-url``);
- ``pages --size N --duration S``: the site under load (wrk against gunicorn on
  127.0.0.1) at N/100, N/10 and N passages, SQLite and PostgreSQL: req/s, p50/p95/p99,
  ratio to a hello-world view, SQL queries per request, errors, worker restarts and peak
  RSS; at the largest size also the crawl workload (10,000 distinct URLs of every page
  family, each once, in random order) and each family's cold page time (``bench.pages``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parts = parser.add_subparsers(dest="part", required=True)
    importing = parts.add_parser("import", help="import a generated corpus; MB/s and peak RSS")
    importing.add_argument("--size-mb", type=float, default=50.0)

    def corpus_options(p):
        p.add_argument("--passages", type=int, default=1_000_000)
        p.add_argument("--quotes", type=int, default=100_000)
        p.add_argument("--cache-dir", type=Path, default=Path(".bench"))
        p.add_argument(
            "--pg-url",
            default=None,
            help="PostgreSQL bench database (its name must start with kb_bench); "
            "default BENCH_PG_URL or postgres://postgres@127.0.0.1:5432/kb_bench",
        )
        p.add_argument("--reuse", action="store_true", help="reuse a built corpus of this size")
        p.add_argument(
            "--variants",
            default="search,bare,quote_list",
            help="what to time on each database (comma-separated)",
        )
        p.add_argument(
            "--timeout-ms",
            type=float,
            default=2000.0,
            help="a search slower than this is cancelled and counted as at least this long",
        )

    searching = parts.add_parser(
        "search", help="search latency on a generated corpus vs the bare query and tantivy"
    )
    corpus_options(searching)
    searching.add_argument("--backends", default="sqlite,postgres")
    searching.add_argument("--queries", type=int, default=200)
    searching.add_argument("--no-tantivy", action="store_true")
    worker = parts.add_parser("search-worker", help="(internal) one engine of the search part")
    corpus_options(worker)
    worker.add_argument("--engine", choices=["sqlite", "postgres"], required=True)
    worker.add_argument("--queries-file", required=True)
    worker.add_argument("--out", required=True)
    pages = parts.add_parser(
        "pages", help="the site under load (wrk) at growing sizes, SQLite and PostgreSQL"
    )
    pages.add_argument("--size", type=int, default=1_000_000, help="passages at the largest size")
    pages.add_argument("--sizes", default="", help="explicit sizes (default SIZE/100,/10,SIZE)")
    pages.add_argument("--duration", type=float, default=20.0, help="seconds of load per URL")
    pages.add_argument("--connections", type=int, default=8)
    pages.add_argument("--wrk-threads", type=int, default=2)
    pages.add_argument("--workers", type=int, default=2)
    pages.add_argument("--threads", type=int, default=4, help="gthread/granian threads")
    pages.add_argument(
        "--servers", default="gunicorn-sync", help="gunicorn-sync,gunicorn-gthread,granian"
    )
    pages.add_argument("--backends", default="sqlite,postgres")
    pages.add_argument("--urls", default="", help="only these URLs (comma-separated names)")
    pages.add_argument("--port", type=int, default=8765)
    pages.add_argument("--server-env", action="append", help="KEY=VALUE for the server")
    pages.add_argument(
        "--app-dir", default="", help="serve another checkout of the site (a before/after)"
    )
    pages.add_argument(
        "--no-crawl",
        dest="crawl",
        action="store_false",
        help="skip the crawl workload (10,000 distinct URLs once each, at the largest size)",
    )
    pages.add_argument(
        "--crawl-limit",
        type=int,
        default=0,
        help="crawl only the first N URLs of the list (a slow 'before' run); default all",
    )
    pages_build = parts.add_parser("pages-build", help="(internal) build one pages database")
    for p in (pages, pages_build):
        p.add_argument("--cache-dir", type=Path, default=Path(".bench"))
        p.add_argument(
            "--pg-server",
            default=None,
            help="PostgreSQL server URL without a database; the databases are "
            "kb_bench_pages_<size> (default BENCH_PG_SERVER or postgres://postgres@127.0.0.1:5432)",
        )
        p.add_argument("--rebuild", action="store_true", help="build even if a corpus matches")
    pages_build.add_argument("--engine", choices=["sqlite", "postgres"], required=True)
    pages_build.add_argument("--passages", type=int, required=True)
    big = parts.add_parser(
        "bigsource", help="one generated 20 MB source through every page, command and admin view"
    )
    big_worker = parts.add_parser("bigsource-worker", help="(internal) one database of bigsource")
    for p in (big, big_worker):
        p.add_argument("--size-mb", type=float, default=20.0)
        p.add_argument("--requests", type=int, default=20, help="requests per URL")
        p.add_argument(
            "--pg-url",
            default=None,
            help="PostgreSQL bench database (its name must start with kb_bench); default "
            "BENCH_BIGSOURCE_PG_URL or postgres://postgres@127.0.0.1:5432/kb_bench_bigsource",
        )
    big.add_argument("--backends", default="sqlite,postgres")
    big_worker.add_argument("--backend", choices=["sqlite", "postgres"], required=True)
    big_worker.add_argument("--out", required=True)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    if args.part in ("pages", "pages-build"):
        import os

        from bench import pages as load

        args.pg_server = args.pg_server or os.environ.get("BENCH_PG_SERVER", load.DEFAULT_PG_SERVER)
        if args.part == "pages-build":
            return load.build_worker(args)
        result = load.bench_pages(args)
        load.report_pages(result)
    elif args.part in ("bigsource", "bigsource-worker"):
        import os

        from bench import bigsource

        args.pg_url = args.pg_url or os.environ.get(
            "BENCH_BIGSOURCE_PG_URL", bigsource.DEFAULT_PG_URL
        )
        if args.part == "bigsource-worker":
            return bigsource.worker(args)
        result = bigsource.bench_bigsource(args)
        bigsource.report_bigsource(result)
    elif args.part == "import":
        from bench.importing import bench_import, report_import

        result = bench_import(args)
        report_import(result)
    else:
        import os

        from bench import search

        args.pg_url = args.pg_url or os.environ.get("BENCH_PG_URL", search.DEFAULT_PG_URL)
        if args.part == "search-worker":
            return search.worker(args)
        result = search.bench_search(args)
        search.report_search(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
