"""The ``import`` part: the importer's MB/s and peak memory on a generated corpus.

The database is a throw-away one (``BENCH_DATABASE_URL``, default a SQLite file in a
temporary directory), never the site's own.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.common import peak_rss_mb, setup_django


def bench_import(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        workdir = Path(tmp)
        setup_django(os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}"))
        from django.core.management import call_command

        from bench.corpus import generate_texts

        corpus_dir = workdir / "corpus"
        corpus_dir.mkdir()
        total = 0
        for name, text in generate_texts(int(args.size_mb * 1024 * 1024)):
            data = text.encode("utf-8")
            (corpus_dir / name).write_bytes(data)
            total += len(data)
        files = len(list(corpus_dir.iterdir()))
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command("import_source", str(corpus_dir), stdout=quiet, stderr=quiet)
        elapsed = time.perf_counter() - started
        from kb.models import Passage, Quote, Source

        result = {
            "part": "import",
            "database": os.environ["DATABASE_URL"].split(":", 1)[0],
            "files": files,
            "megabytes": round(total / 1024 / 1024, 2),
            "seconds": round(elapsed, 2),
            "mb_per_s": round(total / 1024 / 1024 / elapsed, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "peak_rss_before_import_mb": round(rss_before, 1),
            "sources": Source.objects.count(),
            "passages": Passage.objects.count(),
            "quotes": Quote.objects.count(),
        }
    return result


def report_import(result: dict) -> None:
    print(
        f"import: {result['megabytes']} MB in {result['files']} files, {result['seconds']} s, "
        f"{result['mb_per_s']} MB/s, peak RSS {result['peak_rss_mb']} MB "
        f"({result['sources']} sources, {result['passages']} passages, "
        f"{result['quotes']} quotes, {result['database']})"
    )
