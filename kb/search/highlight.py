"""Highlights: a hit's own text with ``<mark>`` around the words the query matched.

The text is the row's, read from the database (the index stores no text): it is cut into
tokens by the index's own analyzer (``kb.search.documents.tokens``, with character
offsets), so a word is marked exactly when the index matched it: stems ("pricing" for
``price``), folded characters (雷軍 for ``雷军``), prefixes, the aliases the query was
widened with, and a phrase only where its words stand together.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kb.search import documents
from kb.search.query import Phrase, Query, phrase_terms, phrases


@lru_cache(maxsize=65_536)
def edit_distance(a: str, b: str, bound: int) -> int:
    """Levenshtein distance of ``a`` and ``b`` (transpositions count one), or ``bound`` + 1
    when it is larger."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        if min(row) > bound:
            return bound + 1
        previous2, previous = previous, row
    return previous[-1]


class Matcher:
    """Which tokens of a text the query matched (its positive words, not the excluded)."""

    def __init__(self, query: Query, fuzzy: dict[str, int] | None = None):
        self.terms: set[str] = set()
        self.sequences: set[tuple[str, ...]] = set()
        self.prefixes: list[tuple[tuple[str, ...], str]] = []
        self.fuzzy: list[tuple[str, int]] = []
        fuzzy = fuzzy or {}
        for node in query.positive:
            for phrase in phrases(node):
                self._add(phrase, fuzzy)

    def _add(self, phrase: Phrase, fuzzy: dict[str, int]) -> None:
        terms, prefix = phrase_terms(phrase)
        if prefix is not None:
            self.prefixes.append((tuple(terms), prefix))
            return
        if len(phrase.words) == 1 and phrase.words[0] in fuzzy:
            self.fuzzy.append((phrase.words[0], fuzzy[phrase.words[0]]))
        if len(terms) == 1:
            self.terms.add(terms[0])
        elif terms:
            self.sequences.add(tuple(terms))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) character offsets of the matched words in ``text``."""
        tokens = documents.tokens(text)
        terms = [token.text for token in tokens]
        surfaces = None
        if self.prefixes or self.fuzzy:
            folded = documents.fold(text).lower()
            surfaces = [folded[t.char_offset_from : t.char_offset_to] for t in tokens]
        spans: list[tuple[int, int]] = []
        for i, token in enumerate(tokens):
            if token.text in self.terms or any(
                edit_distance(surfaces[i], word, d) <= d for word, d in self.fuzzy
            ):
                spans.append((token.char_offset_from, token.char_offset_to))
                continue
            for sequence in self.sequences:
                n = len(sequence)
                if tuple(terms[i : i + n]) == sequence:
                    spans.append((token.char_offset_from, tokens[i + n - 1].char_offset_to))
            for before, prefix in self.prefixes:
                n = len(before)
                if i + n >= len(tokens) or tuple(terms[i : i + n]) != before:
                    continue
                last = tokens[i + n]
                if last.text.startswith(prefix) or surfaces[i + n].startswith(prefix):
                    spans.append((token.char_offset_from, last.char_offset_to))
        return _merged(spans)

    def matches_in(self, text: str) -> bool:
        return bool(self.spans(text))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def highlight(text: str, matcher: Matcher, *, limit: int | None = None) -> tuple[SafeString, bool]:
    """``text`` escaped with ``<mark>`` around the matched words, cut to about ``limit``
    characters around the first match (None: whole); and whether anything matched."""
    spans = matcher.spans(text)
    start, end = 0, len(text)
    if limit is not None and len(text) > limit:
        first = spans[0][0] if spans else 0
        start = max(0, first - limit // 3)
        if start:
            space = text.find(" ", start, first) if first > start else -1
            start = space + 1 if space != -1 else start
        end = min(len(text), start + limit)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start else end
    pieces = ["…"] if start else []
    at = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        pieces += [str(escape(text[at:s])), "<mark>", str(escape(text[s:e])), "</mark>"]
        at = e
    pieces.append(str(escape(text[at:end])))
    if end < len(text):
        pieces.append("…")
    return mark_safe("".join(pieces)), bool(spans)  # noqa: S308 - every text piece is escaped
