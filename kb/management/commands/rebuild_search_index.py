"""``manage.py rebuild_search_index``: build the search index again from the database.

A new generation is built beside the current one and swapped in atomically: the site
goes on searching the old one meanwhile, and a running indexer stands aside, then applies
what changed during the build. ``--if-needed`` builds only a missing or outdated index
(``make setup``).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from kb.search.index import index_root
from kb.search.indexer import IndexFault, IndexLocked, ensure_index, rebuild


class Command(BaseCommand):
    help = (
        "Build the search index again from the database (a new directory, swapped in "
        "atomically while the site keeps serving)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--if-needed",
            action="store_true",
            help="Only when the index is missing or was built for another schema.",
        )

    def handle(self, *args, database, if_needed, **options):
        root = index_root()
        progress = options["verbosity"] > 0
        try:
            if if_needed:
                stats = ensure_index(root, using=database, progress=progress)
                if stats is None:
                    self.stdout.write(f"The search index at {root} is up to date.")
                    return
            else:
                stats = rebuild(root, using=database, progress=progress)
        except (IndexLocked, IndexFault) as exc:
            raise CommandError(str(exc), returncode=2) from None
        summary = ", ".join(f"{n} {kind}s" for kind, n in sorted(stats.by_type.items()))
        rate = stats.documents / stats.seconds if stats.seconds else 0
        self.stdout.write(
            f"Search index rebuilt at {root} ({stats.generation}): {summary or 'no documents'}; "
            f"{stats.seconds:.1f} s, {rate:,.0f} documents/s, {stats.bytes / 1e6:.1f} MB."
        )
