"""Databases of a test's own, apart from the one pytest-django gives it, and how to look in them.

A scratch database is a SQLite file under the test's ``tmp_path`` or, when the suite runs on
PostgreSQL, a database created on the same server beside the test database (named after it,
so parallel checkouts using different test databases never meet) and dropped at the end.
``manage`` runs ``manage.py`` against one in a subprocess, as an operator would.
``dump`` reads every row of every table (the search index and the history tables too) in a
stable order, with the schema objects that matter (triggers, indexes, sequences), so two
databases can be compared for equality.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def vendor() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else "sqlite"


def subprocess_env(url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SECRET_KEY="scratch-database-tests-only",
        PYTHONUNBUFFERED="1",
        KB_API_ANON_RATE="off",
    )
    env.update(extra)
    return env


def manage(url: str, *args: str, timeout: float = 120, **popen) -> subprocess.CompletedProcess:
    """``manage.py *args`` against the database at ``url``; output captured as text."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=subprocess_env(url),
        capture_output=True,
        text=True,
        timeout=timeout,
        **popen,
    )


class Scratch:
    """Creates scratch databases and removes them all at the end (``close``)."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.vendor = vendor()
        self.pg_names: list[str] = []

    # PostgreSQL: DDL on a connection to the test database, never to a shared one.
    def _pg_admin(self):
        import psycopg

        return psycopg.connect(**self._pg_params(connection.settings_dict["NAME"]), autocommit=True)

    @staticmethod
    def _pg_params(name: str) -> dict:
        s = connection.settings_dict
        params = {"dbname": name, "user": s["USER"], "host": s["HOST"], "port": s["PORT"]}
        if s.get("PASSWORD"):
            params["password"] = s["PASSWORD"]
        return {k: v for k, v in params.items() if v not in (None, "")}

    def create(self, label: str, *, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``, a URL from ``create``); its URL."""
        if self.vendor == "sqlite":
            path = self.tmp_path / f"{label}.sqlite3"
            path.unlink(missing_ok=True)
            if template:
                with (
                    closing(sqlite3.connect(sqlite_path(template))) as src,
                    closing(sqlite3.connect(path)) as dst,
                ):
                    src.backup(dst)
            return f"sqlite:///{path}"
        name = f"{connection.settings_dict['NAME']}_{label}"[:63]
        with closing(self._pg_admin()) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if template:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_name(template)}"')
            else:
                admin.execute(f'CREATE DATABASE "{name}"')
        self.pg_names.append(name)
        return self.url(name)

    def url(self, name: str) -> str:
        s = connection.settings_dict
        auth = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"

    def raw(self, url: str):
        """A DB-API connection (closed by the caller) to the scratch database at ``url``."""
        if url.startswith("sqlite:"):
            return sqlite_connect(sqlite_path(url))
        import psycopg

        return psycopg.connect(**self._pg_params(pg_name(url)), autocommit=True)

    def close(self) -> None:
        if not self.pg_names:
            return
        with closing(self._pg_admin()) as admin:
            for name in self.pg_names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def pg_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def sqlite_connect(path) -> sqlite3.Connection:
    # Django's converters (registered globally by its backend) apply with the same flags,
    # so rows read here compare equal to rows read through Django's own connection.
    return sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)


def raw_test_database():
    """A DB-API connection to the test database pytest-django made (committed rows only on
    PostgreSQL; on SQLite, Django's own in-memory connection, so do not close it)."""
    if vendor() == "sqlite":
        connection.ensure_connection()
        return connection.connection
    import psycopg

    return psycopg.connect(**Scratch._pg_params(connection.settings_dict["NAME"]), autocommit=True)


def _rows(cursor, sql: str, params=()) -> list[tuple]:
    cursor.execute(sql, params)
    return [tuple(row) for row in cursor.fetchall()]


def dump(raw) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key (then every column), and the schema
    objects: {table: rows, "~schema": …}. ``raw`` is a sqlite3 or psycopg connection."""
    cursor = raw.cursor()
    out: dict[str, list[tuple]] = {}
    if isinstance(raw, sqlite3.Connection):
        # The schema itself: tables, indexes, triggers, the FTS5 virtual and shadow tables.
        out["~schema"] = _rows(
            cursor, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY 1, 2"
        )
        tables = [
            r[0]
            for r in _rows(cursor, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1")
        ]

        def key_columns(table):
            info = _rows(cursor, f'PRAGMA table_info("{table}")')
            keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
            return keys, [row[1] for row in info]
    else:
        out["~sequences"] = _rows(
            cursor,
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1",
        )
        out["~triggers"] = _rows(
            cursor,
            "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY 1, 2",
        )
        out["~indexes"] = _rows(
            cursor,
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
        )
        out["~extensions"] = _rows(cursor, "SELECT extname FROM pg_extension ORDER BY 1")
        tables = [
            r[0]
            for r in _rows(
                cursor, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]

        def key_columns(table):
            keys = [
                r[0]
                for r in _rows(
                    cursor,
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                    "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
                    (f'"{table}"',),
                )
            ]
            columns = [
                r[0]
                for r in _rows(
                    cursor,
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = %s ORDER BY ordinal_position",
                    (table,),
                )
            ]
            return keys, columns

    for table in tables:
        keys, columns = key_columns(table)
        # By primary key; tables without one (FTS5's own) by all their (orderable) columns.
        order = keys or [c for c in columns if not c.endswith("search_vector")]
        order_sql = ", ".join(f'"{c}"' for c in order)
        out[table] = _rows(cursor, f'SELECT * FROM "{table}" ORDER BY {order_sql}')
    cursor.close()
    return out


def counts(raw) -> dict[str, int]:
    """Rows per table (from ``dump``), for messages that say which table changed."""
    return {table: len(rows) for table, rows in dump(raw).items()}
