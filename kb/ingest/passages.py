"""Cut a text into lines, paragraphs and passages, as offsets into the unchanged text.

A *paragraph* is a run of text separated from its neighbours by blank lines, or by a
single line break when the text uses single breaks between paragraphs (most web
copies do).  Hard-wrapped prose - many lines of similar length that stop mid-sentence -
is the exception: there the lines of a block are joined into one paragraph.

A *passage* is what gets stored and cited: a paragraph, or a piece of one when the
paragraph is longer than the passage limit, cut between sentences (pysbd).  Spans never
start or end with whitespace and together cover every non-whitespace character once.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import pysbd
from pysbd.lang.english import English

PASSAGE_LIMIT = 700

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SENTENCE_END = ".!?。！？…"
CLOSING_MARKS = "\"'”’)]）】》」』"
# Where a cheap splitter cuts when pysbd cannot be used: terminal punctuation,
# optional closing quotes/brackets, whitespace.
_FALLBACK_BOUNDARY = re.compile(r"[.!?。！？…]+[\"'”’)\]）】》」』]*\s+")
_LIST_ITEM = re.compile(r"(?:[•·▪●■◦*+-]|\d{1,3}[.)])\s")


@dataclass(frozen=True)
class Line:
    """One line: ``start``/``end`` bound its text without the line break; ``lstart``/``rend``
    bound it without surrounding whitespace (equal when the line is blank)."""

    start: int
    end: int
    lstart: int
    rend: int

    @property
    def is_blank(self) -> bool:
        return self.lstart == self.rend


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    first_line: int  # index into the line list
    last_line: int


def split_lines(text: str) -> list[Line]:
    """Lines of ``text`` split at ``\\r\\n``, ``\\r`` or ``\\n``."""
    lines = []
    position = 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(_make_line(text, position, match.start()))
        position = match.end()
    lines.append(_make_line(text, position, len(text)))
    return lines


def _make_line(text: str, start: int, end: int) -> Line:
    lstart, rend = strip_span(text, start, end)
    return Line(start, end, lstart, rend)


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``[start, end)`` to exclude leading and trailing whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def ends_sentence(fragment: str) -> bool:
    """True when ``fragment`` ends with terminal punctuation, ignoring closing quotes."""
    stripped = fragment.rstrip().rstrip(CLOSING_MARKS)
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def looks_hard_wrapped(text: str, lines: Sequence[Line]) -> bool:
    """True when the text is prose wrapped at a fixed width rather than one line per paragraph.

    Evidence: lines that are followed by another line of the same block are mostly of
    similar length under ~100 characters and mostly stop mid-sentence.
    """
    lengths = []
    unfinished = 0
    for line, following in pairwise(lines):
        if line.is_blank or following.is_blank:
            continue
        lengths.append(line.rend - line.lstart)
        if not ends_sentence(text[line.lstart : line.rend]):
            unfinished += 1
    if len(lengths) < 3:
        return False
    typical = statistics.median(lengths)
    if not 20 <= typical <= 100:
        return False
    tolerance = max(10, typical * 0.25)
    similar = sum(1 for length in lengths if abs(length - typical) <= tolerance)
    return similar >= 0.6 * len(lengths) and unfinished >= 0.5 * len(lengths)


def split_into_paragraphs(
    text: str,
    lines: Sequence[Line] | None = None,
    *,
    own_paragraph: Collection[int] = (),
    starts_paragraph: Collection[int] = (),
    joins_next: Collection[int] = (),
    hard_wrapped: bool | None = None,
) -> list[Paragraph]:
    """Group non-blank lines into paragraphs.

    ``own_paragraph`` lines (title, page metadata, chrome markers) always stand alone;
    ``starts_paragraph`` lines (speaker turns) always start one; ``joins_next`` lines (a
    turn label alone on its line) are kept with the line after them.  Otherwise each line
    is a paragraph, unless the text is hard-wrapped: then a block's lines are joined.
    """
    if lines is None:
        lines = split_lines(text)
    if hard_wrapped is None:
        hard_wrapped = looks_hard_wrapped(text, lines)
    paragraphs: list[Paragraph] = []
    current: list[int] | None = None  # [first_line, last_line]
    for index, line in enumerate(lines):
        if line.is_blank:
            current = _close(paragraphs, current, lines)
            continue
        continues = (
            current is not None
            and current[1] == index - 1
            and index not in own_paragraph
            and index not in starts_paragraph
            and current[1] not in own_paragraph
            and (
                current[1] in joins_next
                or (hard_wrapped and not _LIST_ITEM.match(text, line.lstart))
            )
        )
        if continues:
            current[1] = index
        else:
            _close(paragraphs, current, lines)
            current = [index, index]
    _close(paragraphs, current, lines)
    return paragraphs


def _close(paragraphs: list[Paragraph], current: list[int] | None, lines) -> None:
    if current is not None:
        first, last = current
        paragraphs.append(Paragraph(lines[first].lstart, lines[last].rend, first, last))
    return None


# -- sentences -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    # Without char_span: pysbd's spans cost a regex search per sentence (~40% of a small
    # call) and are not always right; we locate the sentences ourselves.
    return pysbd.Segmenter(language="en", clean=False)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]`` (pysbd), stripped, covering all its non-space text."""
    end = len(text) if end is None else end
    starts = _sentence_starts(text, start, end)
    spans = []
    for left, right in zip([start, *starts], [*starts, end], strict=True):
        left, right = strip_span(text, left, right)
        if left < right:
            spans.append((left, right))
    return spans


def _sentence_starts(text: str, start: int, end: int) -> list[int]:
    """Offsets (strictly inside ``(start, end)``) where pysbd starts a new sentence."""
    # pysbd treats a line break as a sentence break, which is wrong for wrapped lines;
    # replacing breaks by spaces keeps every offset valid.
    window = text[start:end].replace("\r", " ").replace("\n", " ")
    if not window.strip():
        return []
    try:
        # process() gives the sentences without pysbd's own span search (a regex compiled per
        # sentence, the slowest part of a call): they are located below instead.
        sentences = _segmenter().processor(window).process()
    except Exception:  # pysbd has crashed on odd input before; never lose the text for it
        return _fallback_starts(text, start, end)
    starts = []
    cursor = 0
    for sentence in sentences:
        # Locate each sentence from a moving cursor: repeated sentences stay in order.
        core = sentence.strip()
        if not core:
            continue
        position = window.find(core, cursor)
        if position < 0:
            return _fallback_starts(text, start, end)
        if cursor > 0:  # the first sentence starts the window, not a new sentence
            starts.append(start + position)
        cursor = position + len(core)
    return starts


def _fallback_starts(text: str, start: int, end: int) -> list[int]:
    return [
        match.end()
        for match in _FALLBACK_BOUNDARY.finditer(text, start, end)
        if start < match.end() < end
    ]


def split_long_paragraph(
    text: str, start: int, end: int, limit: int = PASSAGE_LIMIT
) -> list[tuple[int, int]]:
    """Cut ``[start, end)`` into pieces of at most ``limit`` characters between sentences.

    Whole sentences are packed greedily.  A sentence longer than the limit is cut at the
    last whitespace before the limit, or at the limit itself when there is none.
    """
    return pack_sentences(text, start, end, limit, split_long_sentences=True)


def pack_sentences(
    text: str, start: int, end: int, limit: int, *, split_long_sentences: bool
) -> list[tuple[int, int]]:
    """Greedily pack whole sentences of ``text[start:end]`` into stripped pieces of at most
    ``limit`` characters.  A sentence longer than ``limit`` is cut (``split_long_sentences``)
    or kept whole as a piece of its own.

    pysbd costs ~0.2 ms per call plus ~4 ms per 1,000 characters, so it is only asked
    about small windows around each cut, never about a whole long paragraph, and not at
    all when the text already fits.
    """
    pieces = []
    cursor, end = strip_span(text, start, end)
    while end - cursor > limit:
        cut = _last_sentence_start(text, cursor, cursor + limit, end)
        if cut is None:
            if split_long_sentences:
                cut = _last_whitespace(text, cursor, cursor + limit)
            else:
                cut = _next_sentence_start(text, cursor + limit, end) or end
        left, right = strip_span(text, cursor, cut)
        if left < right:
            pieces.append((left, right))
        cursor, _ = strip_span(text, cut, end)
    if cursor < end:
        pieces.append((cursor, end))
    return pieces


# Cheap candidates for sentence starts: terminal punctuation, closing marks, whitespace
# (none needed after CJK punctuation).  pysbd decides which candidates are real.
_CANDIDATE_BOUNDARY = re.compile(
    r"[.!?…]+[\"'”’)\]）】》」』]*\s+|[。！？]+[\"'”’)\]）】》」』]*\s*"
)
# Context given to pysbd around a candidate: enough to see the word before the period
# (abbreviations, initials, numbers) and how the next sentence begins.
_LOOK_BACK = 80
_LOOK_AHEAD = 40
# After this many rejected candidates, ask pysbd about the whole piece at once.
_MAX_CHECKS = 6
_WORD_BEFORE = re.compile(r"[^\W\d_]+$")
_ABBREVIATIONS = frozenset(English.Abbreviation.ABBREVIATIONS)


def _is_sentence_start(text: str, match: re.Match, low: int, end: int) -> bool:
    """Does a sentence start where the candidate ``match`` ends?

    Clear cases are decided here, because a pysbd call costs ~0.5 ms even on a short
    window: "?", "!" or a period after an ordinary word (3+ letters, not in pysbd's own
    abbreviation list), followed by a capital or a digit, outside any open quote or
    bracket.  Everything else (initials, "Mr.", "U.S.", "...", a lower-case next word)
    is left to pysbd, looking at a small window around the candidate.
    """
    position = match.end()
    if _clearly_ends_sentence(text, match, low):
        return True
    window_start = max(low, position - _LOOK_BACK)
    window_end = min(end, position + _LOOK_AHEAD)
    return position in _sentence_starts(text, window_start, window_end)


def _clearly_ends_sentence(text: str, match: re.Match, low: int) -> bool:
    following = text[match.end()] if match.end() < len(text) else ""
    if not (following.isupper() or following.isdigit()):
        return False
    punctuation = match.group().rstrip().rstrip(CLOSING_MARKS)
    if punctuation == ".":
        word = _WORD_BEFORE.search(text, max(low, match.start() - 40), match.start())
        if not word or len(word.group()) < 3 or word.group().lower() in _ABBREVIATIONS:
            return False
    elif punctuation not in ("?", "!", "?!", "!?"):
        return False
    before = text[max(low, match.start() - 300) : match.start()]
    balanced = (
        before.count('"') % 2 == 0
        and before.count("“") <= before.count("”")
        and before.count("(") <= before.count(")")
    )
    return balanced


def _candidates(text: str, low: int, high: int, end: int) -> list[re.Match]:
    found = []
    for match in _CANDIDATE_BOUNDARY.finditer(text, low, min(end, high + _LOOK_AHEAD)):
        if match.end() > high or match.end() >= end:
            break
        found.append(match)
    return found


def _last_sentence_start(text: str, low: int, high: int, end: int) -> int | None:
    """The last sentence start in ``(low, high]``, or None when there is none."""
    candidates = _candidates(text, low, high, end)
    for match in reversed(candidates[-_MAX_CHECKS:]):
        if _is_sentence_start(text, match, low, end):
            return match.end()
    if len(candidates) <= _MAX_CHECKS:
        return None
    starts = [p for p in _sentence_starts(text, low, min(end, high + _LOOK_AHEAD)) if p <= high]
    return starts[-1] if starts else None


def _next_sentence_start(text: str, low: int, end: int) -> int | None:
    """The first sentence start after ``low`` (which lies inside a sentence), or None."""
    checks = 0
    for match in _CANDIDATE_BOUNDARY.finditer(text, low, end):
        if match.end() >= end or checks >= 4 * _MAX_CHECKS:
            break
        checks += 1
        if _is_sentence_start(text, match, low, end):
            return match.end()
    return None


def _last_whitespace(text: str, low: int, high: int) -> int:
    """Cut position for a sentence longer than the limit: the last whitespace, else ``high``."""
    for position in range(high, low, -1):
        if text[position].isspace():
            return position
    return high


def split_into_passages(
    text: str, limit: int = PASSAGE_LIMIT, paragraphs: Sequence[Paragraph] | None = None
) -> list[tuple[int, int, int]]:
    """``(start, end, paragraph_index)`` for every passage, in order.

    Without ``paragraphs`` the text is split with :func:`split_into_paragraphs` defaults
    (no knowledge of titles or speaker turns).
    """
    if paragraphs is None:
        paragraphs = split_into_paragraphs(text)
    passages = []
    for index, paragraph in enumerate(paragraphs):
        if paragraph.end - paragraph.start > limit:
            for left, right in split_long_paragraph(text, paragraph.start, paragraph.end, limit):
                passages.append((left, right, index))
        else:
            passages.append((paragraph.start, paragraph.end, index))
    return passages
