"""Backing up and restoring the whole database (``manage.py backup`` / ``manage.py restore``).

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
while the site keeps serving and writing; the backup is one self-contained SQLite file.
PostgreSQL: ``pg_dump -Fc`` of a snapshot exported by a repeatable-read transaction, so the
row counts printed are those of the dump itself; ``pg_restore`` replays it in one
transaction, so a failed restore leaves the database as it was. The client programs must be
at least the server's version: they are looked for in ``/usr/lib/postgresql/<major>/bin``
(Debian's layout) and then on ``PATH``.

Restore refuses to overwrite a database holding data unless asked to (``force=True``).
Every failure an operator can cause (a missing path, a corrupt or foreign file, a database
that cannot be reached) is a ``BackupError`` with a one-line message.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Filled by ``migrate`` itself: a database holding only these is empty.
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
# libpq reads these from the environment; Django keeps them in OPTIONS.
LIBPQ_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the operator."""


# What the database drivers say for a fault of the machine rather than of the data, and the
# words an operator needs (SQLite's "database or disk is full" is a full disk nine times in
# ten; PostgreSQL's "could not extend file" is always one).
DATABASE_FAULTS = [
    ("database or disk is full", "the disk is full"),
    ("no space left on device", "the disk is full"),
    ("could not extend file", "the disk is full"),
    ("disk quota exceeded", "the disk quota is exceeded"),
    ("attempt to write a readonly database", "the database file is read-only"),
    ("read-only file system", "the file system is read-only"),
    ("read-only transaction", "the database is read-only"),
    ("unable to open database file", "cannot open the database file (missing, or no access)"),
    ("disk i/o error", "a disk I/O error (a full or failing disk?)"),
    ("readonly database", "the database file is read-only"),
    ("no such table", "the database lacks this site's tables (run `manage.py migrate`?)"),
]
OS_FAULTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EFBIG: "the file is too large for this file system or limit",
}


def read_only_reason(path) -> str:
    """Why the file at ``path`` cannot be written, if it is read-only ("" if it can be)."""
    path = Path(path)
    folder = path.parent if path.parent.exists() else None
    try:
        if folder is not None and os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "the file system holding the database file is read-only"
    except OSError:
        return ""
    if path.exists() and not os.access(path, os.W_OK):
        return "the database file is read-only"
    if folder is not None and not os.access(folder, os.W_OK):
        return "the database file's directory is read-only (SQLite writes its journal there)"
    return ""


def sqlite_file(connection) -> str:
    """The SQLite database file of ``connection`` ("" for PostgreSQL or in-memory)."""
    if connection.vendor != "sqlite":
        return ""
    name = str(connection.settings_dict["NAME"])
    return "" if name == ":memory:" or "mode=memory" in name else name


def describe_connection_fault(exc: BaseException, connection) -> str:
    """``describe_fault`` for an error of ``connection``: SQLite's "unable to open database
    file" is said more precisely when the file or its file system is read-only."""
    database = sqlite_file(connection)
    message = _first_line(exc).lower()
    if database and ("unable to open" in message or "readonly" in message):
        reason = read_only_reason(database)
        if reason:
            return f"{reason} ({database}: {_first_line(exc)})"
    return describe_fault(exc)


def describe_fault(exc: BaseException, where: str = "") -> str:
    """One line naming an environment fault (disk full, read-only file …) for an operator,
    with the driver's own words after it; ``where`` is the file concerned, if known."""
    if isinstance(exc, OSError) and exc.errno in OS_FAULTS:
        place = where or exc.filename or ""
        named = OS_FAULTS[exc.errno]
        return f"{named} ({place}: {exc.strerror})" if place else f"{named} ({exc.strerror})"
    message = _first_line(exc)
    lowered = message.lower()
    for words, named in DATABASE_FAULTS:
        if words in lowered:
            return f"{named} ({where}: {message})" if where else f"{named} ({message})"
    return f"{where}: {message}" if where else message


@dataclass
class Report:
    """What a backup wrote or a restore loaded."""

    path: Path
    vendor: str
    size: int
    counts: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts_line(self) -> str:
        return ", ".join(f"{n} {label}" for label, n in self.counts)


# --- What is in a database -----------------------------------------------------------------


def counted_tables() -> list[tuple[str, list[str]]]:
    """(label, tables) for the row counts printed: each kb model, their history, users."""
    groups: list[tuple[str, list[str]]] = []
    history: list[str] = []
    for model in apps.get_app_config("kb").get_models():
        if model.__name__.startswith("Historical"):
            history.append(model._meta.db_table)
        else:
            groups.append((str(model._meta.verbose_name_plural), [model._meta.db_table]))
    groups.append(("revision history rows", history))
    groups.append(("users", [apps.get_model("auth", "User")._meta.db_table]))
    return groups


def data_tables() -> list[str]:
    """Every model's table (many-to-many and history included) that ``migrate`` leaves empty."""
    tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
    return sorted(tables - BOOKKEEPING_TABLES)


def _count(cursor, quote_name, table: str) -> int:
    cursor.execute(f"SELECT COUNT(*) FROM {quote_name(table)}")  # identifier, not a value
    return cursor.fetchone()[0]


def count_rows(cursor, quote_name, existing: set[str]) -> list[tuple[str, int]]:
    return [
        (label, sum(_count(cursor, quote_name, t) for t in tables if t in existing))
        for label, tables in counted_tables()
    ]


def existing_content(connection) -> dict[str, int]:
    """Rows per data table of ``connection``'s database, for the tables holding any."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        counts = {
            table: _count(cursor, connection.ops.quote_name, table)
            for table in data_tables()
            if table in existing
        }
    return {table: n for table, n in counts.items() if n}


def backup_vendor(path: Path) -> str:
    """ "sqlite" or "postgresql", from the file's first bytes."""
    if not path.exists():
        raise BackupError(f"{path}: no such file")
    if not path.is_file():
        raise BackupError(f"{path}: not a file")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path}: not a backup made by `manage.py backup` (unknown format)")


def _database_label(connection) -> str:
    return f"{connection.vendor} database {connection.settings_dict['NAME']}"


def _vendor_of(connection) -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {connection.vendor} database")
    return connection.vendor


# --- Backup --------------------------------------------------------------------------------


def backup_database(path: Path, *, overwrite: bool = False, using: str = DEFAULT_DB_ALIAS):
    """Write a backup of the database to ``path``; returns a Report of what was written.

    The backup is written beside ``path`` and renamed into place when complete, so ``path``
    is never a half-written file.
    """
    connection = connections[using]
    vendor = _vendor_of(connection)
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path}: is a directory; give a file name")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such directory")
    if path.exists() and not overwrite:
        raise BackupError(f"{path}: already exists; pass --force to overwrite it")
    partial = path.with_name(f".{path.name}.partial")
    try:
        if vendor == "sqlite":
            counts = _backup_sqlite(connection, partial)
        else:
            counts = _backup_postgres(connection, partial)
        os.replace(partial, path)
    except DatabaseError as exc:
        raise BackupError(
            f"{_database_label(connection)}: {describe_connection_fault(exc, connection)}"
        ) from None
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {describe_fault(exc, str(path))}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Report(path, vendor, path.stat().st_size, counts)


def _backup_sqlite(connection, target: Path) -> list[tuple[str, int]]:
    target.unlink(missing_ok=True)
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        try:
            # One step (pages=-1): a consistent snapshot, even while others write.
            connection.connection.backup(copy)
            # The site runs in WAL mode; a backup is better as one self-contained file.
            copy.execute("PRAGMA journal_mode=DELETE")
            cursor = copy.cursor()
            existing = {
                row[0]
                for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            return count_rows(cursor, connection.ops.quote_name, existing)
        except sqlite3.Error as exc:
            raise BackupError(
                f"SQLite backup to {_final(target)} failed: {describe_fault(exc)}"
            ) from None
    finally:
        copy.close()


def _final(partial: Path) -> Path:
    """The backup's own path, from the partial file written beside it."""
    return partial.with_name(partial.name.removeprefix(".").removesuffix(".partial"))


def _backup_postgres(connection, target: Path) -> list[tuple[str, int]]:
    pg_dump = pg_tool("pg_dump", connection)
    args, env = libpq_args(connection.settings_dict)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # The dump and the counts see the same snapshot, whatever is written meanwhile.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        existing = set(connection.introspection.table_names(cursor))
        counts = count_rows(cursor, connection.ops.quote_name, existing)
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", *args],
            env,
            f"pg_dump of {_database_label(connection)} to {_final(target)} failed",
        )
    return counts


# --- Restore -------------------------------------------------------------------------------


def restore_database(path: Path, *, force: bool = False, using: str = DEFAULT_DB_ALIAS):
    """Replace the database's contents with the backup at ``path``; returns a Report.

    Refuses (BackupError) when the database holds data, unless ``force``.
    """
    connection = connections[using]
    vendor = _vendor_of(connection)
    path = Path(path)
    kind = backup_vendor(path)
    if kind != vendor:
        raise BackupError(
            f"{path} is a {kind} backup but DATABASE_URL names a {vendor} database: "
            "restore it into a database of the same kind"
        )
    try:
        if vendor == "sqlite":
            _restore_sqlite(connection, path, force)
        else:
            _restore_postgres(connection, path, force)
        report = Report(path, vendor, path.stat().st_size)
        with connection.cursor() as cursor:
            existing = set(connection.introspection.table_names(cursor))
            report.counts = count_rows(cursor, connection.ops.quote_name, existing)
        executor = MigrationExecutor(connection)
        missing = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        raise BackupError(
            f"{_database_label(connection)}: {describe_connection_fault(exc, connection)}"
        ) from None
    if missing:
        report.notes.append(
            f"the backup predates {len(missing)} migration(s) of this code: run `manage.py migrate`"
        )
    return report


def _refuse_if_not_empty(connection, force: bool) -> None:
    content = existing_content(connection)
    if content and not force:
        with connection.cursor() as cursor:
            counts = count_rows(cursor, connection.ops.quote_name, set(content))
        held = [f"{n} {label}" for label, n in counts if n] or [
            f"{n} rows in {table}" for table, n in content.items()
        ]
        more = ", …" if len(held) > 4 else ""
        raise BackupError(
            f"{_database_label(connection)} is not empty ({', '.join(held[:4])}{more}): "
            "pass --force to replace everything in it with the backup"
        )


def _restore_sqlite(connection, path: Path, force: bool) -> None:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("DATABASE_URL names an in-memory database: restore into a file")
    target = Path(name)
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such directory for the database")
    _check_sqlite_backup(path)
    if target.exists():
        _refuse_if_not_empty(connection, force)
    connection.close()
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    destination = sqlite3.connect(target, timeout=30)
    try:
        # The whole copy is one write transaction on the destination: all or nothing.
        source.backup(destination)
    except sqlite3.Error as exc:
        said = describe_fault(exc)
        if "unable to open" in str(exc) or "readonly" in str(exc):
            said = read_only_reason(target) or said
        raise BackupError(
            f"restore of {path} into {target} failed, nothing was written: {said}"
        ) from None
    finally:
        source.close()
        destination.close()


def _check_sqlite_backup(path: Path) -> None:
    try:
        backup = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot open it ({exc})") from None
    try:
        verdict = [row[0] for row in backup.execute("PRAGMA quick_check(3)")]
        if verdict != ["ok"]:
            found = " ".join(" ".join(verdict).split())  # one line, however many problems
            raise BackupError(f"{path}: corrupt SQLite backup ({found})")
        tables = {r[0] for r in backup.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: corrupt SQLite backup ({exc})") from None
    finally:
        backup.close()
    if not {"django_migrations", "kb_source"} <= tables:
        raise BackupError(f"{path}: a SQLite file, but not a backup of this knowledge base")


def _restore_postgres(connection, path: Path, force: bool) -> None:
    pg_restore = pg_tool("pg_restore", connection)
    args, env = libpq_args(connection.settings_dict)
    # Reads the archive's table of contents: a truncated or foreign file fails here.
    _run([pg_restore, "--list", str(path)], env, f"{path}: not a readable pg_dump archive")
    _refuse_if_not_empty(connection, force)
    connection.close()
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            # GRANTs name roles the target server may not have.
            "--no-privileges",
            # All or nothing: an error rolls the whole restore back.
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(path),
        ],
        env,
        f"pg_restore of {path} failed (the database is unchanged)",
    )


# --- PostgreSQL client programs ------------------------------------------------------------


def libpq_args(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """Command-line arguments and environment for pg_dump/pg_restore.

    The password goes in the environment (PGPASSWORD), never on the command line where
    other users could read it; ``--no-password`` stops a prompt when none is set.
    """
    args = ["--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args.append(f"{option}={settings_dict[key]}")
    args.append(f"--dbname={settings_dict['NAME']}")
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    for option, variable in LIBPQ_ENV.items():
        value = settings_dict.get("OPTIONS", {}).get(option)
        if value not in (None, ""):
            env[variable] = str(value)
    return args, env


def _tool_major(program: str) -> int | None:
    try:
        out = subprocess.run(
            [program, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\b(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def pg_tool(name: str, connection) -> str:
    """The path of ``name`` (pg_dump, pg_restore) whose version is at least the server's."""
    connection.ensure_connection()
    server = connection.pg_version // 10000
    candidates = [Path(f"/usr/lib/postgresql/{server}/bin/{name}"), shutil.which(name)]
    seen = []
    for candidate in candidates:
        if not candidate or not Path(candidate).is_file():
            continue
        major = _tool_major(str(candidate))
        if major is not None and major >= server:
            return str(candidate)
        seen.append(f"{candidate} is version {major}")
    found = f" ({'; '.join(seen)})" if seen else ""
    raise BackupError(
        f"no {name} of version {server} or newer found{found}: install "
        f"postgresql-client-{server} or put its bin directory on PATH"
    )


def _run(command: list[str], env: dict[str, str], failure: str) -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    except OSError as exc:
        raise BackupError(f"{failure}: {exc}") from None
    if done.returncode != 0:
        said = _first_line(done.stderr, prefer="error:")
        raise BackupError(f"{failure}: {describe_fault(RuntimeError(said))}")
    return done.stdout


def _first_line(message, prefer: str = "") -> str:
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    preferred = [line for line in lines if prefer and prefer in line]
    return (preferred or lines or ["no message"])[0]
