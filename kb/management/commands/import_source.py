"""``manage.py import_source PATH …``: import text files as sources (see README)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from tqdm import tqdm

from kb.ingest.batch import plan_files
from kb.ingest.frontmatter import FRONT_MATTER_KEYS
from kb.ingest.plan import ImportPlan, IngestError
from kb.ingest.store import (
    environment_problem,
    known_people,
    require_title,
    slug_for,
    store_plan,
)


def text_files(paths: list[str]) -> list[Path]:
    """The files named, with every ``*.txt`` of a named directory, in a stable order."""
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.txt") if p.is_file())
            if not found:
                raise IngestError(f"{raw}: the directory has no .txt file")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise IngestError(f"{raw}: no such file or directory")
    return files


# What the importer makes from a title (slug_for): lowercase words joined by hyphens.
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def slug_problem(slug: str, files: int) -> str:
    """Why ``--slug`` cannot be used as given, or ""."""
    if files != 1:
        return f"--slug names one source: give one file, not {files}"
    if len(slug) > 80 or not SLUG_RE.fullmatch(slug):
        return (
            f"--slug {slug[:80]!r}: use at most 80 lowercase letters and digits, words joined "
            "by hyphens (such as fortune-interview-2014)"
        )
    return ""


class Command(BaseCommand):
    help = "Import text files (or every *.txt of a directory) as sources with passages and quotes."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--title")
        parser.add_argument("--url")
        parser.add_argument("--author")
        parser.add_argument("--publisher")
        parser.add_argument("--published", metavar="YYYY-MM-DD")
        parser.add_argument("--kind")
        parser.add_argument("--language")
        parser.add_argument("--subject", help="Who the source is by or about (the interviewee).")
        parser.add_argument("--interviewer", help="Who asks the questions, when unlabelled.")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish extracted quotes, and the new people speaking them (else drafts).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Print the plan, write nothing.")
        parser.add_argument(
            "--replace", action="store_true", help="Store a changed text under the same slug."
        )
        parser.add_argument(
            "--slug",
            help="Store (or --replace) the source under this slug rather than its title's "
            "(one file only).",
        )
        parser.add_argument(
            "--keep-going", action="store_true", help="Import the good files, list the bad."
        )
        parser.add_argument(
            "--max-bytes", type=int, default=settings.KB_IMPORT_MAX_BYTES, help="Size limit."
        )

    def handle(self, *args, **options):
        try:
            files = text_files(options["paths"])
        except IngestError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["slug"] is not None:
            problem = slug_problem(options["slug"], len(files))
            if problem:
                raise CommandError(problem, returncode=2)
        overrides = {key: options[key] for key in FRONT_MATTER_KEYS if options.get(key)}
        try:
            if options["keep_going"] or options["dry_run"]:
                bad = self.import_each(files, overrides, options)
            else:
                # A batch is all or nothing: the first bad file rolls back the whole batch.
                try:
                    with transaction.atomic():
                        bad = self.import_each(files, overrides, options, stop_at_first=True)
                except _BatchFailed as failed:
                    raise CommandError(f"{failed}; nothing was imported", returncode=2) from None
        except (DatabaseError, OSError) as error:
            # A full disk or a read-only database: one line, not a traceback (the source
            # being stored was rolled back; with --keep-going, those before it are kept).
            problem = environment_problem(error)
            if problem is None:
                raise
            kept = " (files imported before it are kept)" if options["keep_going"] else ""
            raise CommandError(
                f"{problem}; the import stopped, nothing of it was written{kept}", returncode=2
            ) from None
        if len(files) > 1:
            done = "would be imported (dry run)" if options["dry_run"] else "imported"
            self.stdout.write(f"{len(files) - len(bad)} of {len(files)} files {done}.")
        if bad:
            listing = "; ".join(bad)
            raise CommandError(f"{len(bad)} file(s) not imported: {listing}", returncode=2)

    def import_each(self, files, overrides, options, *, stop_at_first=False) -> list[str]:
        bad = []
        people = known_people()
        people_cache = {}
        planned = plan_files(files, overrides, lambda: people, options["max_bytes"])
        progress = tqdm(
            planned, total=len(files), unit="file", disable=len(files) < 2, file=sys.stderr
        )
        for path, plan, problem in progress:
            try:
                if problem:
                    raise IngestError(problem)
                if plan.decoding_warning:
                    # A warning, not a failure: the import goes on, the exit code is unchanged.
                    self.say(
                        self.stderr,
                        f"{path}: warning: {plan.decoding.warning_line()}",
                        style_func=self.style.WARNING,
                    )
                if options["dry_run"]:
                    require_title(plan)  # what storing it would refuse first
                    self.print_plan(path, plan)
                    continue
                result = store_plan(
                    plan,
                    slug=options["slug"] or slug_for(plan),
                    publish=options["publish"],
                    replace=options["replace"],
                    people_cache=people_cache,
                )
            except IngestError as exc:
                message = f"{path}: {exc}"
                if stop_at_first:
                    raise _BatchFailed(message) from None
                self.say(self.stderr, message)
                bad.append(str(path))
                continue
            self.say(self.stdout, result.summary())
            for line in result.to_check:
                self.say(self.stdout, f"  re-anchored to changed words, please check: {line}")
            for orphan in result.orphans:
                self.say(
                    self.stdout, f"  no longer in the text, kept on the earlier version: {orphan}"
                )
            if result.new_people:
                people = known_people()
        return bad

    @staticmethod
    def say(stream, message: str, style_func=None) -> None:
        """One line on ``stream`` (the command's stdout or stderr) with the progress bar
        (on stderr) cleared first and drawn again after, so the line never lands on it."""
        with tqdm.external_write_mode(file=sys.stderr):
            stream.write(message, style_func=style_func)

    def print_plan(self, path: Path, plan: ImportPlan) -> None:
        meta = plan.metadata
        out = self.stdout
        out.write(f"{path}: {meta.title!r} ({meta.kind}), {len(plan.passages)} passages")
        for passage in plan.passages:
            words = " ".join(plan.text[passage.start : passage.end].split())[:70]
            flag = " [boilerplate]" if passage.is_boilerplate else ""
            out.write(f"  ¶{passage.number:<4} {passage.speaker or '-':<20} {words}{flag}")
        out.write(f"  {len(plan.quotes)} candidate quotes")
        for quote in plan.quotes:
            words = " ".join(plan.text[quote.start : quote.end].split())[:80]
            who = quote.speaker or "(unnamed)"
            out.write(f"  ¶{quote.passage_number:<4} {who} [{quote.attribution}]: {words}")
            if quote.reason:
                out.write(f"        why: {quote.reason}")
        new_people = [person.name for person in plan.people if not person.existing]
        if new_people:
            out.write(
                f"  new people (drafts until an editor publishes them): {', '.join(new_people)}"
            )
        else:
            out.write("  new people: none")
        out.write("  dry run: nothing written")


class _BatchFailed(Exception):
    pass
