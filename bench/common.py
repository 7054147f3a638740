"""What every benchmark part shares: Django on a throw-away database, memory, percentiles."""

from __future__ import annotations

import math
import os
import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """The largest resident set of this process or of any finished child (the planner)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports KiB


def index_dir_for(database_url: str) -> str:
    """The search index of a bench database: beside its SQLite file, or under .bench/ for a
    PostgreSQL database (never the site's own ``search-index``)."""
    if database_url.startswith("sqlite:///"):
        return database_url.removeprefix("sqlite:///") + ".search-index"
    name = database_url.rstrip("/").rsplit("/", 1)[-1] or "postgres"
    return str(Path(".bench").resolve() / f"{name}.search-index")


def setup_django(database_url: str, *, migrate: bool = True) -> None:
    """Django on ``database_url`` (never the site's own database), migrated if asked."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("KB_SEARCH_INDEX", index_dir_for(database_url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-secret")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0–100) of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary(ms: list[float]) -> dict:
    """p50/p95/p99/max/mean of latencies in milliseconds."""
    values = sorted(ms)
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(values[-1], 2) if values else None,
        "mean": round(sum(values) / len(values), 2) if values else None,
    }
