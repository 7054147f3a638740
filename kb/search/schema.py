"""Which definitions of the search index a database's migrations call for.

The index's definitions (SQLite triggers, PostgreSQL vector functions) are installed by
migrations too, some of which run on tables from before a later change (``migrate`` from
scratch, or back): those get the definitions of their time.
"""

from __future__ import annotations

VERSIONS_MIGRATION = ("kb", "0012_search_without_superseded")


def has_versions(connection) -> bool:
    """True once migration 0012 is applied: earlier versions of a source (its
    ``superseded_by`` set, a column from 0010) are left out of the index."""
    from django.db.migrations.recorder import MigrationRecorder

    return VERSIONS_MIGRATION in MigrationRecorder(connection).applied_migrations()
