"""``python -m kb.bench PART [options]``: run one benchmark part and print its figures.

Parts: ``import`` (the importer's MB/s and peak memory on a generated corpus). The
database is a throw-away one (``BENCH_DATABASE_URL``, default a SQLite file in a temporary
directory), never the site's own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """The largest resident set of this process or of any finished child (the planner)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports KiB


def setup_django(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-secret")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_import(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        workdir = Path(tmp)
        setup_django(workdir)
        from django.core.management import call_command

        from kb.bench.corpus import generate_texts

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb.bench")
    parts = parser.add_subparsers(dest="part", required=True)
    importing = parts.add_parser("import", help="import a generated corpus; MB/s and peak RSS")
    importing.add_argument("--size-mb", type=float, default=50.0)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    result = bench_import(args)
    print(
        f"import: {result['megabytes']} MB in {result['files']} files, {result['seconds']} s, "
        f"{result['mb_per_s']} MB/s, peak RSS {result['peak_rss_mb']} MB "
        f"({result['sources']} sources, {result['passages']} passages, "
        f"{result['quotes']} quotes, {result['database']})"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
