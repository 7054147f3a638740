"""``manage.py rebuild_search_index``: re-create the full-text index from the database."""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from kb import search


class Command(BaseCommand):
    help = (
        "Re-create the search index (PostgreSQL search vectors or SQLite FTS5 tables) and "
        "its triggers, then index every source, passage, quote and principle."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database, **options):
        connection = connections[database]
        counts = search.rebuild_index(connection)
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        self.stdout.write(f"Search index rebuilt ({connection.vendor}): {summary}.")
