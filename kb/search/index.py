"""Where the search index lives on disk, and opening it for searches.

The index is derived data beside the database (``settings.KB_SEARCH_INDEX``)::

    search-index/
      current -> gen-…        the generation searches read (a symlink, swapped atomically)
      gen-…/                  a tantivy index, and kb-search.json (its schema version)
      indexer.lock            flock'd by the one process writing (indexer or rebuild)
      rebuilding              flock'd while ``rebuild_search_index`` builds a generation

A rebuild writes a new generation beside the current one and renames a new ``current``
over the old (``publish``), so searches go on reading the old one until the new one is
complete. ``current_index()`` reopens when the pointer moves and reloads when the indexer
commits (a ``stat`` of the generation's meta.json per search). A missing index, or one
built for another ``documents.SCHEMA_VERSION``, raises ``SearchUnavailable``: the search
answers "search is being rebuilt" rather than a 500 or a stale schema.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from pathlib import Path

import tantivy
from django.conf import settings

from kb.search import documents

POINTER = "current"
WRITER_LOCK = "indexer.lock"
REBUILDING = "rebuilding"
META = "kb-search.json"
TANTIVY_META = "meta.json"
# Generations kept after a swap: the current one, and the one before for readers still
# on it (a process reopens at its next search).
KEEP_GENERATIONS = 2


class SearchUnavailable(Exception):
    """The index cannot answer: not built yet, being rebuilt, or built for another schema."""

    def __init__(self, message: str, *, rebuilding: bool = False):
        super().__init__(message)
        self.rebuilding = rebuilding


def index_root() -> Path:
    return Path(settings.KB_SEARCH_INDEX)


# --- Locks ---------------------------------------------------------------------------------


class FileLock:
    """An exclusive ``flock`` on a file holding the owner's pid.

    The kernel drops the lock when its process dies, however it dies, so a lock file left
    behind by a killed process is never mistaken for a live owner.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, timeout: float = 0.0) -> bool:
        """True once held; False if another process holds it after ``timeout`` seconds."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor releases the flock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def is_locked(self) -> bool:
        """True if some live process (this one included) holds the lock."""
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def owner(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def writer_lock(root: Path | None = None) -> FileLock:
    return FileLock((root or index_root()) / WRITER_LOCK)


def rebuild_marker(root: Path | None = None) -> FileLock:
    return FileLock((root or index_root()) / REBUILDING)


def is_rebuilding(root: Path | None = None) -> bool:
    return rebuild_marker(root).is_locked()


# --- Generations ---------------------------------------------------------------------------


def current_generation(root: Path | None = None) -> Path | None:
    """The directory ``current`` points to, or None."""
    root = root or index_root()
    try:
        target = os.readlink(root / POINTER)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return None
    path = root / target
    return path if path.is_dir() else None


def read_meta(generation: Path) -> dict:
    try:
        return json.loads((generation / META).read_text())
    except (OSError, ValueError):
        return {}


def is_current_schema(generation: Path) -> bool:
    return read_meta(generation).get("schema_version") == documents.SCHEMA_VERSION


def new_index(path: Path) -> tantivy.Index:
    """An empty index of the current schema at ``path`` (a new directory)."""
    path.mkdir(parents=True, exist_ok=False)
    index = tantivy.Index(documents.build_schema(), path=str(path), reuse=False)
    documents.register_analyzers(index)
    return index


def new_generation(root: Path | None = None) -> Path:
    root = root or index_root()
    root.mkdir(parents=True, exist_ok=True)
    return root / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}-{os.getpid()}"


def write_meta(generation: Path, **extra) -> None:
    meta = {"schema_version": documents.SCHEMA_VERSION, "built": time.time(), **extra}
    tmp = generation / (META + ".tmp")
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, generation / META)


def publish(generation: Path, root: Path | None = None) -> None:
    """Point ``current`` at ``generation`` atomically (rename over), then delete the
    generations older than the one it replaces."""
    root = root or index_root()
    tmp = root / f".{POINTER}-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(generation.name, tmp)
    os.replace(tmp, root / POINTER)
    _fsync_dir(root)
    prune(root)


def prune(root: Path | None = None) -> None:
    root = root or index_root()
    current = current_generation(root)
    generations = sorted(
        (p for p in root.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    keep = {current} if current else set()
    for path in reversed(generations):
        if len(keep) >= KEEP_GENERATIONS:
            break
        keep.add(path)
    for path in generations:
        if path not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def open_generation(generation: Path) -> tantivy.Index:
    index = tantivy.Index.open(str(generation))
    documents.register_analyzers(index)
    return index


def status(root: Path | None = None) -> dict:
    """What an operator wants to know about the index (``search_indexer --status``)."""
    root = root or index_root()
    generation = current_generation(root)
    lock = writer_lock(root)
    info = {
        "root": str(root),
        "current": generation.name if generation else None,
        "schema_version": read_meta(generation).get("schema_version") if generation else None,
        "expected_schema_version": documents.SCHEMA_VERSION,
        "writer": lock.owner() if lock.is_locked() else None,
        "rebuilding": is_rebuilding(root),
    }
    if generation:
        info["documents"] = open_generation(generation).searcher().num_docs
        info["bytes"] = sum(p.stat().st_size for p in generation.iterdir() if p.is_file())
    return info


def unavailable(root: Path | None = None) -> SearchUnavailable | None:
    """Why searches cannot use the index now, or None."""
    root = root or index_root()
    rebuilding = is_rebuilding(root)
    generation = current_generation(root)
    if generation is None:
        if rebuilding:
            return SearchUnavailable("The search index is being rebuilt.", rebuilding=True)
        return SearchUnavailable(
            "The search index has not been built: run manage.py rebuild_search_index."
        )
    version = read_meta(generation).get("schema_version")
    if version != documents.SCHEMA_VERSION:
        if rebuilding:
            return SearchUnavailable("The search index is being rebuilt.", rebuilding=True)
        return SearchUnavailable(
            f"The search index was built for schema {version}, this version needs "
            f"{documents.SCHEMA_VERSION}: run manage.py rebuild_search_index."
        )
    return None


# --- Readers -------------------------------------------------------------------------------


class _Reader:
    """This process's open index: reopened when ``current`` moves, reloaded on commit."""

    def __init__(self):
        self.lock = threading.Lock()
        self.root: Path | None = None
        self.generation: Path | None = None
        self.index: tantivy.Index | None = None
        self.stamp: int | None = None

    def forget(self) -> None:
        with self.lock:
            self.generation = self.index = self.stamp = None

    def get(self, root: Path) -> tantivy.Index:
        generation = current_generation(root)
        with self.lock:
            if generation is None or generation != self.generation or root != self.root:
                self.index = self.generation = self.stamp = None
                problem = unavailable(root)
                if problem:
                    raise problem
                try:
                    self.index = open_generation(generation)
                except (ValueError, OSError) as exc:
                    raise SearchUnavailable(
                        f"The search index could not be opened ({exc}): run manage.py "
                        "rebuild_search_index."
                    ) from None
                self.root, self.generation = root, generation
                self.stamp = _stamp(generation)
                return self.index
            stamp = _stamp(generation)
            if stamp != self.stamp:
                # The indexer committed: tantivy reloads on its own after a short delay;
                # reloading now makes the change visible to this very search.
                self.index.reload()
                self.stamp = stamp
            return self.index


def _stamp(generation: Path) -> int | None:
    try:
        return (generation / TANTIVY_META).stat().st_mtime_ns
    except OSError:
        return None


_reader = _Reader()


def current_index() -> tantivy.Index:
    """The index searches read (analyzers registered), as of the last commit.

    With ``KB_SEARCH_EAGER`` (the tests, a single-process setup) the pending outbox is
    applied first, in this process and on this connection, so a search sees the writes
    made before it, even inside a transaction not yet committed.
    """
    root = index_root()
    if settings.KB_SEARCH_EAGER:
        _apply_eagerly(root)
    return _reader.get(root)


def _apply_eagerly(root: Path) -> None:
    """The indexer's work, done here: its queries are not the page's, so a test counting a
    page's queries (``assertNumQueries``) does not see them, as it would not see the
    indexer's own process."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from kb.search.indexer import apply_pending

    connection = connections[DEFAULT_DB_ALIAS]
    logged, connection.force_debug_cursor = connection.force_debug_cursor, False
    try:
        apply_pending(root=root)
    finally:
        connection.force_debug_cursor = logged


def open_searcher() -> tantivy.Searcher:
    """A searcher of the latest committed index; use one searcher for a whole query."""
    return current_index().searcher()


def forget_open_index() -> None:
    """Drop this process's open index (tests that swap ``KB_SEARCH_INDEX``)."""
    _reader.forget()
