"""The seeded corpus for tests: loaded once by the real importer, then written again as rows.

``load_seed_corpus`` syncs object by object (about 1,350 queries, history rows included):
1.5 s a test on PostgreSQL, and 137 tests ask for the corpus. So the first test of a run
that asks for it loads it through the command and keeps the rows the command added; every
later one inserts those same rows, one bulk insert per table. The database's own triggers
fill the search index as they do for the command's inserts.
``test_seed_corpus`` checks that both ways leave the same rows and the same search index.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.db.models.fields import AutoFieldMixin

from kb.cache import bump_version
from kb.models import ContentVersion, SearchOutbox

# Per database vendor (a test process runs one): [(model, [{attname: value}, …]), …].
_ROWS: dict[str, list[tuple[type, list[dict]]]] = {}


def _models() -> list[type]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        # The outbox is written by the database's triggers as the rows go in.
        if model._meta.managed
        and not model._meta.proxy
        and model not in (ContentVersion, SearchOutbox)
    ]


def _values(model) -> dict:
    """Every stored row of ``model`` by primary key, as attribute values."""
    fields = [f.attname for f in model._meta.concrete_fields if not f.generated]
    return {row["pk"]: row for row in model._base_manager.values("pk", *fields)}


def restart_ids() -> None:
    """Empty tables number their rows from 1 again, so that every load of the corpus in a
    run gives it the same ids (PostgreSQL's sequences ignore rollbacks)."""
    sequences = [
        {"table": model._meta.db_table, "column": model._meta.pk.column}
        for model in _models()
        if isinstance(model._meta.pk, AutoFieldMixin) and not model._base_manager.exists()
    ]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_by_name_sql(no_style(), sequences):
            cursor.execute(sql)


def _load_and_keep() -> list[tuple[type, list[dict]]]:
    before = {model: _values(model) for model in _models()}
    restart_ids()
    call_command("load_seed_corpus", verbosity=0)
    added = []
    for model, rows_before in before.items():
        rows_after = _values(model)
        changed = [pk for pk, row in rows_before.items() if rows_after.get(pk) != row]
        if changed:
            # Replaying inserts could not repeat an update: load the corpus the slow way.
            raise AssertionError(f"load_seed_corpus changed {model.__name__} rows {changed}")
        new = [row for pk, row in rows_after.items() if pk not in rows_before]
        for row in new:
            row.pop("pk")
        if new:
            added.append((model, new))
    return added


def _insert(rows: list[tuple[type, list[dict]]]) -> None:
    for model, values in rows:
        model._base_manager.bulk_create([model(**row) for row in values])
    # Rows came with their ids: PostgreSQL's sequences must move past them (SQLite's do).
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [m for m, _ in rows]):
            cursor.execute(sql)
    bump_version()  # as the command's saves do: pages cached before are stale


def load_seed_rows() -> None:
    """The seeded corpus in the test database (which must not hold it already)."""
    rows = _ROWS.get(connection.vendor)
    if rows is None:
        _ROWS[connection.vendor] = _load_and_keep()
    else:
        _insert(rows)
