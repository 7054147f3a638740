"""Re-anchoring: a stored link (an editor's correction, say) keeps its place when either
text is re-imported. The words are looked for in the new text exactly, then with
whitespace, punctuation, case and traditional/simplified folded away, then approximately
(difflib) with the old context as a tie-breaker. Pure functions."""

import difflib
import unicodedata
from dataclasses import dataclass

from kb.align.text import Span, fold


@dataclass(frozen=True)
class StoredLink:
    """A link as stored: both spans with the words they covered when stored."""

    original: Span
    original_words: str
    translation: Span
    translation_words: str


@dataclass(frozen=True)
class Reanchored:
    span: Span
    confidence: float
    method: str  # "exact", "normalised" or "approximate"


def _normalised(text: str) -> tuple[str, list[int]]:
    """The folded text without whitespace and punctuation, and for each kept character
    its offset in the original text (so a match maps back to an exact span)."""
    kept, offsets = [], []
    for index, char in enumerate(text):
        if char.isspace() or unicodedata.category(char)[0] in "PSZC":
            continue
        folded = fold(char)
        kept.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(kept), offsets


def _nearest(starts: list[int], hint: int | None) -> int:
    return starts[0] if hint is None else min(starts, key=lambda s: abs(s - hint))


def _all_occurrences(haystack: str, needle: str) -> list[int]:
    starts, position = [], haystack.find(needle)
    while position != -1:
        starts.append(position)
        position = haystack.find(needle, position + 1)
    return starts


def find_span(
    words: str, new_text: str, hint: int | None = None, before: str = "", after: str = ""
) -> Reanchored | None:
    """Where `words` are in `new_text`: the exact occurrence nearest the old offset
    (`hint`), else the normalised one, else the best approximate window (confidence =
    similarity, context included when given); None under 0.6 similarity or for no words."""
    if not words.strip() or not new_text:
        return None
    starts = _all_occurrences(new_text, words)
    if len(starts) > 1 and (before or after):
        with_context = [
            s
            for s in starts
            if new_text[:s].endswith(before) and new_text[s + len(words) :].startswith(after)
        ]
        starts = with_context or starts
    if starts:
        start = _nearest(starts, hint)
        return Reanchored((start, start + len(words)), 1.0 if len(starts) == 1 else 0.9, "exact")

    norm_text, offsets = _normalised(new_text)
    norm_words, _ = _normalised(words)
    if not norm_words or not norm_text:
        return None
    starts = _all_occurrences(norm_text, norm_words)
    if starts:
        chosen = _nearest([offsets[s] for s in starts], hint)
        first = next(s for s in starts if offsets[s] == chosen)
        last = first + len(norm_words) - 1
        span = (offsets[first], offsets[last] + 1)
        return Reanchored(span, 0.95 if len(starts) == 1 else 0.85, "normalised")
    return _approximate(norm_words, norm_text, offsets, new_text, hint, before, after)


def _approximate(norm_words, norm_text, offsets, new_text, hint, before, after):
    size = len(norm_words)
    matcher = difflib.SequenceMatcher(None, norm_text, norm_words, autojunk=False)
    # Windows start near where a shared block puts the words' start, and are 0.7–1.5
    # times as long (words inserted or removed); the step keeps a long passage cheap.
    step = max(1, size // 20)
    candidates = set()
    for block in matcher.get_matching_blocks():
        if block.size >= max(2, size // 10):
            for shift in range(-size // 2, size // 2 + 1, step):
                candidates.add(max(0, min(len(norm_text) - 1, block.a - block.b + shift)))
    lengths = range(max(1, int(size * 0.7)), int(size * 1.5) + 2, step)
    norm_before, _ = _normalised(before)
    norm_after, _ = _normalised(after)
    best = None
    for start in candidates:
        for length in lengths:
            end = min(len(norm_text), start + max(1, length))
            ratio = difflib.SequenceMatcher(None, norm_text[start:end], norm_words).ratio()
            score = ratio
            if norm_before or norm_after:
                ctx_before = norm_text[max(0, start - len(norm_before)) : start]
                ctx_after = norm_text[end : end + len(norm_after)]
                context = difflib.SequenceMatcher(
                    None, ctx_before + "|" + ctx_after, norm_before + "|" + norm_after
                ).ratio()
                score = 0.8 * ratio + 0.2 * context
            if hint is not None:
                score -= 1e-9 * abs(offsets[start] - hint)
            if best is None or score > best[0]:
                best = (score, ratio, start, end)
    if best is None or best[1] < 0.6:
        return None
    _, ratio, start, end = best
    span = (offsets[start], offsets[end - 1] + 1)
    return Reanchored(span, round(ratio * 0.9, 3), "approximate")


def reanchor_link(
    link: StoredLink, new_text: str, side: str, old_text: str | None = None
) -> Reanchored | None:
    """The new span of one side ("original" or "translation") of a stored link in the
    new version of that text; `old_text` (the previous version) lends context."""
    if side not in ("original", "translation"):
        raise ValueError(f"side must be 'original' or 'translation', not {side!r}")
    span, words = (
        (link.original, link.original_words)
        if side == "original"
        else (link.translation, link.translation_words)
    )
    before = after = ""
    if old_text is not None:
        before = old_text[max(0, span[0] - 20) : span[0]]
        after = old_text[span[1] : span[1] + 20]
    return find_span(words, new_text, hint=span[0], before=before, after=after)
