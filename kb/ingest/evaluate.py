"""Score the importer against hand-made gold standards: ``python -m kb.ingest.evaluate [DIR]``.

Each sample is ``NAME.txt`` (imported as a file would be) beside ``NAME.gold.yaml``:

``meta``
    options given to the import (``kind``, ``subject``, ``language``...), as ``--kind`` etc.
``known_extra``
    ``[[name, [aliases]]]`` of people already in the database besides :data:`KNOWN_PEOPLE`.
``new_people``
    the people the import may create (anyone else it creates is counted as wrongly created).
``chrome``
    exact words of each piece of page chrome (every occurrence counts).
``turns``
    ``{at: words, speaker: name}``: the speaker from those words on, until the next entry
    (``null``: narration; ``"@interviewer"``: whoever asks; ``"@any"``: not scored).
``quotes``
    ``{words: exact words}`` or ``{paragraph: its first words}`` (the paragraph after any
    label) with ``speaker`` (``null`` for an unnamed source); ``optional: true`` for a quote
    an importer may take or leave (a bare "No,").

Figures, over all samples: speaker turns (per non-blank line outside chrome), chrome
precision (per flagged passage) and recall (per gold piece), quote precision and recall
(overlap of at least half), attribution accuracy (of the quotes found) and the people
wrongly created.  Plain functions over the plan: no database.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.ingest.pipeline import plan_from_bytes
from kb.ingest.plan import ImportPlan, IngestError, KnownPerson, SourceMetadata

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "tests" / "ingest_eval"
# Who is in the database when the samples are imported: the seeded people, with the
# simplified Chinese name only (the traditional one must be found by folding).
KNOWN_PEOPLE = (
    KnownPerson("Lei Jun", ("Lei Jun", "lei jun", "Lei jun", "Lei", "Mr. Lei", "雷军")),
    KnownPerson("Fortune interviewer", ()),
)
# Names an import gives the asking side when the text does not name it.
INTERVIEWER_PLACEHOLDERS = frozenset(
    {"Interviewer", "Reporter", "Host", "Moderator", "Journalist", "Presenter", "Anchor"}
)
INTERVIEWEE_PLACEHOLDERS = frozenset({"Interviewee", "Guest"})

_BLOCK_END = re.compile(r"\n[ \t\u3000]*\n")


@dataclass
class Score:
    """Counts for one sample or for all of them (``+``)."""

    lines: int = 0
    lines_right: int = 0
    chrome_flagged: int = 0
    chrome_flagged_right: int = 0
    chrome_gold: int = 0
    chrome_found: int = 0
    quotes_found: int = 0
    quotes_found_right: int = 0
    quotes_gold: int = 0
    quotes_gold_found: int = 0
    attributed_right: int = 0
    wrong_people: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __add__(self, other: Score) -> Score:
        total = Score()
        for name in self.__dataclass_fields__:
            setattr(total, name, getattr(self, name) + getattr(other, name))
        return total

    @property
    def turns(self) -> float:
        return _ratio(self.lines_right, self.lines)

    @property
    def chrome_precision(self) -> float:
        return _ratio(self.chrome_flagged_right, self.chrome_flagged)

    @property
    def chrome_recall(self) -> float:
        return _ratio(self.chrome_found, self.chrome_gold)

    @property
    def quote_precision(self) -> float:
        return _ratio(self.quotes_found_right, self.quotes_found)

    @property
    def quote_recall(self) -> float:
        return _ratio(self.quotes_gold_found, self.quotes_gold)

    @property
    def attribution(self) -> float:
        return _ratio(self.attributed_right, self.quotes_found_right)

    def figures(self) -> str:
        return (
            f"turns {self.turns:6.1%}  chrome P {self.chrome_precision:6.1%} "
            f"R {self.chrome_recall:6.1%}  quotes P {self.quote_precision:6.1%} "
            f"R {self.quote_recall:6.1%}  right person {self.attribution:6.1%}  "
            f"wrong people {len(self.wrong_people)}"
        )


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def load_samples(directory: Path = DEFAULT_DIR) -> list[tuple[Path, dict]]:
    samples = []
    for gold_path in sorted(directory.glob("*.gold.yaml")):
        text_path = gold_path.with_name(gold_path.name.removesuffix(".gold.yaml") + ".txt")
        gold = yaml.safe_load(gold_path.read_text(encoding="utf-8")) or {}
        samples.append((text_path, gold))
    return samples


def plan_sample(text_path: Path, gold: dict) -> ImportPlan:
    known = list(KNOWN_PEOPLE) + [
        KnownPerson(name, tuple(aliases)) for name, aliases in gold.get("known_extra") or []
    ]
    options = {key: str(value) for key, value in (gold.get("meta") or {}).items()}
    return plan_from_bytes(text_path.read_bytes(), options, known, name=text_path.name)


def score_sample(text_path: Path, gold: dict) -> Score:
    score = Score()
    try:
        plan = plan_sample(text_path, gold)
    except IngestError as error:
        # Refused: scored as an import that found nothing (every gold item missed).
        score.problems.append(f"{text_path.name}: refused: {error}")
        plan = ImportPlan(text=text_path.read_text(encoding="utf-8"), metadata=SourceMetadata())
    text = plan.text

    def locate(words: str, what: str) -> int | None:
        position = text.find(words)
        if position < 0:
            score.problems.append(f"{text_path.name}: {what} not in the text: {words[:40]!r}")
            return None
        return position

    # Chrome: every occurrence of each gold piece.
    gold_chrome: list[tuple[int, int]] = []
    for words in gold.get("chrome") or []:
        position = text.find(words)
        if position < 0:
            locate(words, "chrome")
        while position >= 0:
            gold_chrome.append((position, position + len(words)))
            position = text.find(words, position + 1)
    chrome_chars = _chars(text, gold_chrome)
    flagged = [(p.start, p.end) for p in plan.passages if p.is_boilerplate]
    flagged_chars = _chars(text, flagged)
    score.chrome_flagged = len(flagged)
    score.chrome_flagged_right = sum(
        1 for span in flagged if _share(text, span, chrome_chars) >= 0.5
    )
    score.chrome_gold = len(gold_chrome)
    score.chrome_found = sum(1 for span in gold_chrome if _share(text, span, flagged_chars) >= 0.8)

    # Turns: each non-blank line outside the chrome, by the passage holding its start.
    marks = []
    for entry in gold.get("turns") or []:
        position = locate(entry["at"], "turn")
        if position is not None:
            marks.append((position, entry["speaker"]))
    marks.sort(key=lambda mark: mark[0])
    position = 0
    for line in text.splitlines(keepends=True):
        start, stripped = position, line.strip()
        position += len(line)
        if not stripped:
            continue
        start += len(line) - len(line.lstrip())
        if _share(text, (start, start + len(line.strip())), chrome_chars) >= 0.5:
            continue
        expected = None
        for mark, speaker in marks:
            if mark <= start:
                expected = speaker
        if expected == "@any":
            continue
        passage = next((p for p in plan.passages if p.start <= start < p.end), None)
        score.lines += 1
        if passage is not None and _same_speaker(passage.speaker, passage.role, expected):
            score.lines_right += 1

    # Quotes.
    gold_quotes = []  # (start, end, speaker, optional)
    for entry in gold.get("quotes") or []:
        if "words" in entry:
            start = locate(entry["words"], "quote")
            if start is None:
                continue
            end = start + len(entry["words"])
        else:
            start = locate(entry["paragraph"], "quote paragraph")
            if start is None:
                continue
            found = _BLOCK_END.search(text, start)
            end = found.start() if found else len(text.rstrip())
        gold_quotes.append((start, end, entry.get("speaker"), bool(entry.get("optional"))))
    predicted_chars = _chars(text, [(q.start, q.end) for q in plan.quotes])
    for quote in plan.quotes:
        score.quotes_found += 1
        best, best_overlap = None, 0.0
        for gold_quote in gold_quotes:
            overlap = _overlap(text, (quote.start, quote.end), gold_quote[:2])
            if overlap > best_overlap:
                best, best_overlap = gold_quote, overlap
        if best is None or best_overlap < 0.5:
            continue
        score.quotes_found_right += 1
        if _same_speaker(quote.speaker, "quote", best[2]):
            score.attributed_right += 1
    for start, end, _speaker, optional in gold_quotes:
        if optional:
            continue
        score.quotes_gold += 1
        if _share(text, (start, end), predicted_chars) >= 0.5:
            score.quotes_gold_found += 1

    allowed = set(gold.get("new_people") or []) | INTERVIEWER_PLACEHOLDERS
    allowed |= INTERVIEWEE_PLACEHOLDERS
    score.wrong_people = [
        f"{text_path.name}: {person.name}"
        for person in plan.people
        if not person.existing and person.name not in allowed
    ]
    return score


def _same_speaker(speaker: str | None, role: str, expected: str | None) -> bool:
    if expected == "@interviewer":
        return role == "question" or speaker in INTERVIEWER_PLACEHOLDERS
    return speaker == expected


def _chars(text: str, spans) -> set[int]:
    return {i for start, end in spans for i in range(start, end) if not text[i].isspace()}


def _share(text: str, span: tuple[int, int], chars: set[int]) -> float:
    """The part of ``span``'s non-space characters that are in ``chars``."""
    own = [i for i in range(*span) if not text[i].isspace()]
    return sum(1 for i in own if i in chars) / len(own) if own else 0.0


def _overlap(text: str, span: tuple[int, int], other: tuple[int, int]) -> float:
    """The part of ``span`` that lies inside ``other`` (non-space characters)."""
    return _share(text, span, set(range(*other)))


def evaluate(directory: Path = DEFAULT_DIR) -> tuple[Score, list[tuple[str, Score]]]:
    """The total score and each sample's, in name order."""
    each = [(path.name, score_sample(path, gold)) for path, gold in load_samples(directory)]
    total = Score()
    for _, score in each:
        total = total + score
    return total, each


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("-v", "--verbose", action="store_true", help="Each sample's figures.")
    args = parser.parse_args(argv)
    total, each = evaluate(args.directory)
    if not each:
        print(f"{args.directory}: no *.gold.yaml samples", file=sys.stderr)
        return 2
    if args.verbose:
        for name, score in each:
            print(f"{name:<28} {score.figures()}")
    print(f"{len(each)} samples: {total.figures()}")
    for line in total.wrong_people:
        print(f"  wrongly created: {line}")
    for line in total.problems:
        print(f"  gold problem: {line}")
    return 1 if total.problems else 0


if __name__ == "__main__":
    import os

    import django

    # No database: settings only, for the validators the front matter checks use.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")
    django.setup()
    sys.exit(main())
