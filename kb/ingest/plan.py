"""The import plan: what the pipeline found in a text, before anything is written.

Everything is an offset into ``ImportPlan.text`` (Python string indices), so the
plan can be printed (``--dry-run``), previewed (admin), tested without a database,
and written by ``kb.ingest.store`` in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date


class IngestError(ValueError):
    """A problem with the input that the user must fix; ``str()`` is the message shown."""


@dataclass
class SourceMetadata:
    title: str = ""
    url: str = ""
    author: str = ""
    publisher: str = ""
    published: date | None = None
    kind: str = "other"
    language: str = "en"
    # The person the source is by or about: the essay's author, the interviewee.
    subject: str = ""
    # Who asks the questions in an interview when the text does not name them.
    interviewer: str = ""


@dataclass(frozen=True)
class KnownPerson:
    """A person already in the database, used to resolve labels and surnames."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass
class PlannedPassage:
    number: int  # 1-based, in text order
    start: int
    end: int
    speaker: str | None = None  # canonical person name
    is_boilerplate: bool = False
    # What the passage is: "title", "metadata", "body", "question", "answer", "chrome".
    role: str = "body"


@dataclass
class PlannedPerson:
    name: str
    aliases: list[str] = field(default_factory=list)
    existing: bool = False  # True when it resolved to a KnownPerson


@dataclass
class PlannedQuote:
    start: int
    end: int
    passage_number: int
    speaker: str | None  # canonical person name, None for unnamed sources
    attribution: str  # as written: "said Wang Chuan", "a company spokesman", "lei jun:"


@dataclass
class ImportPlan:
    text: str
    metadata: SourceMetadata
    passages: list[PlannedPassage] = field(default_factory=list)
    people: list[PlannedPerson] = field(default_factory=list)
    quotes: list[PlannedQuote] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def span(self, start: int, end: int) -> str:
        return self.text[start:end]

    @property
    def boilerplate_count(self) -> int:
        return sum(1 for p in self.passages if p.is_boilerplate)


# What the database holds (kb.models, ``max_length``): a plan this module lets through must
# never fail ``full_clean()`` later in store_plan, after the preview said it was fine.
# tests/test_ingest_pipeline.py checks they match the model fields.
PERSON_NAME_MAX_CHARS = 200  # Person.name
METADATA_MAX_CHARS = {
    "author": 200,  # Source.author
    "publisher": 200,  # Source.publisher
    "language": 20,  # Source.language
    # They name people (Person.name), as the admin form's fields of the same name say.
    "subject": PERSON_NAME_MAX_CHARS,
    "interviewer": PERSON_NAME_MAX_CHARS,
}


def check_plan(plan: ImportPlan) -> None:
    """Refuse (:class:`IngestError`, one line) a plan the database could not store.

    Run on every plan made from a file or a form (``plan_from_bytes``), so the command and
    the admin's preview report the problem before anything is written, and again by
    ``store_plan`` for plans made another way. The title is not checked: the admin lets
    the editor fill in a missing one after the preview, and a long one is cut to fit.
    """
    if not plan.text.strip():
        raise IngestError("the text after the front matter is empty")
    for key, limit in METADATA_MAX_CHARS.items():
        value = getattr(plan.metadata, key)
        if len(value) > limit:
            raise IngestError(_too_long(key, value, limit))
    for person in plan.people:
        if len(person.name) > PERSON_NAME_MAX_CHARS:
            raise IngestError(_too_long("speaker name", person.name, PERSON_NAME_MAX_CHARS))


def _too_long(what: str, value: str, limit: int) -> str:
    shown = repr(value) if len(value) <= 40 else f"{value[:40]!r}…"
    return f"bad {what} {shown}: {len(value)} characters, at most {limit}"
