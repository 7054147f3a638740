"""Query expansion with the editors' search aliases (Millet ⇄ Xiaomi, "lei jun" → "Lei Jun").

An alias maps a term (one word or several) to what it means; ``two_way`` aliases also map
the meaning back to the term. A query's word, phrase or run of consecutive words equal to a
term (ignoring case and punctuation) then matches the term *or* its meanings.
"""

from __future__ import annotations

from kb.models import SearchAlias
from kb.search.query import All, Any, Phrase, Query, split_words

# At most this many meanings are added to one word or phrase, so the query stays small.
MAX_VARIANTS = 4
# The longest alias term (in words) looked for across consecutive words of a query.
MAX_ALIAS_WORDS = 4


def alias_map() -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Every alias as ``{term words: [meaning words, …]}`` (both ways for two-way ones)."""
    mapping: dict[tuple[str, ...], list[tuple[str, ...]]] = {}

    def add(term: str, means: str) -> None:
        key, value = split_words(term), split_words(means)
        if key and value and key != value and value not in mapping.setdefault(key, []):
            mapping[key].append(value)

    for term, means, two_way in SearchAlias.objects.values_list("term", "means", "two_way"):
        add(term, means)
        if two_way:
            add(means, term)
    return mapping


def expand_terms(term: str, mapping: dict | None = None) -> list[str]:
    """The term and what the alias table says it means (and, for two-way aliases, the reverse)."""
    mapping = alias_map() if mapping is None else mapping
    variants = [term] + [" ".join(v) for v in mapping.get(split_words(term), [])]
    seen: set[str] = set()
    return [v for v in variants if not (v.lower() in seen or seen.add(v.lower()))]


def _variants(phrase: Phrase, mapping) -> list[Phrase]:
    return [Phrase(words) for words in mapping.get(phrase.words, [])[:MAX_VARIANTS]]


def _expand_node(node, mapping):
    if isinstance(node, Phrase):
        variants = _variants(node, mapping)
        return Any((node, *variants)) if variants else node
    return type(node)(tuple(_expand_node(part, mapping) for part in node.parts))


def expand(query: Query, mapping: dict | None = None) -> Query:
    """The query with every item widened by its aliases: a required word finds its
    aliases too, and an excluded one excludes them too ("-xiaomi" also leaves out the
    "Millet" the translations write for it)."""
    mapping = alias_map() if mapping is None else mapping
    negative = [_expand_node(node, mapping) for node in query.negative]
    if not mapping or query.is_empty:
        return Query(raw=query.raw, positive=list(query.positive), negative=negative)
    positive: list = []
    items = list(query.positive)
    i = 0
    while i < len(items):
        merged = None
        # A run of single words equal to a multi-word alias term ("word of mouth").
        for size in range(min(MAX_ALIAS_WORDS, len(items) - i), 1, -1):
            run = items[i : i + size]
            if not all(isinstance(n, Phrase) and len(n.words) == 1 for n in run):
                continue
            key = tuple(n.words[0] for n in run)
            if key in mapping:
                expanded = All(tuple(_expand_node(n, mapping) for n in run))
                merged = Any((expanded, *_variants(Phrase(key), mapping)))
                i += size
                break
        if merged is None:
            merged = _expand_node(items[i], mapping)
            i += 1
        positive.append(merged)
    return Query(raw=query.raw, positive=positive, negative=negative)
