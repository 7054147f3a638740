"""Planning many files, one at a time, for the importer (pure Python, no Django).

Planning the next files in a worker process while the caller stores the current one was
tried and measured: no gain (0.75 vs 0.73 MB/s on 10 MB, `python -m bench import`),
since storing, not planning, takes most of the time. So it stays sequential and simple.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from kb.ingest.pipeline import plan_from_bytes
from kb.ingest.plan import ImportPlan, IngestError, KnownPerson


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing a file over the limit before reading it."""
    if path.stat().st_size > max_bytes:
        raise IngestError(f"file is larger than the {max_bytes // (1024 * 1024)} MB limit")
    return path.read_bytes()


def plan_file(
    path: Path, options: dict, people: list[KnownPerson], max_bytes: int
) -> tuple[ImportPlan | None, str]:
    """(plan, "") for a good file, (None, the problem) for a bad one."""
    try:
        data = read_limited(path, max_bytes)
        return plan_from_bytes(data, options, people, name=path.name, max_bytes=max_bytes), ""
    except (IngestError, OSError) as exc:
        return None, str(exc)


def plan_files(
    files: list[Path],
    options: dict,
    current_people: Callable[[], list[KnownPerson]],
    max_bytes: int,
) -> Iterator[tuple[Path, ImportPlan | None, str]]:
    """Yield ``(path, plan or None, problem)`` for each file, in order.

    ``current_people`` is asked again before each file is planned, after the caller has
    stored the files before it, so people created by a file are known to the next ones.
    """
    for path in files:
        yield (path, *plan_file(path, options, current_people(), max_bytes))
