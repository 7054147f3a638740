"""``manage.py load_seed_corpus``: the seeded Lei Jun corpus, idempotently."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.ingest.plan import IngestError
from kb.ingest.seed import CURATION_FILE, load_seed_corpus
from kb.models import Claim, Passage, Person, Principle, Quote, Source, Theme


class Command(BaseCommand):
    help = "Import the seed texts and their curation (quotes, themes, people, principles)."

    def add_arguments(self, parser):
        parser.add_argument("--curation", type=Path, default=CURATION_FILE)

    def handle(self, *args, curation, **options):
        try:
            report = load_seed_corpus(curation)
        except IngestError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if report.total_changes:
            changes = ", ".join(f"{n} {what}" for what, n in sorted(report.changed.items()))
            self.stdout.write(f"Seed corpus loaded ({changes} written).")
        else:
            self.stdout.write("Seed corpus already loaded: nothing changed.")
        self.stdout.write(
            f"{Source.objects.count()} sources, {Passage.objects.count()} passages, "
            f"{Quote.objects.published().count()} published quotes "
            f"({Quote.objects.count()} in all), {Theme.objects.count()} themes, "
            f"{Person.objects.count()} people, {Principle.objects.count()} principles, "
            f"{Claim.objects.count()} claims."
        )
