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
    # Why this speaker: which words named them ("named: 'Will Wong' (role: IDC analyst)",
    # "'he': the nearest person named before it, 'Lei Jun'"), for the preview and --dry-run.
    reason: str = ""
    # Where it was found: "quotation" (in quotation marks), "answer" (an interview's
    # answer), "speech" (a speech's or essay's own words).
    origin: str = "quotation"


@dataclass(frozen=True)
class Decoding:
    """How a file's bytes became text (``kb.ingest.decode.decode_text``).

    ``guessed`` is True when the file had no BOM and was not UTF-8, so the encoding was
    detected: a wrong guess garbles every non-ASCII character, and the garbled text would
    be stored as the original for good.  The admin preview and ``import_source`` show
    :meth:`warning` so the editor checks the text first.
    """

    encoding: str  # Python's codec name: "utf-8", "utf-16-le", "gb18030", "cp1252"
    guessed: bool = False
    # When guessed: up to three (line number, excerpt) of lines with non-ASCII characters.
    samples: tuple[tuple[int, str], ...] = ()

    @property
    def label(self) -> str:
        """The encoding as an editor knows it: ``Windows-1252 (cp1252)``, ``MAC-LATIN2``."""
        known = ENCODING_LABELS.get(self.encoding)
        return f"{known} ({self.encoding})" if known else self.encoding.upper()

    def warning(self) -> str:
        """One sentence for the editor when the encoding was guessed, else ``""``."""
        if not self.guessed:
            return ""
        return (
            f"The file is not UTF-8: it was decoded as {self.label}, a guess. Check that "
            "its non-ASCII characters read correctly before importing; if they do not, "
            "save the file as UTF-8 and import it again."
        )

    def warning_line(self) -> str:
        """:meth:`warning` with the sample lines, on one line (for a terminal)."""
        warning = self.warning()
        if not warning or not self.samples:
            return warning
        shown = "; ".join(f"line {number}: {line!r}" for number, line in self.samples)
        return f"{warning} Lines with non-ASCII characters: {shown}"


# Codec names (``codecs.lookup(...).name``) an editor may not recognise.
ENCODING_LABELS = {
    "cp1252": "Windows-1252",
    "cp1250": "Windows-1250",
    "cp1251": "Windows-1251",
    "iso8859-1": "Latin-1",
    "gb18030": "Simplified Chinese GBK/GB18030",
    "big5": "Traditional Chinese Big5",
    "cp932": "Japanese Shift JIS",
    "shift_jis": "Japanese Shift JIS",
    "cp949": "Korean",
    "euc_kr": "Korean EUC-KR",
}


@dataclass
class ImportPlan:
    text: str
    metadata: SourceMetadata
    passages: list[PlannedPassage] = field(default_factory=list)
    people: list[PlannedPerson] = field(default_factory=list)
    quotes: list[PlannedQuote] = field(default_factory=list)
    # How the file was decoded (``plan_from_bytes``); None for a plan made from a str.
    decoding: Decoding | None = None

    @property
    def decoding_warning(self) -> str:
        """Why the editor must check the text before importing it (a guessed encoding)."""
        return self.decoding.warning() if self.decoding is not None else ""

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
