"""Search: the one entry point the views, the filters and the API call.

``search(query, …)`` answers a search page from the tantivy index (``kb.search.index``)
and the database: the index gives the ranked ids, the exact count of every type and the
exact facets (theme, speaker, source, kind, year: what choosing each keeps, over all the
matches), then one database query a type fetches the page's rows, re-checking that each
is still visible (``published()``, not superseded, not boilerplate): the index follows the
database by a second or two, the re-check guards readers in between. Snippets are marked
up here from the rows' own text with the index's analyzer (``kb.search.highlight``), and
a hit matching only through a theme or its speaker says so ("matched: theme Pricing").

Queries use the web-search syntax (``kb.search.query``) widened by the editors' aliases
(``kb.search.aliases``); a word with no exact hits is searched fuzzily and the results say
what they show (``SearchResults.corrected``). ``filter_quotes`` is the same search as a
filter of a quote queryset (the quote list's and the API's ``q``); ``related_quotes`` and
``related_passages`` are "more like this" from the same index.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from kb.search import documents
from kb.search.aliases import alias_map, expand, expand_terms
from kb.search.highlight import Matcher, edit_distance, highlight
from kb.search.query import (
    MAX_QUERY_LENGTH,
    MAX_TERMS,
    Compiler,
    Phrase,
    Query,
    parse,
    phrases,
    prefix_terms,
    query_text,
)

__all__ = [
    "FACETS",
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "TYPES",
    "Facet",
    "Hit",
    "SearchResults",
    "SearchUnavailable",
    "expand_terms",
    "filter_quotes",
    "parse",
    "related_passages",
    "related_quotes",
    "search",
]

TYPES = documents.TYPES
TYPE_LABELS = {
    "quote": ("quote", "quotes"),
    "passage": ("passage", "passages"),
    "principle": ("principle", "principles"),
    "source": ("source", "sources"),
}
FACETS = ("theme", "speaker", "source", "kind", "year")
FACET_LABELS = {
    "theme": "Themes",
    "speaker": "Speakers",
    "source": "Sources",
    "kind": "Kinds of source",
    "year": "Years",
}
# Buckets asked of the index for each facet: more than any facet has values (themes and
# speakers are curated, sources a few thousand), so the counts are exact, not the top of
# each segment's list.
FACET_BUCKETS = 5_000
# Values of a facet the page shows (the active one always), the years all.
FACET_SHOWN = 12
YEARS_SHOWN = 100
# The quote list's ``q`` keeps this many best matches (the list pages through 1,000 at
# most: kb.views.common).
FILTER_LIMIT = 10_000
# Words this short are never searched fuzzily (too many neighbours).
FUZZY_MIN_LENGTH = 4
SNIPPET_CHARS = 320
# The hits read for the word a misspelt one was taken for.
CORRECTION_HITS = 12
RELATED_TERMS = 25


class SearchUnavailable(Exception):
    """The index is missing or being rebuilt: the page says so (503), never a 500."""


def _open_searcher():
    from kb.search import index

    try:
        return index.open_searcher()
    except index.SearchUnavailable as exc:
        raise SearchUnavailable(str(exc)) from exc


@cache
def _schema():
    return documents.build_schema()


# --- Results -------------------------------------------------------------------------------


@dataclass
class Hit:
    """One result: enough for a page, the API and a link to the exact place.

    ``snippet`` is the hit's text with ``<mark>`` around the matched words (escaped, only
    that markup); ``matched`` says why a hit matched when its text shows no matched word
    ("theme Pricing"). The row itself (``obj``) is never changed."""

    type: str
    id: int
    title: str
    title_html: SafeString
    snippet: SafeString
    url: str
    source: str | None  # the source's slug
    passage: int | None  # the passage's id
    rank: float
    obj: object  # the Quote, Passage, Principle or Source
    matched: str = ""


@dataclass
class Facet:
    """A value of a facet and how many matches choosing it keeps (of the types the
    facets were counted for: every type on the "All" tab, the tab's own on a tab)."""

    field: str
    slug: str  # the value in the query string
    name: str
    count: int
    active: bool = False


@dataclass
class SearchResults:
    query: str  # the query as searched (cleaned and bounded)
    parsed: Query
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    # The query as searched when a misspelt word was searched fuzzily ("Showing results
    # for sincerity"), else None.
    corrected: str | None = None
    theme: object = None
    speaker: object = None
    source: object = None
    kind: str | None = None
    year: int | None = None
    unknown: dict[str, str] = field(default_factory=dict)  # filter: the value not found
    runner: _Runner | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def is_empty(self) -> bool:
        """True when there was nothing to search for (no required word)."""
        return self.parsed.is_empty

    @property
    def filtered(self) -> bool:
        return any(getattr(self, name) is not None for name in FACETS)

    @property
    def filters(self) -> list[tuple[str, str]]:
        """The active filters as (facet, shown value), for the page's chips."""
        out = []
        for name in FACETS:
            value = getattr(self, name)
            if value is not None:
                label = getattr(value, "name", None) or getattr(value, "title", None)
                if name == "kind":
                    label = _kind_label(value)
                out.append((name, str(label or value)))
        return out

    @property
    def hits(self) -> list[Hit]:
        return [hit for kind in TYPES for hit in self.groups.get(kind, [])]

    def more(self, kind: str, offset: int, limit: int) -> list[Hit]:
        """Hits ``offset`` to ``offset + limit`` of one type, in rank order."""
        if self.runner is None or limit <= 0 or not self.counts.get(kind):
            return []
        return self.runner.hits(kind, offset, limit)

    def sequence(self, types=TYPES) -> HitSequence:
        """The hits of ``types`` one type after the other, sliceable (for a Paginator)."""
        return HitSequence(self, tuple(types))


class HitSequence:
    """A lazy list of hits: ``count()`` from the counts, slices fetched when asked for."""

    def __init__(self, results: SearchResults, types: tuple[str, ...]):
        self.results, self.types = results, types

    def count(self) -> int:
        return sum(self.results.counts.get(kind, 0) for kind in self.types)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if isinstance(item, int):
            found = self[item : item + 1]
            if not found:
                raise IndexError(item)
            return found[0]
        start, stop, _ = item.indices(self.count())
        hits: list[Hit] = []
        offset = start
        for kind in self.types:
            wanted = stop - start - len(hits)
            if wanted <= 0:
                break
            available = self.results.counts.get(kind, 0)
            if offset >= available:
                offset -= available
                continue
            hits.extend(self.results.more(kind, offset, wanted))
            offset = 0
        return hits


def _kind_label(value: str) -> str:
    from kb.models import Source

    return dict(Source.Kind.choices).get(value, value)


# --- What readers may see ------------------------------------------------------------------


def visible(kind: str) -> QuerySet:
    """The rows of ``kind`` a search may show: the re-check of every hit of the index."""
    from kb.models import Passage, Principle, Quote, Source

    if kind == "quote":
        return Quote.objects.published()
    if kind == "passage":
        return Passage.objects.public().filter(source__superseded_by__isnull=True)
    if kind == "principle":
        return Principle.objects.published()
    if kind == "source":
        return Source.objects.current()
    raise ValueError(f"Unknown search type {kind!r}: use one of {', '.join(TYPES)}.")


def _with_related(kind: str, queryset: QuerySet) -> QuerySet:
    """What a hit shows, loaded in a fixed number of queries (never whole source texts)."""
    from django.db.models import Prefetch

    from kb.models import Theme

    if kind == "quote":
        return queryset.with_related().defer("source__text", "passage__text")
    if kind == "passage":
        return queryset.select_related("source", "speaker").defer("source__text")
    if kind == "principle":
        themes = Prefetch("themes", queryset=Theme.objects.order_by("name"))
        return queryset.prefetch_related(themes, "claims")
    return queryset.defer("text")


# --- Running a search ----------------------------------------------------------------------


class _Runner:
    """A parsed, expanded query bound to a searcher and filters."""

    def __init__(self, searcher, query: Query, *, fuzzy: dict, filters: dict):
        self.searcher, self.query, self.filters = searcher, query, filters
        self.schema = _schema()
        self.compiler = Compiler(self.schema, fuzzy)
        self.matcher = Matcher(query, fuzzy)

    def conditions(self, *, kind: str | None = None, without: str | None = None) -> list:
        import tantivy

        out = []
        if kind is not None:
            out.append(tantivy.Query.term_query(self.schema, "type", kind))
        for name, value in self.filters.items():
            if name != without:
                out.append(tantivy.Query.term_query(self.schema, name, value))
        return out

    def type_query(self, kind: str, *, without: str | None = None):
        return self.compiler.query(
            self.query, documents.BOOSTS[kind], self.conditions(kind=kind, without=without)
        )

    def any_query(self, kinds=TYPES, *, without: str | None = None):
        """Matches of any of ``kinds``, unscored (counts and facets): the query over every
        searched field at once, which matches what each type's own does, as a document
        holds only its type's fields (a quote has no title)."""
        import tantivy

        conditions = self.conditions(without=without)
        if set(kinds) != set(TYPES):
            conditions.append(tantivy.Query.term_set_query(self.schema, "type", list(kinds)))
        return self.compiler.query(self.query, EVERY_FIELD, conditions)

    def counts_and_facets(self, facet_types) -> tuple[dict[str, int], dict]:
        """The matches of every type, exact, and for the most frequent values of each facet
        how many matches of ``facet_types`` choosing it keeps (the other filters applied):
        ``{facet: {value: n}}``, most first."""
        counts = dict.fromkeys(TYPES, 0)
        found: dict[str, dict] = {name: {} for name in FACETS}
        wanted = FACETS if facet_types else ()
        whole = set(facet_types) == set(TYPES)
        plain = [name for name in wanted if name not in self.filters]
        query = self.any_query()
        if query is None:
            return counts, found
        # One aggregation for the counts (and, on the "All" tab, the facets not filtered
        # on); one for a tab's facets over its type; one more for each facet filtered on,
        # without its own filter (choosing another value replaces it).
        spec = {"type": {"terms": {"field": "type", "size": len(TYPES)}}}
        if whole:
            spec |= _facet_aggs(plain)
        result = self.searcher.aggregate(query, spec)
        for bucket in result["type"]["buckets"]:
            counts[bucket["key"]] = bucket["doc_count"]
        runs = [(None, plain)] if plain and not whole else []
        runs += [(name, [name]) for name in wanted if name in self.filters]
        answers = [(plain, result)] if whole else []
        for without, names in runs:
            narrowed = self.any_query(facet_types, without=without)
            if narrowed is not None:
                answers.append((names, self.searcher.aggregate(narrowed, _facet_aggs(names))))
        for names, answer in answers:
            for name in names:
                for value in answer.get(name, {}).get("buckets", []):
                    found[name][value["key"]] = value["doc_count"]
        return counts, found

    def ranked(self, kind: str, offset: int, limit: int) -> list[tuple[int, float]]:
        query = self.type_query(kind)
        if query is None or limit <= 0:
            return []
        result = self.searcher.search(query, limit=limit, offset=offset, count=False)
        addresses = [address for _, address in result.hits]
        ids = self.searcher.fast_field_values("id", addresses) if addresses else []
        return [(int(pk), float(score)) for pk, (score, _) in zip(ids, result.hits, strict=True)]

    def hits(self, kind: str, offset: int, limit: int) -> list[Hit]:
        """Hits ``offset`` to ``offset + limit`` of ``kind``: ranked by the index, the rows
        fetched (and re-checked) in one query."""
        ranked = self.ranked(kind, offset, limit)
        rows = _with_related(kind, visible(kind)).in_bulk([pk for pk, _ in ranked])
        return [_hit(kind, rows[pk], rank, self.matcher) for pk, rank in ranked if pk in rows]


EVERY_FIELD = dict.fromkeys(documents.TEXT_FIELDS, 1.0)


def _facet_aggs(names) -> dict:
    """The facets' most frequent values. Each segment ranks FACET_BUCKETS values (more
    than a facet has but for sources at scale), so the counts of the values shown are
    exact. (A sub-aggregation by type under each would cost five times as much.)"""
    return {
        name: {
            "terms": {
                "field": name,
                "size": YEARS_SHOWN if name == "year" else FACET_SHOWN,
                "segment_size": FACET_BUCKETS,
            }
        }
        for name in names
    }


def _marked(text: str, matcher: Matcher, limit: int | None = SNIPPET_CHARS):
    return highlight(text or "", matcher, limit=limit)


def _why(matcher: Matcher, **named: list[str]) -> str:
    """ "theme Pricing" when one of ``named``'s values has a matched word."""
    for label, values in named.items():
        for value in values:
            if value and matcher.matches_in(value):
                return f"{label} {value}"
    return ""


def _hit(kind: str, row, rank: float, matcher: Matcher) -> Hit:
    if kind == "quote":
        snippet, found = _marked(row.text, matcher, limit=None)
        speaker = [row.speaker.name, *row.speaker.other_names] if row.speaker else []
        why = (
            ""
            if found
            else _why(matcher, theme=[t.name for t in row.themes.all()], speaker=speaker)
        )
        return Hit(
            kind,
            row.pk,
            Truncator(row.text).chars(100),
            snippet,
            snippet,
            row.get_absolute_url(),
            row.source.slug,
            row.passage_id,
            rank,
            row,
            why,
        )
    if kind == "passage":
        title = f"{row.source.title} ¶{row.number}"
        snippet, found = _marked(row.text, matcher)
        speaker = [row.speaker.name, *row.speaker.other_names] if row.speaker else []
        return Hit(
            kind,
            row.pk,
            title,
            escape(title),
            snippet,
            row.get_absolute_url(),
            row.source.slug,
            row.pk,
            rank,
            row,
            "" if found else _why(matcher, speaker=speaker),
        )
    if kind == "principle":
        title_html, in_title = _marked(row.title, matcher, limit=None)
        parts = [row.summary, *(claim.text for claim in row.claims.all())]
        snippet, found = mark_safe(""), False
        for text in parts:
            snippet, found = _marked(text, matcher)
            if found:
                break
        if not found:
            snippet, _ = _marked(row.summary, matcher)
        why = "" if found or in_title else _why(matcher, theme=[t.name for t in row.themes.all()])
        return Hit(
            kind,
            row.pk,
            row.title,
            title_html,
            snippet,
            row.get_absolute_url(),
            None,
            None,
            rank,
            row,
            why,
        )
    title_html, _ = _marked(row.title, matcher, limit=None)
    byline = " · ".join(p for p in (row.author, row.publisher) if p)
    snippet, found = _marked(row.notes, matcher)
    if not found and byline:
        snippet, _ = _marked(byline, matcher)
    return Hit(
        kind,
        row.pk,
        row.title,
        title_html,
        snippet,
        row.get_absolute_url(),
        row.slug,
        None,
        rank,
        row,
    )


def _resolve(name: str, value, unknown: dict):
    """The filter's value: a Theme, Person or Source from an instance or a slug (or one
    it had before a rename, as old addresses redirect), a kind, a year; an unknown value
    is reported in ``unknown`` and not applied."""
    from kb.models import Person, Source, Theme
    from kb.moved import renamed_slug

    if value is None or value == "":
        return None
    if name == "kind":
        if str(value) in dict(Source.Kind.choices):
            return str(value)
        unknown[name] = str(value)[:80]
        return None
    if name == "year":
        text = str(value).strip()
        if text.isascii() and text.isdigit() and 0 < int(text) < 10_000:
            return int(text)
        unknown[name] = str(value)[:80]
        return None
    model = {"theme": Theme, "speaker": Person, "source": Source}[name]
    if isinstance(value, model):
        return value
    slug = str(value)[:80]
    if "\x00" in slug:
        unknown[name] = slug.replace("\x00", "")
        return None
    rows = Source.objects.current() if model is Source else model.objects.all()
    if model is Person:
        rows = rows.filter(status="published")
    found = rows.filter(slug=slug).first()
    if found is None and model is not Source and (now := renamed_slug(model, slug)):
        found = rows.filter(slug=now).first()
    if found is None:
        unknown[name] = slug
    return found


def _filter_values(results: SearchResults) -> dict:
    """The active filters as index values."""
    out = {}
    for name in ("theme", "speaker", "source"):
        if (value := getattr(results, name)) is not None:
            out[name] = value.pk
    if results.kind is not None:
        out["kind"] = results.kind
    if results.year is not None:
        out["year"] = results.year
    return out


def _fuzzy_words(searcher, parsed: Query, mapping) -> dict[str, int]:
    """{word: edit distance} for each required single word the index has no exact term
    for (a typo): those are searched fuzzily."""
    out = {}
    for phrase in (p for node in parsed.positive for p in phrases(node)):
        if phrase.prefix or len(phrase.words) != 1:
            continue
        word = phrase.words[0]
        if len(word) < FUZZY_MIN_LENGTH or word.isdigit() or (word,) in mapping:
            continue
        terms, typed = documents.analyze(word), prefix_terms(word)
        if len(terms) != 1 or len(typed) != 1:
            continue  # a CJK run: a phrase of characters, not a word with a spelling
        if searcher.doc_freq(documents.WORDS_FIELD, typed[0]):
            continue
        if not any(searcher.doc_freq(name, terms[0]) for name in documents.TEXT_FIELDS):
            out[word] = 1 if len(word) <= 5 else 2
    return out


def _corrections(results: SearchResults, fuzzy: dict[str, int]) -> dict[str, str]:
    """For each fuzzily searched word, the word of the best hits nearest to it (what the
    page says it shows)."""
    seen: dict[str, Counter] = {word: Counter() for word in fuzzy}
    surfaces: Counter = Counter()
    for hit in results.hits[:CORRECTION_HITS]:
        texts = [getattr(hit.obj, name, "") or "" for name in ("text", "title", "summary")]
        texts += [theme.name for theme in _themes_of(hit.obj)]
        speaker = getattr(hit.obj, "speaker", None)
        if speaker is not None:
            texts.append(speaker.name)
        for text in texts:
            folded = documents.fold(text).lower()
            for token in documents.tokens(text):
                surfaces[folded[token.char_offset_from : token.char_offset_to]] += 1
    for surface, n in surfaces.items():
        for word, distance in fuzzy.items():
            if surface != word and edit_distance(surface, word, distance) <= distance:
                seen[word][surface] += n
    return {word: counter.most_common(1)[0][0] for word, counter in seen.items() if counter}


def _themes_of(obj) -> list:
    themes = getattr(obj, "themes", None)
    return list(themes.all()) if themes is not None else []


def search(
    query: str | None,
    *,
    types=TYPES,
    user=None,
    theme=None,
    speaker=None,
    source=None,
    kind=None,
    year=None,
    limit: int = 5,
    offset: int = 0,
    facets: bool | tuple[str, ...] = True,
    fuzzy: bool = True,
) -> SearchResults:
    """Search everything readers may see for ``query``.

    ``counts`` are exact for every type; ``groups`` hold the hits ``offset`` to
    ``offset + limit`` of each of ``types`` (more with ``results.more`` or
    ``results.sequence``). ``theme``, ``speaker`` and ``source`` are instances or slugs,
    ``kind`` a source kind, ``year`` a year: a value not found is listed in
    ``results.unknown`` and not applied. ``facets``: True counts what each facet value
    keeps of every type, a tuple of types of those only (a type's tab), False none.
    ``fuzzy``: a word with no exact hit is searched fuzzily (``results.corrected``).
    Any string is a valid query. Raises ``SearchUnavailable`` when the index is missing
    or being rebuilt. ``user`` is accepted for the callers' sake: the index holds only
    what every reader may see (drafts are found in the admin).
    """
    del user
    types = tuple(types)
    facet_types = TYPES if facets is True else tuple(facets or ())
    for name in types + facet_types:
        if name not in TYPES:
            raise ValueError(f"Unknown search type {name!r}: use one of {', '.join(TYPES)}.")
    parsed = parse(query)
    results = SearchResults(query=parsed.raw, parsed=parsed)
    given = {"theme": theme, "speaker": speaker, "source": source, "kind": kind, "year": year}
    for name, value in given.items():
        setattr(results, name, _resolve(name, value, results.unknown))
    if parsed.is_empty:
        return results
    searcher = _open_searcher()
    mapping = alias_map()
    typos = _fuzzy_words(searcher, parsed, mapping) if fuzzy else {}
    runner = _Runner(
        searcher, expand(parsed, mapping), fuzzy=typos, filters=_filter_values(results)
    )
    results.runner = runner
    results.counts, found = runner.counts_and_facets(facet_types)
    for name in types:
        results.groups[name] = runner.hits(name, offset, limit) if results.counts[name] else []
    if facet_types and results.total:
        results.facets = _facets(results, found, facet_types)
    if typos and results.total:
        fixes = _corrections(results, typos)
        corrected = Query(
            raw=parsed.raw,
            positive=[_replace(node, fixes) for node in parsed.positive],
            negative=parsed.negative,
        )
        results.corrected = query_text(corrected) if fixes else None
    return results


def _replace(node, fixes: dict[str, str]):
    if isinstance(node, Phrase):
        return Phrase(tuple(fixes.get(w, w) for w in node.words), node.prefix)
    return type(node)(tuple(_replace(part, fixes) for part in node.parts))


def _facets(results: SearchResults, found: dict[str, dict], facet_types) -> dict[str, list[Facet]]:
    """Each facet's values, named from the database (one query per facet shown); the
    value filtered on always among them (what it keeps is what the search found)."""
    from kb.models import Person, Source, Theme

    out: dict[str, list[Facet]] = {}
    for name, values in found.items():
        active = getattr(results, name)
        if active is not None:
            key = active.pk if name in ("theme", "speaker", "source") else active
            if key not in values:
                values[key] = sum(n for t, n in results.counts.items() if t in facet_types)
        if not values:
            continue
        if name in ("theme", "speaker", "source"):
            model = {"theme": Theme, "speaker": Person, "source": Source}[name]
            rows = model.objects.filter(pk__in=list(values))
            if model is Person:
                rows = rows.filter(status="published")
            label = "title" if model is Source else "name"
            named = {pk: (slug, text) for pk, slug, text in rows.values_list("pk", "slug", label)}
            facets = [
                Facet(name, slug, text, values[pk], active is not None and active.pk == pk)
                for pk, (slug, text) in named.items()
            ]
        elif name == "kind":
            facets = [
                Facet(name, value, _kind_label(value), by, value == active)
                for value, by in values.items()
            ]
        else:
            facets = [
                Facet(name, str(value), str(value), by, value == active)
                for value, by in values.items()
            ]
        if name == "year":
            facets.sort(key=lambda f: -int(f.slug))
        else:
            facets.sort(key=lambda f: (-f.count, f.name.lower()))
        shown = facets[:FACET_SHOWN]
        shown += [f for f in facets[FACET_SHOWN:] if f.active]
        out[name] = shown
    return out


def filter_quotes(queryset: QuerySet, raw: str) -> QuerySet:
    """The quotes of ``queryset`` matching ``raw`` (the same search as ``search``), at most
    FILTER_LIMIT of the best. A query with no word leaves the queryset as it is; one with
    only excluded words removes the quotes that have them. The queryset's order is kept.
    Raises ``SearchUnavailable`` as ``search`` does."""
    import tantivy

    parsed = parse(raw)
    if parsed.is_empty and not parsed.negative:
        return queryset
    searcher = _open_searcher()
    mapping = alias_map()
    expanded = expand(parsed, mapping)
    compiler = Compiler(_schema())
    boosts = documents.BOOSTS["quote"]
    is_quote = tantivy.Query.term_query(_schema(), "type", "quote")
    if parsed.is_empty:
        excluded = Query(positive=[node for node in expanded.negative])
        compiled = compiler.query(excluded, boosts, [is_quote])
        if compiled is None:
            return queryset
        return queryset.exclude(pk__in=_id_list(_all_ids(searcher, compiled)))
    compiled = compiler.query(expanded, boosts, [is_quote])
    if compiled is None:
        return queryset.none()
    return queryset.filter(pk__in=_id_list(_all_ids(searcher, compiled, FILTER_LIMIT)))


def _id_list(ids: list[int]) -> RawSQL:
    """The ids as one bound value the database unpacks: thousands of ids cost Django
    tens of milliseconds as an IN list of parameters, and the query is written twice
    (the page and its count)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def _all_ids(searcher, query, limit: int | None = None) -> list[int]:
    # tantivy panics on a limit of 0: count with one.
    count = searcher.search(query, limit=1, count=True).count if limit is None else limit
    if not count:
        return []
    result = searcher.search(query, limit=count, count=False)
    addresses = [address for _, address in result.hits]
    return [int(pk) for pk in searcher.fast_field_values("id", addresses)]


# --- More like this ------------------------------------------------------------------------


def _like(kind: str, texts: dict[str, list[str]], exclude: int, limit: int) -> list[int]:
    import tantivy

    searcher = _open_searcher()
    schema = _schema()
    fields = {
        name: [documents.fold(text) for text in values if text]
        for name, values in texts.items()
        if any(values)
    }
    if not fields:
        return []
    like = tantivy.Query.more_like_this_document_fields_query(
        schema,
        fields,
        min_doc_frequency=1,
        min_term_frequency=1,
        max_query_terms=RELATED_TERMS,
        min_word_length=2,
    )
    query = tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Must, like),
            (tantivy.Occur.Must, tantivy.Query.term_query(schema, "type", kind)),
            (tantivy.Occur.MustNot, tantivy.Query.term_query(schema, "id", exclude)),
        ]
    )
    result = searcher.search(query, limit=limit * 2, count=False)
    addresses = [address for _, address in result.hits]
    return [int(pk) for pk in searcher.fast_field_values("id", addresses)] if addresses else []


def _in_order(queryset: QuerySet, ids: list[int], limit: int) -> list:
    rows = queryset.in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows][:limit]


def related_quotes(quote, limit: int = 5) -> list:
    """Published quotes saying most nearly what ``quote`` says ("more like this" on the
    quotes' words and themes), best first; [] when the index is unavailable."""
    themes = [theme.name for theme in quote.themes.all()]
    try:
        ids = _like("quote", {"text": [quote.text], "themes": themes}, quote.pk, limit)
    except SearchUnavailable:
        return []
    return _in_order(_with_related("quote", visible("quote")), ids, limit)


def related_passages(passage, limit: int = 5) -> list:
    """Passages readers see saying most nearly what ``passage`` says, best first (other
    sources' too); [] when the index is unavailable."""
    try:
        ids = _like("passage", {"text": [passage.text]}, passage.pk, limit)
    except SearchUnavailable:
        return []
    return _in_order(_with_related("passage", visible("passage")), ids, limit)
