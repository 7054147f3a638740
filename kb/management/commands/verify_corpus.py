"""``manage.py verify_corpus``: prove that every span still points at its words.

Exit status, for scripts: 0 when everything matches, 1 when problems were found (each one
named on stderr), 2 when the check could not run (the database cannot be read, the disk is
full …: one line naming the fault). A progress bar on stderr when it is a terminal.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from tqdm import tqdm

from kb.backup import describe_connection_fault, describe_fault
from kb.integrity import corpus_problems, corpus_size


class Command(BaseCommand):
    # An operator's command, run after every restore and from cron: the system checks
    # (URLs, templates, admin: 2 s of imports) are `manage.py check`'s job.
    requires_system_checks = []

    help = (
        "Check that passages tile their sources and quotes and claims are exact spans. "
        "Exit status: 0 verified, 1 problems found, 2 the check could not run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--progress",
            choices=["auto", "always", "never"],
            default="auto",
            help="The progress bar on stderr: auto (when stderr is a terminal), always, never.",
        )

    def handle(self, *args, progress, **options):
        try:
            problems = self.verify(progress)
        except DatabaseError as exc:
            raise CommandError(
                f"verify_corpus could not run: {describe_connection_fault(exc, connection)}",
                returncode=2,
            ) from None
        except OSError as exc:
            raise CommandError(
                f"verify_corpus could not run: {describe_fault(exc)}", returncode=2
            ) from None
        if problems:
            raise CommandError(f"{problems} problem(s) found", returncode=1)
        self.stdout.write("Corpus verified: every passage, quote and claim matches its source.")

    def verify(self, progress: str) -> int:
        sources, chars = corpus_size()
        disable = {"always": False, "never": True}.get(progress)  # None: a terminal only
        problems = 0
        with tqdm(
            total=chars,
            unit="char",
            unit_scale=True,
            desc=f"Verifying {sources} source(s)",
            file=sys.stderr,
            disable=disable,
            leave=True,  # the last state stays: how much was checked, how fast
        ) as bar:
            for problem in corpus_problems(progress=lambda source: bar.update(len(source.text))):
                problems += 1
                bar.clear()
                self.stderr.write(problem)
        return problems
