"""The indexer: the one process writing the search index, from the outbox.

Each round reads up to ``BATCH`` outbox rows (lowest ids first), rebuilds the documents
they affect from the rows' current state (``documents.documents_for``: idempotent, so a
row applied twice does no harm), commits the index, then deletes exactly the outbox rows
it read. Gap-safe on one host: a transaction that commits after a later one (its outbox
ids are lower) leaves rows that the next round reads, since nothing but the applied rows
is ever deleted. Killed between the commit and the delete, it applies those rows again
when it restarts. See docs/search.md for several hosts.

Only one process writes: the indexer holds ``indexer.lock`` (a flock, dropped by the
kernel when the process dies), and a rebuild takes it over (``rebuild``) while the indexer
waits. tantivy's own writer lock file, if one is left behind and no live kb writer holds
``indexer.lock``, is stale and is removed.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import tantivy
from django.db import DEFAULT_DB_ALIAS, DatabaseError, close_old_connections, connections

from kb.search import documents
from kb.search.index import (
    SearchUnavailable,
    _reader,
    current_generation,
    index_root,
    is_current_schema,
    is_rebuilding,
    new_generation,
    new_index,
    open_generation,
    publish,
    rebuild_marker,
    unavailable,
    write_meta,
    writer_lock,
)

log = logging.getLogger("kb.search.indexer")

BATCH = 1000  # outbox rows a round
POLL_SECONDS = 0.5
WRITER_HEAP = 64_000_000  # bytes, for the indexer's small commits
REBUILD_HEAP = 400_000_000  # a rebuild's writer: fewer, larger segments
TANTIVY_WRITER_LOCK = ".tantivy-writer.lock"
# How long a rebuild waits for a running indexer to stand aside (it does within a round).
TAKEOVER_SECONDS = 30.0


class IndexLocked(Exception):
    """Another process writes the index (an indexer, or a rebuild)."""


class IndexFault(Exception):
    """The index directory cannot be written: full disk, no permission…"""


def describe_os_error(exc: BaseException, root: Path) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "No space left" in str(exc):
        return f"The disk holding the search index ({root}) is full."
    if isinstance(exc, PermissionError) or "Permission denied" in str(exc):
        return f"The search index directory {root} is not writable."
    return f"The search index at {root} could not be written: {exc}"


def _is_lock_busy(exc: BaseException) -> bool:
    return "LockBusy" in str(exc)


def open_writer(index: tantivy.Index, generation: Path, heap: int, threads: int = 0):
    """The IndexWriter of ``generation``; the caller holds ``indexer.lock``.

    tantivy's lock file is an OS lock too, so a killed writer's file does not block; if
    it does anyway (a filesystem without working locks), nobody else can hold it while we
    hold ``indexer.lock``: the file is stale and goes.
    """
    try:
        return index.writer(heap_size=heap, num_threads=threads)
    except ValueError as exc:
        if not _is_lock_busy(exc):
            raise
    stale = generation / TANTIVY_WRITER_LOCK
    log.warning("Removing a stale tantivy writer lock %s (no live indexer holds it)", stale)
    stale.unlink(missing_ok=True)
    try:
        return index.writer(heap_size=heap, num_threads=threads)
    except ValueError as exc:
        if _is_lock_busy(exc):
            raise IndexLocked(
                f"Another program holds the tantivy writer lock of {generation}."
            ) from None
        raise


def _apply(writer, changes: Iterable[tuple[str, int]]) -> int:
    """Replace the documents ``changes`` affect; returns how many keys were written."""
    written = 0
    for key, document in documents.documents_for(changes):
        writer.delete_documents_by_term(documents.KEY_FIELD, key)
        if document is not None:
            writer.add_document(document)
        written += 1
    return written


@dataclass
class Round:
    rows: int = 0
    documents: int = 0
    seconds: float = 0.0


class Indexer:
    """Applies the outbox to the current generation. ``start()`` takes the writer lock."""

    def __init__(self, root: Path | None = None, using: str = DEFAULT_DB_ALIAS, batch=BATCH):
        self.root = Path(root or index_root())
        self.using = using
        self.batch = batch
        self.lock = writer_lock(self.root)
        self.generation: Path | None = None
        self.index = None
        self.writer = None

    # The lock and the writer --------------------------------------------------------------

    def start(self, timeout: float = 0.0) -> None:
        if not self.lock.acquire(timeout):
            raise IndexLocked(
                f"Another process (pid {self.lock.owner()}) is writing the search index "
                f"at {self.root}."
            )
        try:
            self._open()
        except BaseException:
            self.stop()
            raise

    def _open(self) -> None:
        problem = unavailable(self.root)
        if problem:
            raise problem
        self.generation = current_generation(self.root)
        self.index = open_generation(self.generation)
        self.writer = open_writer(self.index, self.generation, WRITER_HEAP, threads=1)

    def _close_writer(self) -> None:
        if self.writer is not None:
            writer, self.writer = self.writer, None
            try:
                writer.rollback()  # nothing uncommitted is ever left; frees the lock file
            except Exception:
                pass
            del writer
        self.index = self.generation = None

    def stop(self) -> None:
        self._close_writer()
        self.lock.release()

    # Applying the outbox -------------------------------------------------------------------

    def apply_once(self) -> Round:
        """One round: up to ``batch`` outbox rows applied, committed and deleted."""
        from kb.models import SearchOutbox

        started = time.perf_counter()
        outbox = SearchOutbox.objects.using(self.using)
        rows = list(outbox.order_by("id").values_list("id", "kind", "object_id")[: self.batch])
        if not rows:
            return Round()
        # The same row changed twice in the batch is rebuilt once.
        changes = list(dict.fromkeys((kind, object_id) for _, kind, object_id in rows))
        try:
            written = _apply(self.writer, changes)
            self.writer.commit()
        except OSError as exc:
            self.writer.rollback()
            raise IndexFault(describe_os_error(exc, self.root)) from None
        except ValueError as exc:
            self.writer.rollback()
            if "No space left" in str(exc) or "Permission denied" in str(exc):
                raise IndexFault(describe_os_error(exc, self.root)) from None
            raise
        except BaseException:
            self.writer.rollback()  # half a batch is never committed with the next one
            raise
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 500):
            outbox.filter(id__in=ids[start : start + 500]).delete()
        return Round(len(rows), written, time.perf_counter() - started)

    def apply_all(self) -> Round:
        """Rounds until the outbox is empty."""
        total = Round()
        while True:
            done = self.apply_once()
            if not done.rows:
                return total
            total.rows += done.rows
            total.documents += done.documents
            total.seconds += done.seconds

    def run(
        self,
        interval: float = POLL_SECONDS,
        should_stop: Callable[[], bool] = lambda: False,
        on_round: Callable[[Round], None] | None = None,
    ) -> None:
        """Poll the outbox until ``should_stop()``; stand aside while a rebuild runs and
        reopen on the generation it publishes."""
        while not should_stop():
            if is_rebuilding(self.root):
                self._close_writer()
                self.lock.release()
                while is_rebuilding(self.root) and not should_stop():
                    time.sleep(interval)
                if should_stop():
                    return
                self.start(timeout=TAKEOVER_SECONDS)
                continue
            if current_generation(self.root) != self.generation:
                self._close_writer()
                self._open()
            close_old_connections()  # a dropped database connection is opened again
            try:
                done = self.apply_once()
            except DatabaseError as exc:
                # The database is down or restarting: nothing was deleted, try again.
                log.warning("The database is unavailable (%s); retrying", exc)
                connections[self.using].close()
                time.sleep(max(interval, 1.0))
                continue
            if done.rows:
                log.info(
                    "Applied %d outbox rows (%d documents) in %.0f ms",
                    done.rows,
                    done.documents,
                    done.seconds * 1000,
                )
                if on_round:
                    on_round(done)
            if done.rows < self.batch:
                time.sleep(interval)


# --- Rebuilds --------------------------------------------------------------------------------


@dataclass
class RebuildStats:
    documents: int = 0
    passages: int = 0
    seconds: float = 0.0
    bytes: int = 0
    generation: str = ""
    caught_up: int = 0
    by_type: dict = field(default_factory=dict)


def _expected_documents(using: str) -> int:
    from kb.models import Passage, Principle, Quote, Source

    return sum(model.objects.using(using).count() for model in (Source, Passage, Quote, Principle))


def rebuild(
    root: Path | None = None,
    using: str = DEFAULT_DB_ALIAS,
    progress: bool = True,
    heap: int = REBUILD_HEAP,
    catch_up: bool = True,
) -> RebuildStats:
    """Build a new generation from ``documents.all_changes()``, publish it atomically, then
    apply the outbox rows written meanwhile (``catch_up``; otherwise the indexer applies
    them). Searches read the old generation throughout; a running indexer stands aside
    (``rebuilding``) and resumes on the new one."""
    from tqdm import tqdm

    root = Path(root or index_root())
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexFault(describe_os_error(exc, root)) from None
    marker = rebuild_marker(root)
    if not marker.acquire():
        raise IndexLocked(f"A rebuild of {root} is already running (pid {marker.owner()}).")
    indexer = Indexer(root, using=using)
    generation = None
    try:
        if not indexer.lock.acquire(TAKEOVER_SECONDS):
            raise IndexLocked(
                f"The indexer (pid {indexer.lock.owner()}) did not release {root} within "
                f"{TAKEOVER_SECONDS:.0f} s."
            )
        started = time.perf_counter()
        stats = RebuildStats()
        generation = new_generation(root)
        try:
            index = new_index(generation)
            writer = index.writer(heap_size=heap, num_threads=0)
            # A document can come twice (a principle citing several sources): the last one
            # holds, so a repeated key replaces the earlier one.
            seen: dict[str, bytearray] = {}
            bar = tqdm(
                total=_expected_documents(using),
                unit="doc",
                desc="Indexing",
                disable=not progress,
                mininterval=0.5,
            )
            for key, document in documents.documents_for(documents.all_changes()):
                bar.update()
                if document is None:
                    continue
                kind, _, pk = key.partition(":")
                bits = seen.setdefault(kind, bytearray())
                pk = int(pk)
                byte, bit = divmod(pk, 8)
                if byte >= len(bits):
                    bits.extend(bytes(byte - len(bits) + 1 + len(bits) // 2))
                if bits[byte] >> bit & 1:
                    writer.delete_documents_by_term(documents.KEY_FIELD, key)
                else:
                    stats.by_type[kind] = stats.by_type.get(kind, 0) + 1
                    bits[byte] |= 1 << bit
                writer.add_document(document)
            bar.close()
            writer.commit()
            writer.wait_merging_threads()
            write_meta(generation)
        except OSError as exc:
            raise IndexFault(describe_os_error(exc, root)) from None
        except ValueError as exc:
            if "No space left" in str(exc) or "Permission denied" in str(exc):
                raise IndexFault(describe_os_error(exc, root)) from None
            raise
        publish(generation, root)
        stats.documents = sum(stats.by_type.values())
        stats.passages = stats.by_type.get("passage", 0)
        stats.generation = generation.name
        stats.bytes = sum(p.stat().st_size for p in generation.iterdir() if p.is_file())
        # What changed while the generation was built (and anything pending before).
        if catch_up:
            indexer._open()
            stats.caught_up = indexer.apply_all().rows
        stats.seconds = time.perf_counter() - started
        return stats
    except BaseException:
        if generation is not None and current_generation(root) != generation:
            import shutil

            shutil.rmtree(generation, ignore_errors=True)
        raise
    finally:
        indexer.stop()
        marker.release()
        _reader.forget()


def ensure_index(root: Path | None = None, using: str = DEFAULT_DB_ALIAS, progress=True):
    """Rebuild when the index is missing or of another schema; the stats, or None."""
    root = Path(root or index_root())
    generation = current_generation(root)
    if generation is not None and is_current_schema(generation):
        return None
    return rebuild(root, using=using, progress=progress)


def apply_pending(root: Path | None = None, using: str = DEFAULT_DB_ALIAS) -> int:
    """Apply the whole outbox now, in this process (tests, ``KB_SEARCH_EAGER``); returns
    the rows applied. Builds the index first if it is missing. Does nothing while another
    process writes the index (that process applies the outbox)."""
    from kb.models import SearchOutbox

    root = Path(root or index_root())
    if current_generation(root) is None or not is_current_schema(current_generation(root)):
        try:
            rebuild(root, using=using, progress=False)
        except IndexLocked:
            return 0
        return 0
    if not SearchOutbox.objects.using(using).exists():
        return 0
    indexer = Indexer(root, using=using)
    try:
        indexer.start()
    except (IndexLocked, SearchUnavailable):
        return 0
    try:
        return indexer.apply_all().rows
    finally:
        indexer.stop()
