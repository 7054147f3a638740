"""Planning many files: read and plan the next files in a worker process while the caller
stores the current one, so a batch import uses both of a machine's cores.

Pure Python, no Django: the worker process imports only the pipeline.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kb.ingest.pipeline import plan_from_bytes
from kb.ingest.plan import ImportPlan, IngestError, KnownPerson

# How many files are planned ahead of the one being stored. Each holds one plan in memory.
AHEAD = 2


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
    stored the files before it but one or two, so people created by a file are known when
    planning the files that follow it (the same at every run: planning is deterministic).
    """
    if len(files) <= AHEAD:
        for path in files:
            yield (path, *plan_file(path, options, current_people(), max_bytes))
        return
    # spawn, not fork: the parent holds database connections a forked child must not share.
    context = multiprocessing.get_context("spawn")
    remaining = iter(files)
    pending = deque()
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:

        def submit_next() -> None:
            path = next(remaining, None)
            if path is not None:
                job = pool.submit(plan_file, path, options, current_people(), max_bytes)
                pending.append((path, job))

        for _ in range(AHEAD):
            submit_next()
        while pending:
            path, job = pending.popleft()
            yield (path, *job.result())
            submit_next()
