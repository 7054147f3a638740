"""``manage.py group_statements``: group the quotes that say the same words (kb.statements)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kb.statements import THRESHOLD, group_statements


class Command(BaseCommand):
    help = (
        "Group the quotes whose words are the same or nearly the same across sources "
        "(MinHash near-duplicates). Confirmed groups and quotes kept apart are respected."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--threshold",
            type=float,
            default=THRESHOLD,
            help=f"Jaccard similarity of word shingles to call two quotes the same "
            f"(0 < t ≤ 1, default {THRESHOLD}).",
        )

    def handle(self, *args, threshold, **options):
        if not 0 < threshold <= 1:
            raise CommandError(f"--threshold must be above 0 and at most 1, not {threshold}.")
        with tqdm(desc="Hashing quotes", unit="quote", disable=options["verbosity"] < 1) as bar:
            counts = group_statements(threshold=threshold, progress=bar)
        self.stdout.write(
            f"{counts['grouped']} quotes in {counts['groups']} statement groups "
            f"({counts['created']} new)."
        )
