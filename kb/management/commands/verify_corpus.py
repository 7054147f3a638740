"""``manage.py verify_corpus``: prove that every span still points at its words."""

from django.core.management.base import BaseCommand, CommandError

from kb.integrity import corpus_problems


class Command(BaseCommand):
    help = "Check that passages tile their sources and quotes and claims are exact spans."

    def handle(self, *args, **options):
        problems = 0
        for problem in corpus_problems():
            problems += 1
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{problems} problem(s) found", returncode=1)
        self.stdout.write("Corpus verified: every passage, quote and claim matches its source.")
