# An earlier version of a source kept by ``import --replace`` (``superseded_by`` set) leaves
# the search index with its passages: readers find its text in the version that replaced it,
# as the source list and the sitemap already show only that one. New trigger bodies on
# SQLite; on PostgreSQL new vector functions and a source trigger with a new WHEN clause
# (dropped here so that ``install`` creates it again). Only the rows concerned are re-indexed.

from django.db import migrations

SUPERSEDED = "SELECT id FROM kb_source WHERE superseded_by_id IS NOT NULL"


def _reindex_superseded(connection, versions: bool) -> None:
    from kb.search import backend, sqlite

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS kb_search_kb_source_touch ON kb_source")
        backend(connection).install(connection, versions=versions)
        if connection.vendor == "sqlite":
            cursor.execute(
                "DELETE FROM kb_search_passage WHERE rowid IN "
                f"(SELECT id FROM kb_passage WHERE source_id IN ({SUPERSEDED}))"
            )
            cursor.execute(f"DELETE FROM kb_search_source WHERE rowid IN ({SUPERSEDED})")
            if not versions:  # back: index them again
                cursor.execute(
                    sqlite._index("passage", f"q.source_id IN ({SUPERSEDED})", versions=False)
                )
                cursor.execute(sqlite._index("source", f"q.id IN ({SUPERSEDED})", versions=False))
        else:
            # The trigger functions compute these rows' vectors again (empty while superseded).
            cursor.execute(
                f"UPDATE kb_passage SET search_vector = NULL WHERE source_id IN ({SUPERSEDED})"
            )
            cursor.execute(f"UPDATE kb_source SET search_vector = NULL WHERE id IN ({SUPERSEDED})")


def index_without_superseded(apps, schema_editor):
    _reindex_superseded(schema_editor.connection, versions=True)


def index_with_superseded(apps, schema_editor):
    _reindex_superseded(schema_editor.connection, versions=False)


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0011_source_fingerprint"),
    ]

    operations = [
        migrations.RunPython(index_without_superseded, index_with_superseded),
    ]
