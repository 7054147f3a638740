"""SQLite backend: one FTS5 table per type (porter stemming), kept in sync by triggers.

Each table's rowid is the indexed row's primary key. The triggers on the kb tables (and on
the tables a document borrows from: themes, claims, source titles) rewrite the affected
rows, so ``bulk_create``, ``QuerySet.update()``, raw SQL and deletes all stay in sync.
Ranking is bm25 with per-column weights; highlights come from ``highlight()``/``snippet()``.

The importer writes thousands of passages and quotes at a time: for those the per-row insert
triggers are switched off inside its transaction (``kb_search_state.deferred``) and the new
rows are indexed with one ``INSERT ... SELECT`` per source (5 MB of generated text: about
3.8 s of CPU through the triggers, under 1 s this way; half the import's time had gone to them).
"""

from __future__ import annotations

import sqlite3

from django.db.models.expressions import RawSQL

from kb.search.query import All, Any, Phrase, Query
from kb.search.schema import has_versions

TOKENIZER = "porter unicode61 remove_diacritics 2"

# type: (FTS table, columns, bm25 weights, SELECT id + columns FROM the indexed table ``q``,
# the rows of it indexed). Boilerplate passages (page chrome) are found by nobody, so they are not
# indexed at all: every passage in the index is visible, and an unfiltered passage search is
# the FTS table alone, with no join to tell chrome apart (bench search). The same goes for
# an earlier version of a source kept by ``import --replace`` (``superseded_by`` set) and
# its passages: its text is found in the version that replaced it.
THEMES_OF = (
    "coalesce((SELECT group_concat(t.name, ' ') FROM {through} x JOIN kb_theme t "
    "ON t.id = x.theme_id WHERE x.{fk} = {alias}.id), '')"
)
CURRENT_SOURCE = (
    "NOT EXISTS (SELECT 1 FROM kb_source s WHERE s.id = {source_id} "
    "AND s.superseded_by_id IS NOT NULL)"
)
DOCUMENTS = {
    "quote": (
        "kb_search_quote",
        ("text", "themes", "title"),
        (10.0, 10.0, 2.0),
        "SELECT q.id, q.text, "
        + THEMES_OF.format(through="kb_quote_themes", fk="quote_id", alias="q")
        + ", coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') "
        "FROM kb_quote q",
        "1",
    ),
    "passage": (
        "kb_search_passage",
        ("text",),
        (4.0,),
        "SELECT q.id, q.text FROM kb_passage q",
        "NOT q.is_boilerplate AND " + CURRENT_SOURCE.format(source_id="q.source_id"),
    ),
    "principle": (
        "kb_search_principle",
        ("title", "summary", "claims", "themes"),
        (10.0, 4.0, 10.0, 10.0),
        "SELECT q.id, q.title, q.summary, "
        "coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c "
        "WHERE c.principle_id = q.id), ''), "
        + THEMES_OF.format(through="kb_principle_themes", fk="principle_id", alias="q")
        + " FROM kb_principle q",
        "1",
    ),
    "source": (
        "kb_search_source",
        ("title", "byline", "notes"),
        (10.0, 4.0, 2.0),
        "SELECT q.id, q.title, trim(coalesce(q.author, '') || ' ' || coalesce(q.publisher, '')), "
        "q.notes FROM kb_source q",
        "q.superseded_by_id IS NULL",
    ),
}
# The rows indexed on a database from before ``Source.superseded_by`` (kb.search.schema).
INDEXED_BEFORE_VERSIONS = {"passage": "NOT q.is_boilerplate", "source": "1"}


# One row; ``deferred`` is 1 only inside an import's own write transaction (see
# ``kb.search.deferred_indexing``), so other connections, which see committed data only, never see it set.
STATE_TABLE = "kb_search_state"
NOT_DEFERRED = f"(SELECT deferred FROM {STATE_TABLE} WHERE id = 1) IS NOT 1"
# The rows the importer writes in bulk, and how to find one source's rows of each kind.
DEFERRABLE = {"passage": "q.source_id", "quote": "q.source_id"}


def _delete(kind: str, ids: str) -> str:
    return f"DELETE FROM {DOCUMENTS[kind][0]} WHERE rowid IN ({ids});"


def _index(kind: str, condition: str = "1", versions: bool = True) -> str:
    """INSERT the documents of the rows of ``kind`` meeting ``condition`` (on ``q``)."""
    table, columns, _, select, indexed = DOCUMENTS[kind]
    if not versions:
        indexed = INDEXED_BEFORE_VERSIONS.get(kind, indexed)
    return (
        f"INSERT INTO {table}(rowid, {', '.join(columns)}) {select} "
        f"WHERE ({indexed}) AND ({condition})"
    )


def _insert(kind: str, ids: str, versions: bool = True) -> str:
    return _index(kind, f"q.id IN ({ids})", versions) + ";"


def _refresh(kind: str, ids: str, versions: bool = True) -> str:
    return _delete(kind, ids) + " " + _insert(kind, ids, versions)


def _triggers(versions: bool = True) -> dict[str, tuple[str, str, str, str]]:
    """name: (event, table, WHEN condition or "", body); ``versions``: see ``has_versions``."""
    triggers = {}

    def insert(kind: str, ids: str) -> str:
        return _insert(kind, ids, versions)

    def refresh(kind: str, ids: str) -> str:
        return _refresh(kind, ids, versions)

    def own(kind: str, table: str, changed: list[str]) -> None:
        when = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ["id", *changed])
        # A new row has no index entry yet: insert only (the import writes many rows).
        insert_when = NOT_DEFERRED if kind in DEFERRABLE else ""
        triggers[f"kb_search_{table}_ai"] = ("INSERT", table, insert_when, insert(kind, "NEW.id"))
        triggers[f"kb_search_{table}_au"] = (
            "UPDATE",
            table,
            when,
            _delete(kind, "OLD.id") + " " + refresh(kind, "NEW.id"),
        )
        triggers[f"kb_search_{table}_ad"] = ("DELETE", table, "", _delete(kind, "OLD.id"))

    def borrowed(kind: str, table: str, fk: str) -> None:
        triggers[f"kb_search_{table}_ai"] = ("INSERT", table, "", refresh(kind, f"NEW.{fk}"))
        triggers[f"kb_search_{table}_au"] = (
            "UPDATE",
            table,
            "",
            refresh(kind, f"OLD.{fk}") + " " + refresh(kind, f"NEW.{fk}"),
        )
        triggers[f"kb_search_{table}_ad"] = ("DELETE", table, "", refresh(kind, f"OLD.{fk}"))

    own("quote", "kb_quote", ["text", "source_id"])
    own("passage", "kb_passage", ["text", "is_boilerplate"])
    own("principle", "kb_principle", ["title", "summary"])
    source_columns = ["title", "author", "publisher", "notes"]
    own("source", "kb_source", source_columns + (["superseded_by_id"] if versions else []))
    borrowed("quote", "kb_quote_themes", "quote_id")
    borrowed("principle", "kb_principle_themes", "principle_id")
    borrowed("principle", "kb_claim", "principle_id")
    # A source's title is part of its quotes' documents, a theme's name of its tagged rows.
    triggers["kb_search_kb_source_au_title"] = (
        "UPDATE",
        "kb_source",
        "OLD.title IS NOT NEW.title",
        refresh("quote", "SELECT id FROM kb_quote WHERE source_id = NEW.id"),
    )
    if versions:
        # A source replaced by a new version takes its passages out of the index (and back
        # in if it is current again).
        triggers["kb_search_kb_source_au_superseded"] = (
            "UPDATE",
            "kb_source",
            "(OLD.superseded_by_id IS NULL) IS NOT (NEW.superseded_by_id IS NULL)",
            refresh("passage", "SELECT id FROM kb_passage WHERE source_id = NEW.id"),
        )
    triggers["kb_search_kb_theme_au"] = (
        "UPDATE",
        "kb_theme",
        "OLD.name IS NOT NEW.name",
        refresh("quote", "SELECT quote_id FROM kb_quote_themes WHERE theme_id = NEW.id")
        + " "
        + refresh(
            "principle", "SELECT principle_id FROM kb_principle_themes WHERE theme_id = NEW.id"
        ),
    )
    return triggers


TRIGGERS = _triggers()


def install(connection, versions: bool | None = None) -> None:
    """Create (or re-create) the FTS5 tables and the triggers; idempotent. ``versions``: the
    definitions for a ``kb_source`` with ``superseded_by_id`` (None: as the table is)."""
    if versions is None:
        versions = has_versions(connection)
    triggers = _triggers(versions)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} ("
            "id INTEGER PRIMARY KEY CHECK (id = 1), deferred INTEGER NOT NULL DEFAULT 0)"
        )
        cursor.execute(f"INSERT OR IGNORE INTO {STATE_TABLE} (id, deferred) VALUES (1, 0)")
        for table, columns, *_ in DOCUMENTS.values():
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5("
                f"{', '.join(columns)}, tokenize = '{TOKENIZER}')"
            )
        for name in TRIGGERS.keys() - triggers.keys():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for name, (event, table, when, body) in triggers.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            condition = f" WHEN {when}" if when else ""
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table}{condition} BEGIN {body} END"
            )


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for table, *_ in DOCUMENTS.values():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")


# RunPython steps around a migration that rebuilds a table SQLite's way (copy, drop,
# rename): SQLite refuses the rename while the FTS triggers of other tables name the table.
# A migration whose backwards step rebuilds (RemoveField) puts them in reverse order:
# RunPython(noop, after_table_rebuild) first, RunPython(noop, before_table_rebuild) last.
def before_table_rebuild(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        uninstall(schema_editor.connection)


def after_table_rebuild(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        install(schema_editor.connection)
        rebuild(schema_editor.connection)


def is_installed(connection) -> bool:
    # The state table is new in the deferred-import version: a database without it gets the
    # new triggers (and a rebuild) from ``ensure_index`` after its next migrate.
    triggers = _triggers(has_versions(connection))
    expected = set(triggers) | {table for table, *_ in DOCUMENTS.values()} | {STATE_TABLE}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') "
            "AND name LIKE 'kb_search_%'"
        )
        found = {row[0] for row in cursor.fetchall()}
    return expected <= found


def rebuild(connection) -> dict[str, int]:
    """Re-create every document from the kb tables; returns the number indexed per type."""
    counts = {}
    versions = has_versions(connection)
    with connection.cursor() as cursor:
        for kind, (table, *_) in DOCUMENTS.items():
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(_index(kind, versions=versions))
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[kind] = cursor.fetchone()[0]
    return counts


def set_deferred(connection, deferred: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {STATE_TABLE} SET deferred = %s WHERE id = 1", [int(deferred)])


def index_source_rows(connection, source_id: int) -> None:
    """Index the passages and quotes of one source written while indexing was deferred."""
    with connection.cursor() as cursor:
        for kind, column in DEFERRABLE.items():
            cursor.execute(_index(kind, f"{column} = %s"), [source_id])


def clear(connection) -> None:
    """Empty the index (the triggers stay): for tests and for ``rebuild_search_index``."""
    with connection.cursor() as cursor:
        for table, *_ in DOCUMENTS.values():
            cursor.execute(f"DELETE FROM {table}")


# --- Queries -----------------------------------------------------------------------------


def _render(node) -> str:
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words).replace('"', '""') + '"'
    joiner = " AND " if isinstance(node, All) else " OR "
    assert isinstance(node, All | Any)
    return "(" + joiner.join(_render(part) for part in node.parts) + ")"


def compile_query(query: Query) -> str:
    """The FTS5 MATCH expression: every user word is inside double quotes."""
    positive = " AND ".join(_render(node) for node in query.positive)
    if not query.negative:
        return positive
    negative = " OR ".join(_render(node) for node in query.negative)
    return f"({positive}) NOT ({negative})"


def compile_any(nodes) -> str:
    """Rows matching any of ``nodes`` (used to exclude words when nothing is required)."""
    return " OR ".join(_render(node) for node in nodes)


def matching_ids(kind: str, expression: str) -> RawSQL:
    table = DOCUMENTS[kind][0]
    return RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", (expression,))


def filter_matches(queryset, kind: str, expression: str):
    return queryset.filter(pk__in=matching_ids(kind, expression))


def exclude_matches(queryset, kind: str, expression: str):
    return queryset.exclude(pk__in=matching_ids(kind, expression))


def _matching(kind: str, expression: str, visible) -> tuple[str, list]:
    """``FROM … WHERE …`` of the indexed rows of ``kind`` matching ``expression``.

    ``visible`` (a queryset) narrows them to the rows a reader may see; None when every
    indexed row is visible (then it is the FTS table alone, the fastest form). A join, not
    ``rowid IN (…)``: IN builds the whole list of matches first (50–80 ms for a common word
    at a million passages, even under a LIMIT), the join streams them.
    """
    table = DOCUMENTS[kind][0]
    if visible is None:
        return f"FROM {table} WHERE {table} MATCH %s", [expression]
    sql, params = visible.order_by().values("id").query.sql_with_params()
    return (
        f"FROM {table} JOIN ({sql}) AS visible ON visible.id = {table}.rowid "
        f"WHERE {table} MATCH %s",
        [*params, expression],
    )


def match_sql(kind: str, expression: str, visible) -> tuple[str, list]:
    """``SELECT id``: the matching rows, unordered (counts and facet samples)."""
    table = DOCUMENTS[kind][0]
    tail, params = _matching(kind, expression, visible)
    return f"SELECT {table}.rowid AS id {tail}", params


def among(queryset, ids_sql: str, params, field: str = "id"):
    """The rows of ``queryset`` whose ``field`` is among the ids ``ids_sql`` selects (a
    small sample)."""
    return queryset.filter(**{f"{field}__in": RawSQL(ids_sql, tuple(params))})


def id_list(cte: str) -> str:
    """No list of ids from the counting query: bm25 reads the index anyway."""
    return "''"


def ranked_sql(kind: str, expression: str, visible, known_ids=None) -> tuple[str, list]:
    """``SELECT id, search_rank``, best first: minus bm25 with the column weights.

    Only ids and ranks are sorted; the page's rows are fetched after (a sort of wide joined
    rows was most of a search's time at a million passages).
    """
    table, _, weights, *_ = DOCUMENTS[kind]
    weights_sql = ", ".join(str(w) for w in weights)
    tail, params = _matching(kind, expression, visible)
    return (
        f"SELECT {table}.rowid AS id, -bm25({table}, {weights_sql}) AS search_rank {tail} "
        f"ORDER BY search_rank DESC, {table}.rowid",
        params,
    )


def highlight_select(kind: str, expression: str, ids_sql: str, start: str, stop: str):
    """``(sql, params, fields)``: a SELECT of ``id, hl0, hl1…`` (one highlighted text per
    field, with the start/stop markers) for the rows whose ids ``ids_sql`` selects; see
    ``read_highlight``."""
    table = DOCUMENTS[kind][0]
    ellipsis = "…"
    if kind == "quote":
        fields = {"text": f"highlight({table}, 0, %s, %s)"}
        params = [start, stop]
    elif kind == "passage":
        fields = {"text": f"snippet({table}, 0, %s, %s, %s, 40)"}
        params = [start, stop, ellipsis]
    elif kind == "principle":
        fields = {
            "title": f"highlight({table}, 0, %s, %s)",
            "summary": f"snippet({table}, 1, %s, %s, %s, 32)",
            "claims": f"snippet({table}, 2, %s, %s, %s, 32)",
        }
        params = [start, stop, start, stop, ellipsis, start, stop, ellipsis]
    else:
        fields = {
            "title": f"highlight({table}, 0, %s, %s)",
            "byline": f"highlight({table}, 1, %s, %s)",
            "notes": f"snippet({table}, 2, %s, %s, %s, 32)",
        }
        params = [start, stop, start, stop, start, stop, ellipsis]
    columns = ", ".join(f"{sql} AS hl{i}" for i, sql in enumerate(fields.values()))
    sql = (
        f"SELECT rowid AS id, {columns} FROM {table} "
        f"WHERE {table} MATCH %s AND rowid IN ({ids_sql})"
    )
    return sql, [*params, expression], list(fields)


def read_highlight(value: str | None) -> str | None:
    return value


NULL_TEXT = "NULL"
# A CTE read twice is computed once (SQLite 3.35+ takes the keyword; older ones materialize
# such a CTE by default anyway).
MATERIALIZED = "MATERIALIZED" if sqlite3.sqlite_version_info >= (3, 35) else ""


def suggest_word(connection, word: str) -> str | None:
    """No trigram index on SQLite: "did you mean" is a PostgreSQL feature."""
    return None
