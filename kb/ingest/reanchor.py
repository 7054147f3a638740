"""Re-anchoring a span after its source text changed: plain functions over ``str``.

A quote (or a claim's evidence) is a character span of a source's text. When the source is
re-imported with small edits (a doubled space, a changed comma, a reworded sentence next
to the quote) the old offsets point at the wrong characters. :func:`reanchor` finds the
span again in the new text, in three steps, each tried only when the previous one failed:

1. **exact**: the quote's characters occur in the new text (once, or several times and the
   context tells which);
2. **normalised**: the same words once whitespace runs, punctuation and case are ignored
   (a doubled space, a changed punctuation mark, curly quotes);
3. **approximate**: word windows of about the quote's length, scored by the quote's own
   words, its context before and after (the ``prefix``/``suffix`` of a W3C
   TextQuoteSelector, https://www.w3.org/TR/annotation-model/#text-quote-selector) and its
   distance from the old position.

The answer is an :class:`Anchor`: the new span, a confidence in [0, 1] and a verdict:
``"confident"`` (re-anchor silently), ``"uncertain"`` (re-anchor and list it for a
reviewer, both versions side by side) or ``"gone"`` (the words are not there: an orphan).
No database here; the importer calls it per quote.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "CONFIDENT",
    "GONE",
    "UNCERTAIN",
    "Anchor",
    "TextQuoteSelector",
    "reanchor",
    "selector",
]

CONFIDENT = "confident"
UNCERTAIN = "uncertain"
GONE = "gone"

# Characters of context kept on each side (the selector's prefix and suffix).
CONTEXT_CHARS = 64
# Below this similarity of the quote's own words, the best window is not the quote: gone.
MIN_WORDS_SIMILARITY = 0.6
# Two exact or normalised candidates whose scores differ by less than this are a tie: the
# match is then only "uncertain" (a reviewer looks at which occurrence was chosen).
TIE_MARGIN = 0.05
# The approximate step looks only around the occurrences of this many of the quote's words
# (its rarest in the new text): enough that one or two changed words still leave a seed.
SEED_WORDS = 4
# Weights of the approximate score: the quote's words count most, then its context.
WEIGHT_WORDS, WEIGHT_CONTEXT, WEIGHT_POSITION = 0.7, 0.2, 0.1

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class TextQuoteSelector:
    """The W3C TextQuoteSelector of a span: its exact words and their context."""

    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class Anchor:
    """Where a span went in the new text. ``start``/``end`` are None when it is gone."""

    start: int | None
    end: int | None
    confidence: float
    verdict: str  # CONFIDENT, UNCERTAIN or GONE
    method: str  # "exact", "normalised", "approximate" or "none"


def selector(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> TextQuoteSelector:
    """The span ``text[start:end]`` as a TextQuoteSelector with ``context`` chars each side."""
    return TextQuoteSelector(
        exact=text[start:end],
        prefix=text[max(0, start - context) : start],
        suffix=text[end : end + context],
    )


def _fold(char: str) -> str:
    """One character, case- and accent-folded ("" for a combining mark)."""
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _normalise(text: str) -> tuple[str, list[int]]:
    """``text`` as words separated by single spaces, with no punctuation, case-folded.

    Returns the normalised string and, for each of its characters, the index in ``text``
    of the character it came from (a separator space maps to the first gap character).
    """
    out: list[str] = []
    origin: list[int] = []
    for match in _WORD.finditer(text):
        if out:
            out.append(" ")
            origin.append(match.start() - 1)
        for offset, char in enumerate(match.group()):
            for folded in _fold(char):
                out.append(folded)
                origin.append(match.start() + offset)
    return "".join(out), origin


def _similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _words(text: str) -> list[str]:
    return [_fold_word(w) for w in _WORD.findall(text)]


def _fold_word(word: str) -> str:
    return "".join(_fold(c) for c in word)


def _context_score(sel: TextQuoteSelector, new_text: str, start: int, end: int) -> float:
    """How well the text around ``[start:end)`` matches the selector's prefix and suffix."""
    width_before, width_after = len(sel.prefix), len(sel.suffix)
    before = new_text[max(0, start - width_before) : start]
    after = new_text[end : end + width_after]
    scores = []
    if sel.prefix:
        scores.append(_similarity(_normalise(sel.prefix)[0], _normalise(before)[0]))
    if sel.suffix:
        scores.append(_similarity(_normalise(sel.suffix)[0], _normalise(after)[0]))
    return sum(scores) / len(scores) if scores else 1.0


def _position_score(old_start: int, old_len: int, new_start: int, new_len: int) -> float:
    """1 at the old relative position, falling linearly to 0 across the whole text."""
    old_rel = old_start / old_len if old_len else 0.0
    new_rel = new_start / new_len if new_len else 0.0
    return max(0.0, 1.0 - abs(old_rel - new_rel))


def _pick(candidates, sel, old_text, old_start, new_text, method, base):
    """The best of several equal-words candidates, by context then position."""
    scored = sorted(
        (
            (
                0.8 * _context_score(sel, new_text, s, e)
                + 0.2 * _position_score(old_start, len(old_text), s, len(new_text)),
                s,
                e,
            )
            for s, e in candidates
        ),
        reverse=True,
    )
    best, start, end = scored[0]
    if len(scored) > 1 and best - scored[1][0] < TIE_MARGIN:
        return Anchor(start, end, round(base * 0.7, 3), UNCERTAIN, method)
    return Anchor(start, end, base, CONFIDENT, method)


def _glued(text: str, before: int, after: int) -> bool:
    """Are the characters at ``before`` and ``after`` both word characters (one word)?"""
    if before < 0 or after >= len(text):
        return False
    return text[before].isalnum() and text[after].isalnum()


def _exact_candidates(quote: str, old_text: str, start: int, text: str):
    """Where ``quote`` occurs in ``text``, cut at word boundaries where the old span was."""
    end = start + len(quote)
    glued_start = _glued(old_text, start - 1, start)
    glued_end = _glued(old_text, end - 1, end)
    found, at = [], text.find(quote)
    while at != -1:
        stop = at + len(quote)
        if _glued(text, at - 1, at) == glued_start and _glued(text, stop - 1, stop) == glued_end:
            found.append((at, stop))
        at = text.find(quote, at + 1)
    return found


def _widen_over_punctuation(quote: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Take back the punctuation the normalised match dropped at the quote's two ends."""
    if quote[:1] and not quote[:1].isalnum() and not quote[:1].isspace():
        while start > 0 and not text[start - 1].isalnum() and not text[start - 1].isspace():
            start -= 1
    if quote[-1:] and not quote[-1:].isalnum() and not quote[-1:].isspace():
        while end < len(text) and not text[end].isalnum() and not text[end].isspace():
            end += 1
    return start, end


def _normalised_candidates(quote: str, text: str) -> list[tuple[int, int]]:
    norm_quote = _normalise(quote)[0]
    if not norm_quote:
        return []
    norm_text, origin = _normalise(text)
    found = []
    for match in re.finditer(re.escape(norm_quote), norm_text):
        s, e = match.start(), match.end()
        # Only whole words: a normalised quote "on" must not match inside "money".
        if s > 0 and norm_text[s - 1] != " ":
            continue
        if e < len(norm_text) and norm_text[e] != " ":
            continue
        start, end = origin[s], origin[e - 1] + 1
        found.append(_widen_over_punctuation(quote, text, start, end))
    return found


def _approximate(sel, old_text, old_start, new_text) -> Anchor:
    quote_words = _words(sel.exact)
    if not quote_words:
        return Anchor(None, None, 0.0, GONE, "none")
    spans = [(m.start(), m.end(), _fold_word(m.group())) for m in _WORD.finditer(new_text)]
    words = [w for _, _, w in spans]
    n = len(quote_words)
    # Seeds: where one of the quote's words occurs, the window starts that word's index
    # earlier. Bounds the work to the places that share at least one word with the quote.
    where: dict[str, list[int]] = {}
    for index, word in enumerate(words):
        where.setdefault(word, []).append(index)
    # Seeded by the quote's rarest words in the new text only (SEED_WORDS of them): a
    # common word ("the") would seed a window at each of its thousands of occurrences.
    present = sorted(
        (len(where[word]), offset, word) for offset, word in enumerate(quote_words) if word in where
    )
    starts: set[int] = set()
    for _count, offset, word in present[:SEED_WORDS]:
        for index in where[word]:
            starts.add(index - offset)
    slack = max(1, n // 5)
    best: tuple[float, float, int, int, float] | None = None
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(quote_words)
    tried: set[tuple[int, int]] = set()
    joined_quote = " ".join(quote_words)
    best_words = 0.0
    for seed in starts:
        for first in range(seed - slack, seed + slack + 1):
            for length in range(max(1, n - slack), n + slack + 1):
                first_c, last = max(0, first), min(len(words), first + length)
                if last <= first_c or (first_c, last) in tried:
                    continue
                tried.add((first_c, last))
                matcher.set_seq1(words[first_c:last])
                # Pruned by words shared, scored by characters: a changed word ("anything"
                # to "everything") still counts for what it shares, so the window keeps the
                # quote's length instead of dropping the changed word.
                if best is not None and matcher.quick_ratio() < best_words - 0.2:
                    continue
                word_ratio = matcher.ratio()
                if best is not None and word_ratio < best_words - 0.2:
                    continue
                best_words = max(best_words, word_ratio)
                words_score = _similarity(" ".join(words[first_c:last]), joined_quote)
                start, end = spans[first_c][0], spans[last - 1][1]
                start, end = _widen_over_punctuation(sel.exact, new_text, start, end)
                score = (
                    WEIGHT_WORDS * words_score
                    + WEIGHT_CONTEXT * _context_score(sel, new_text, start, end)
                    + WEIGHT_POSITION
                    * _position_score(old_start, len(old_text), start, len(new_text))
                )
                if best is None or (score, words_score) > (best[0], best[1]):
                    best = (score, words_score, start, end, word_ratio)
    # Gone unless the chosen words share enough whole words with the quote's (characters
    # rank the windows; shared words decide whether the quote is still there at all).
    if best is None or min(best[1], best[4]) < MIN_WORDS_SIMILARITY:
        confidence = round(best[0], 3) if best else 0.0
        return Anchor(None, None, confidence, GONE, "approximate")
    return Anchor(best[2], best[3], round(best[0], 3), UNCERTAIN, "approximate")


def reanchor(old_text: str, start: int, end: int, new_text: str) -> Anchor:
    """Find ``old_text[start:end]`` in ``new_text``: exact, then normalised, then approximate.

    >>> reanchor("I said: spend it.", 8, 16, "Then I said:  spend it.")
    Anchor(start=14, end=22, confidence=1.0, verdict='confident', method='exact')
    """
    if not 0 <= start < end <= len(old_text):
        raise ValueError(f"span {start}:{end} is not inside a text of {len(old_text)} chars")
    sel = selector(old_text, start, end)
    exact = _exact_candidates(sel.exact, old_text, start, new_text)
    if exact:
        return _pick(exact, sel, old_text, start, new_text, "exact", 1.0)
    normalised = _normalised_candidates(sel.exact, new_text)
    if normalised:
        return _pick(normalised, sel, old_text, start, new_text, "normalised", 0.95)
    return _approximate(sel, old_text, start, new_text)
