"""The benchmark code runs end to end at a tiny size (a smoke test of the code, not a timing)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.bench import searchcorpus
from kb.bench.common import percentile, summary

ROOT = Path(__file__).resolve().parent.parent


def test_generated_rows_keep_the_invariants():
    rows = list(searchcorpus.sources(300, 40))
    passages = [p for r in rows for p in r.passages]
    quotes = [q for r in rows for q in r.quotes]
    assert len(passages) == 300
    assert 30 <= len(quotes) <= 40  # one per spread passage, none on page chrome
    texts = {r.source[0]: r.source[10] for r in rows}
    by_id = {p[0]: p for p in passages}
    for r in rows:
        assert "\n\n".join(p[5] for p in r.passages) == r.source[10]
    for _pid, source, _, start, end, text, *_ in passages:
        assert texts[source][start:end] == text
    for _qid, text, source, start, end, passage, *_ in quotes:
        assert texts[source][start:end] == text
        assert by_id[passage][3] <= start < end <= by_id[passage][4]
    # The same seed gives the same rows (every engine indexes the same passages).
    again = [p for r in searchcorpus.sources(300, 40) for p in r.passages]
    assert again == passages


def test_queries_are_fixed_and_mixed():
    queries = searchcorpus.queries(40)
    assert queries == searchcorpus.queries(40)
    assert {q["kind"] for q in queries} == set(searchcorpus.KINDS_OF_QUERY)


def test_percentiles():
    values = sorted(float(n) for n in range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert summary(values)["p99"] == 99


def test_search_part_runs_end_to_end_on_sqlite(tmp_path):
    """``python -m kb.bench search`` at 2,000 passages on SQLite (and tantivy if installed)."""
    out = tmp_path / "search.json"
    env = {**os.environ, "BENCH_PG_URL": "postgres://postgres@127.0.0.1:5432/kb_bench_unused"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "kb.bench", "--json", str(out), "search",
         "--passages", "2000", "--quotes", "200", "--queries", "40",
         "--backends", "sqlite", "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert any(
        line.startswith("sqlite") and "p95" in line and "search(passage)" in line for line in lines
    ), done.stdout
    assert any(line.startswith("sqlite") and "bare" in line and "p95" in line for line in lines)
    assert any("cores" in line for line in lines)
    result = json.loads(out.read_text())
    sqlite = result["engines"]["sqlite"]
    assert sqlite["sizes"]["passages"] == 2000
    assert sqlite["sizes"]["quotes"] == 200
    assert sqlite["latency_ms"]["search"]["n"] == 40
    assert "search/bare p95" in sqlite["ratios"]
    tantivy = result["engines"]["tantivy"]
    if "unavailable" in tantivy:
        assert any(line.startswith("tantivy: unavailable") for line in lines)
    else:
        assert tantivy["latency_ms"]["tantivy"]["n"] == 40
        assert any(line.startswith("tantivy") and "p95" in line for line in lines)
    # --reuse skips the build when the marker matches.
    again = subprocess.run(
        [sys.executable, "-m", "kb.bench", "search", "--passages", "2000", "--quotes", "200",
         "--queries", "8", "--backends", "sqlite", "--no-tantivy", "--reuse",
         "--variants", "bare,search", "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    assert "reused" in again.stdout


@pytest.mark.parametrize("argv", [["import", "--help"], ["search", "--help"]])
def test_parts_are_listed(argv):
    done = subprocess.run(
        [sys.executable, "-m", "kb.bench", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
