"""``manage.py restore PATH``: replace the database's contents with a backup (see README)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kb.backup import BackupError, restore_database


class Command(BaseCommand):
    # An operator's command, run after every restore and from cron: the system checks
    # (URLs, templates, admin: 2 s of imports) are `manage.py check`'s job.
    requires_system_checks = []

    help = (
        "Restore a backup made by `manage.py backup` into the database DATABASE_URL names. "
        "Refuses to overwrite a database holding data unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the contents of a database that is not empty.",
        )

    def handle(self, *args, path, force, **options):
        try:
            report = restore_database(Path(path), force=force)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(
            f"Restored {report.path} into the {connection.vendor} database "
            f"{connection.settings_dict['NAME']}: {report.counts_line()}."
        )
        for note in report.notes:
            self.stdout.write(f"Note: {note}")
        # The search index is derived from the rows just replaced: built again from them
        # (the outbox restored with them stays for the indexer, which applies it again).
        from kb.search.indexer import IndexFault, IndexLocked, rebuild

        try:
            stats = rebuild(progress=options["verbosity"] > 1, catch_up=False)
        except (IndexLocked, IndexFault) as exc:
            self.stdout.write(
                f"Note: the search index was not rebuilt ({exc}): run manage.py "
                "rebuild_search_index."
            )
        else:
            self.stdout.write(f"Search index rebuilt: {stats.documents} documents.")
