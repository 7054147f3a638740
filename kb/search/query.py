"""A user's query, parsed once into a small tree, then compiled into a tantivy query.

The syntax is the web-search one readers know: words are all required, ``"quoted words"``
form a phrase, ``OR`` between two items accepts either, a leading ``-`` excludes a word or
a phrase, a trailing ``*`` makes a word a prefix (``pric*``: price, pricing). Everything
else (``^``, ``:``, parentheses, ``NEAR(``, SQL or tantivy syntax …) is only a separator:
the tree is built into tantivy ``Query`` objects directly, never into query text, so no
input can be a syntax error or an injection. The input is bounded: ``MAX_QUERY_LENGTH``
characters, ``MAX_TERMS`` words, words of at most ``MAX_WORD_LENGTH`` characters.

Words go through the index's own analyzer (``kb.search.documents.analyze``): folded
(traditional Chinese to simplified), lower-cased, stemmed; a run of CJK characters becomes
a phrase of its characters, as the index holds them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 500
MAX_TERMS = 12
MAX_WORD_LENGTH = 64
# The index terms one phrase may become (a long run of CJK characters is a term each).
MAX_PHRASE_TERMS = 32
# A prefix shorter than this is searched as a word ("a*" would match nearly everything).
MIN_PREFIX = 2

# A word for the search: letters and digits only (an apostrophe or a hyphen splits it into
# a phrase, as the index's tokenizer does).
PIECE_RE = re.compile(r"[^\W_]+")
# The raw tokens of a query: a quote mark, or a run of anything but spaces and quotes.
TOKEN_RE = re.compile(r'["“”„]|[^\s"“”„]+')
QUOTES = '"“”„'
# Characters never worth keeping: NUL and the other controls (PostgreSQL refuses NUL).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Phrase:
    """Words that must occur together, in order (a single word is a one-word phrase);
    ``prefix``: the last word is a prefix (``pric*``)."""

    words: tuple[str, ...]
    prefix: bool = False

    def __str__(self):
        return " ".join(self.words) + ("*" if self.prefix else "")


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
        """The required words as typed (before alias expansion)."""
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
    """Lower-cased words of ``text`` (letters and digits), each at most MAX_WORD_LENGTH
    long, traditional Chinese folded to simplified (雷軍 and 雷军 are one word)."""
    from kb.search.documents import fold

    return tuple(fold(piece.lower()[:MAX_WORD_LENGTH]) for piece in PIECE_RE.findall(text))


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
        elif token == "-" and i + 1 < len(tokens) and tokens[i + 1] in QUOTES:
            negated, i, token = True, i + 1, tokens[i + 1]
        if token and token in QUOTES:
            # A phrase runs to the next quote mark (or to the end when it is unbalanced).
            words: list[str] = []
            i += 1
            while i < len(tokens) and tokens[i] not in QUOTES:
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
            prefix = token.rstrip().endswith("*") and len(words[-1]) >= MIN_PREFIX
            items.append((negated, Phrase(tuple(words), prefix=prefix)))
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
    """The node written back in the query syntax ("Showing results for …" links)."""
    if isinstance(node, Phrase):
        star = "*" if node.prefix else ""
        return node.words[0] + star if len(node.words) == 1 else f'"{node}"'
    joiner = " OR " if isinstance(node, Any) else " "
    return joiner.join(node_text(part) for part in node.parts)


def query_text(query: Query) -> str:
    """The whole query written back in the query syntax."""
    pieces = [node_text(node) for node in query.positive]
    pieces += ["-" + node_text(node) for node in query.negative]
    return " ".join(pieces)


# --- Compiling into tantivy ----------------------------------------------------------------


def phrase_terms(phrase: Phrase) -> tuple[list[str], str | None]:
    """The index terms of a phrase, and the prefix its last word is (unstemmed), if any."""
    from kb.search.documents import analyze

    words = phrase.words[:-1] if phrase.prefix else phrase.words
    terms = analyze(" ".join(words))[:MAX_PHRASE_TERMS] if words else []
    prefix = None
    if phrase.prefix:
        last = prefix_terms(phrase.words[-1])
        if len(last) == 1:
            prefix = last[0]
        else:  # a CJK run ending in *: its characters but the last are a phrase
            terms, prefix = (terms + last[:-1])[:MAX_PHRASE_TERMS], last[-1] if last else None
    return terms, prefix


def prefix_terms(word: str) -> list[str]:
    """``word`` as the index's terms but unstemmed (a prefix of "pricing" is not one of
    "price")."""
    from kb.search.documents import fold, unstemmed_analyzer

    return unstemmed_analyzer().analyze(fold(word))


@dataclass
class Compiler:
    """Builds a node into a tantivy query over a type's fields, with their boosts.

    ``fuzzy``: {word: edit distance} of the words searched fuzzily (no exact hits).
    """

    schema: object
    fuzzy: dict = field(default_factory=dict)

    def field_query(self, field_name: str, phrase: Phrase):
        """The phrase in one field (a prefix after other words, a phrase or a term)."""
        import tantivy

        terms, prefix = phrase_terms(phrase)
        if prefix is not None:
            return tantivy.Query.phrase_prefix_query(self.schema, field_name, [*terms, prefix])
        if not terms:
            return None
        if len(terms) == 1:
            return tantivy.Query.term_query(self.schema, field_name, terms[0])
        return tantivy.Query.phrase_query(self.schema, field_name, terms)

    def words_query(self, phrase: Phrase):
        """A lone prefix or a misspelt word: compared with the typed words (``words``
        field, unstemmed), not with stems. None for any other phrase."""
        import tantivy

        from kb.search.documents import WORDS_FIELD

        if len(phrase.words) != 1:
            return None
        word = phrase.words[0]
        if phrase.prefix:
            terms = prefix_terms(word)
            if len(terms) == 1:
                return tantivy.Query.fuzzy_term_query(
                    self.schema, WORDS_FIELD, terms[0], 0, True, True
                )
            return None
        distance = self.fuzzy.get(word)
        terms = prefix_terms(word) if distance else []
        if len(terms) == 1:
            return tantivy.Query.fuzzy_term_query(
                self.schema, WORDS_FIELD, terms[0], distance, True
            )
        return None

    def node(self, node, boosts: dict[str, float]):
        """The node over the fields in ``boosts`` (None when it can match nothing)."""
        import tantivy

        if isinstance(node, Phrase):
            if (special := self.words_query(node)) is not None:
                if not node.prefix:
                    return tantivy.Query.boost_query(special, max(boosts.values()))
                # A prefix in each field too (as typed: "pric" is a prefix of the stem
                # "price"), for the fields' boosts; the typed words catch the rest.
                terms = prefix_terms(node.words[0])
                options = [
                    tantivy.Query.boost_query(
                        tantivy.Query.fuzzy_term_query(self.schema, name, terms[0], 0, True, True),
                        boost,
                    )
                    for name, boost in boosts.items()
                ]
                return _any([*options, tantivy.Query.boost_query(special, 0.5)])
            options = []
            for field_name, boost in boosts.items():
                query = self.field_query(field_name, node)
                if query is not None:
                    options.append(tantivy.Query.boost_query(query, boost))
            return _any(options)
        parts = [self.node(part, boosts) for part in node.parts]
        if isinstance(node, Any):
            return _any([p for p in parts if p is not None])
        if any(p is None for p in parts):
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, p) for p in parts])

    def query(self, query: Query, boosts: dict[str, float], filters=()):
        """The whole query: every positive node, no negative one, and ``filters``
        (tantivy queries every hit must match, not scored). None when it matches nothing."""
        import tantivy

        clauses = []
        for node in query.positive:
            compiled = self.node(node, boosts)
            if compiled is None:
                return None
            clauses.append((tantivy.Occur.Must, compiled))
        for node in query.negative:
            compiled = self.node(node, dict.fromkeys(boosts, 1.0))
            if compiled is not None:
                clauses.append((tantivy.Occur.MustNot, compiled))
        for condition in filters:
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(condition, 0.0)))
        if not clauses:
            return None
        return tantivy.Query.boolean_query(clauses)


def _any(options: list):
    import tantivy

    if not options:
        return None
    if len(options) == 1:
        return options[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in options])
