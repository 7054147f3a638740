"""The search outbox: what changed in the database, for the indexer to apply.

Database triggers (installed by migration 0014, which holds its own frozen copy of the SQL
below) add a ``(kind, id)`` row to ``kb_searchoutbox`` for every insert, update and delete
of a searchable row, in the writer's own transaction: the importer's ``executemany``,
``QuerySet.update()``, raw SQL and the admin are all covered, and a rolled-back write
leaves nothing. ``kind`` names the table the row changed in (``documents.KINDS``); a
many-to-many row names its owner (``kb_quote_themes`` → ``quote``). A delete, or an update
that moves a row, also names the row's old parents (a quote's passage and source, a
passage's source, a claim's principle): their facets change, and the row that said so is
gone by the time the indexer reads it.

SQLite drops a table's triggers when a migration rebuilds the table (its way of altering
one): ``ensure_triggers`` puts back any that are missing after every ``migrate``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections

TABLE = "kb_searchoutbox"


@dataclass(frozen=True)
class Watched:
    """A table whose rows feed the index: its kind, the column holding the id of the
    document's owner, its parents' ``(kind, column)``, and the columns whose update
    matters (None: any update)."""

    table: str
    kind: str
    own: str = "id"
    parents: tuple[tuple[str, str], ...] = ()
    columns: tuple[str, ...] | None = None


# A source's update reindexes all its passages and quotes (their facets): only the columns
# a document reads count, not ``updated`` or ``slug`` (kb.search.documents).
SOURCE_COLUMNS = ("title", "kind", "author", "publisher", "notes", "year", "superseded_by_id")
WATCHED = (
    Watched("kb_source", "source", columns=SOURCE_COLUMNS),
    Watched("kb_passage", "passage", parents=(("source", "source_id"),)),
    Watched("kb_quote", "quote", parents=(("passage", "passage_id"), ("source", "source_id"))),
    Watched("kb_quote_themes", "quote", own="quote_id"),
    Watched("kb_principle", "principle"),
    Watched("kb_principle_themes", "principle", own="principle_id"),
    Watched("kb_claim", "claim", parents=(("principle", "principle_id"),)),
    Watched("kb_theme", "theme"),
    Watched("kb_person", "person"),
    Watched("kb_searchalias", "alias"),
)


# --- SQLite: three small triggers a table ----------------------------------------------


def _sqlite_note(kind: str, value: str, condition: str = "") -> str:
    where = f"{value} IS NOT NULL" + (f" AND {condition}" if condition else "")
    return f"INSERT INTO {TABLE} (kind, object_id) SELECT '{kind}', {value} WHERE {where};"


def sqlite_triggers(watched=WATCHED) -> dict[str, str]:
    """name: CREATE TRIGGER statement."""
    triggers = {}
    for w in watched:
        name = f"kb_outbox_{w.table}"
        everything = ((w.kind, w.own), *w.parents)
        insert = _sqlite_note(w.kind, f"NEW.{w.own}")
        update = insert + "".join(
            _sqlite_note(kind, f"OLD.{col}", f"OLD.{col} IS NOT NEW.{col}")
            for kind, col in everything
        )
        delete = "".join(_sqlite_note(kind, f"OLD.{col}") for kind, col in everything)
        when = ""
        if w.columns:
            when = " WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("id", *w.columns))
        triggers[f"{name}_ai"] = (
            f"CREATE TRIGGER {name}_ai AFTER INSERT ON {w.table} BEGIN {insert} END"
        )
        triggers[f"{name}_au"] = (
            f"CREATE TRIGGER {name}_au AFTER UPDATE ON {w.table}{when} BEGIN {update} END"
        )
        triggers[f"{name}_ad"] = (
            f"CREATE TRIGGER {name}_ad AFTER DELETE ON {w.table} BEGIN {delete} END"
        )
    return triggers


# --- PostgreSQL: one function, two triggers a table --------------------------------------

# The trigger's arguments are "kind:column", the owner first, then the parents. The row is
# read as JSON to reach a column named by an argument.
PG_FUNCTION = f"""CREATE OR REPLACE FUNCTION kb_search_outbox_note() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  new_row jsonb;
  old_row jsonb;
  v_kind text;
  v_column text;
BEGIN
  IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
  IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    v_kind := split_part(TG_ARGV[i], ':', 1);
    v_column := split_part(TG_ARGV[i], ':', 2);
    IF i = 0 AND new_row ->> v_column IS NOT NULL THEN
      INSERT INTO {TABLE} (kind, object_id) VALUES (v_kind, (new_row ->> v_column)::bigint);
    END IF;
    IF old_row ->> v_column IS NOT NULL
       AND (new_row IS NULL OR (old_row ->> v_column) IS DISTINCT FROM (new_row ->> v_column)) THEN
      INSERT INTO {TABLE} (kind, object_id) VALUES (v_kind, (old_row ->> v_column)::bigint);
    END IF;
  END LOOP;
  RETURN NULL;
END $$"""


def postgres_triggers(watched=WATCHED) -> dict[str, str]:
    """name: CREATE TRIGGER statement (``PG_FUNCTION`` first)."""
    triggers = {}
    for w in watched:
        name = f"kb_outbox_{w.table}"
        args = ", ".join(f"'{kind}:{col}'" for kind, col in ((w.kind, w.own), *w.parents))
        call = f"EXECUTE FUNCTION kb_search_outbox_note({args})"
        when = ""
        if w.columns:
            changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("id", *w.columns))
            when = f" WHEN ({changed})"
        triggers[f"{name}_insdel"] = (
            f"CREATE TRIGGER {name}_insdel AFTER INSERT OR DELETE ON {w.table} FOR EACH ROW {call}"
        )
        triggers[f"{name}_upd"] = (
            f"CREATE TRIGGER {name}_upd AFTER UPDATE ON {w.table} FOR EACH ROW{when} {call}"
        )
    return triggers


def _existing_triggers(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                ["kb_outbox_%"],
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
                ["kb_outbox_%"],
            )
        return {row[0] for row in cursor.fetchall()}


def ensure_triggers(connection=None) -> list[str]:
    """Create the outbox triggers that are missing; returns their names.

    Needed on SQLite after a migration that rebuilds a watched table (which drops its
    triggers); on PostgreSQL it finds nothing missing.
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite":
        wanted = sqlite_triggers()
    elif connection.vendor == "postgresql":
        wanted = postgres_triggers()
    else:
        return []
    if TABLE not in connection.introspection.table_names():
        return []  # migration 0014 is not applied (yet, or any more)
    missing = [name for name in wanted if name not in _existing_triggers(connection)]
    with connection.cursor() as cursor:
        if missing and connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
        for name in missing:
            cursor.execute(wanted[name])
    return missing


def after_migrate(sender, app_config=None, using=DEFAULT_DB_ALIAS, **kwargs):
    """post_migrate: put back the triggers a table rebuild dropped (SQLite)."""
    if app_config is not None and app_config.label == "kb":
        ensure_triggers(connections[using])


def pending_count(using: str = DEFAULT_DB_ALIAS) -> int:
    from kb.models import SearchOutbox

    return SearchOutbox.objects.using(using).count()
