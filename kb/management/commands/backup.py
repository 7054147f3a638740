"""``manage.py backup PATH``: write a backup of the database (see kb.backup and README)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.backup import BackupError, backup_database


class Command(BaseCommand):
    # An operator's command, run after every restore and from cron: the system checks
    # (URLs, templates, admin: 2 s of imports) are `manage.py check`'s job.
    requires_system_checks = []

    help = (
        "Back up the database DATABASE_URL names to PATH: a SQLite file (online backup API) "
        "or a pg_dump custom-format archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH")
        parser.add_argument("--force", action="store_true", help="Overwrite PATH if it exists.")

    def handle(self, *args, path, force, **options):
        try:
            report = backup_database(Path(path), overwrite=force)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(
            f"Wrote {report.path} ({report.size:,} bytes, {report.vendor}): {report.counts_line()}."
        )
