"""A user's query, parsed once into a small tree that both backends render safely.

The syntax is the web-search one readers know (and PostgreSQL's ``websearch_to_tsquery``
accepts): words are all required, ``"quoted words"`` form a phrase, ``OR`` between two
items accepts either, a leading ``-`` excludes a word or a phrase. Everything else
(``*``, ``^``, ``:``, parentheses, ``NEAR(``, SQL fragments …) is only a separator.

Only runs of letters and digits ever reach a backend, as separate bound values (PostgreSQL)
or inside double quotes (SQLite FTS5), so no input can be a syntax error or an injection.
The input is bounded: ``MAX_QUERY_LENGTH`` characters, ``MAX_TERMS`` words, words of at most
``MAX_WORD_LENGTH`` characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 500
MAX_TERMS = 12
MAX_WORD_LENGTH = 64

# A word for the search: letters and digits only (an apostrophe or a hyphen splits it into
# a phrase, as both full-text tokenizers do).
PIECE_RE = re.compile(r"[^\W_]+")
# The raw tokens of a query: a quote mark, or a run of anything but spaces and quotes.
TOKEN_RE = re.compile(r'["“”„]|[^\s"“”„]+')
# Characters never worth keeping: NUL and the other controls (PostgreSQL refuses NUL).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Phrase:
    """Words that must occur together, in order (a single word is a one-word phrase)."""

    words: tuple[str, ...]

    def __str__(self):
        return " ".join(self.words)


@dataclass(frozen=True)
class All:
    """Every part must match."""

    parts: tuple


@dataclass(frozen=True)
class Any:
    """At least one part must match."""

    parts: tuple


@dataclass
class Query:
    """Required items (``positive``, each a Phrase, All or Any) and excluded ones."""

    raw: str = ""
    positive: list = field(default_factory=list)
    negative: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing to search for: a query needs at least one required word."""
        return not self.positive

    def words(self) -> list[str]:
        """The required words as typed (before alias expansion), for "did you mean"."""
        found: list[str] = []
        for node in self.positive:
            for phrase in phrases(node):
                found.extend(phrase.words)
        return list(dict.fromkeys(found))


def phrases(node) -> list[Phrase]:
    if isinstance(node, Phrase):
        return [node]
    return [p for part in node.parts for p in phrases(part)]


def clean(raw: str | None) -> str:
    """The query bounded and normalised: no control characters, NFKC, at most 500 chars."""
    text = CONTROL_RE.sub(" ", (raw or "")[: MAX_QUERY_LENGTH * 2])
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def split_words(text: str) -> tuple[str, ...]:
    """Lower-cased words of ``text`` (letters and digits), each at most MAX_WORD_LENGTH long."""
    return tuple(piece.lower()[:MAX_WORD_LENGTH] for piece in PIECE_RE.findall(text))


def parse(raw: str | None) -> Query:
    """Parse a user's query; never fails, whatever the input."""
    text = clean(raw)
    query = Query(raw=text)
    items: list[tuple[bool, Phrase]] = []  # (negated, phrase)
    pending_or: list[int] = []  # indexes of items joined to their predecessor by OR
    budget = MAX_TERMS
    tokens = TOKEN_RE.findall(text)
    i = 0
    while i < len(tokens) and budget > 0:
        token = tokens[i]
        negated = False
        if token.startswith("-") and token != "-":
            negated, token = True, token.lstrip("-")
        elif token == "-" and i + 1 < len(tokens) and tokens[i + 1] in '"“”„':
            negated, i, token = True, i + 1, tokens[i + 1]
        if token in '"“”„' and token:
            # A phrase runs to the next quote mark (or to the end when it is unbalanced).
            words: list[str] = []
            i += 1
            while i < len(tokens) and tokens[i] not in '"“”„':
                words.extend(split_words(tokens[i]))
                i += 1
            i += 1  # the closing quote
            words = words[:budget]
            if words:
                items.append((negated, Phrase(tuple(words))))
                budget -= len(words)
            continue
        i += 1
        if token.lower() == "or" and not negated:
            if items and not items[-1][0]:
                pending_or.append(len(items))
            continue
        words = list(split_words(token))[:budget]
        if words:
            items.append((negated, Phrase(tuple(words))))
            budget -= len(words)
    # Group the items joined by OR (only between two required items).
    groups: list[list[Phrase]] = []
    for index, (negated, phrase) in enumerate(items):
        if negated:
            query.negative.append(phrase)
            continue
        if index in pending_or and groups and index - 1 >= 0 and not items[index - 1][0]:
            groups[-1].append(phrase)
        else:
            groups.append([phrase])
    query.positive = [group[0] if len(group) == 1 else Any(tuple(group)) for group in groups]
    return query


def node_text(node) -> str:
    """The node written back in the query syntax (used for "did you mean" links)."""
    if isinstance(node, Phrase):
        return node.words[0] if len(node.words) == 1 else f'"{node}"'
    joiner = " OR " if isinstance(node, Any) else " "
    return joiner.join(node_text(part) for part in node.parts)
