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
