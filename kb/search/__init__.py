"""Search: the one entry point the views, the filters and the API call.

``search(query, …)`` runs a ranked full-text search over quotes, passages, principles and
sources and returns a ``SearchResults`` (per-type counts, ranked hits with highlighted
snippets, theme and speaker facets, a "did you mean" suggestion). ``filter_quotes`` is the
same search as a filter of a quote queryset (the quote list's and the API's ``q``).

The backend follows ``connection.vendor``: PostgreSQL (weighted tsvector columns, GIN
indexes, ts_rank, ts_headline, pg_trgm) or SQLite (FTS5 tables, bm25, snippet()). Both keep
their index in sync with database triggers, created by the ``kb`` migration and re-created
after every ``migrate`` if a table rebuild dropped them; ``rebuild_search_index`` rebuilds
everything. Queries use the web-search syntax (see ``kb.search.query``) widened by the
editors' aliases (``kb.search.aliases``).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import F, QuerySet
from django.db.models.signals import post_migrate
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from kb.search import postgres, sqlite
from kb.search.aliases import alias_map, expand, expand_terms
from kb.search.query import (
    MAX_QUERY_LENGTH,
    MAX_TERMS,
    Phrase,
    Query,
    node_text,
    parse,
)

__all__ = [
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "TYPES",
    "Facet",
    "Hit",
    "SearchResults",
    "clear_index",
    "ensure_index",
    "expand_terms",
    "filter_quotes",
    "install_index",
    "markup",
    "parse",
    "query_terms",
    "rebuild_index",
    "search",
]

TYPES = ("quote", "passage", "principle", "source")
TYPE_LABELS = {
    "quote": ("quote", "quotes"),
    "passage": ("passage", "passages"),
    "principle": ("principle", "principles"),
    "source": ("source", "sources"),
}
# Markers the backends put around matched words: private-use characters no text contains.
START, STOP = "\ue000\ue001", "\ue001\ue000"
MARK_RE = re.compile(f"({re.escape(START)}|{re.escape(STOP)})")
SUGGEST_WORDS = 5


def backend(connection=None):
    """The module implementing search for ``connection``'s vendor."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    return postgres if connection.vendor == "postgresql" else sqlite


def markup(raw: str | None) -> SafeString:
    """Text with backend markers as HTML: the text escaped, only ``<mark>`` as markup."""
    out, open_ = [], False
    for piece in MARK_RE.split(raw or ""):
        if piece == START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif piece == STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        elif piece:
            out.append(str(escape(piece)))
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - every piece of text is escaped above


def _marked(raw: str | None) -> bool:
    return bool(raw) and START in raw


# --- Results -------------------------------------------------------------------------------


@dataclass
class Hit:
    """One result: enough for a page, the API and a link to the exact place."""

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


@dataclass
class Facet:
    """A theme or speaker and how many matches of each type choosing it keeps."""

    slug: str
    name: str
    by_type: dict[str, int]
    active: bool = False

    @property
    def count(self) -> int:
        """What choosing it keeps of the types counted (all of them on the "All" tab)."""
        return sum(self.by_type.values())


@dataclass
class SearchResults:
    query: str  # the query as searched (cleaned and bounded)
    parsed: Query
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    facets: dict[str, list[Facet]] = field(default_factory=lambda: {"theme": [], "speaker": []})
    suggestion: str | None = None
    theme: object = None
    speaker: object = None
    unknown: dict[str, str] = field(default_factory=dict)  # filter: the slug not found
    capped: set[str] = field(default_factory=set)  # types with more matches than counted
    facets_sampled: bool = False  # facets counted in the first FACET_SAMPLE matches a type
    runner: _Runner | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def facet_sample(self) -> int:
        return FACET_SAMPLE

    @property
    def total_capped(self) -> bool:
        """True when ``total`` is a lower bound (a type had more matches than counted)."""
        return bool(self.capped)

    @property
    def is_empty(self) -> bool:
        """True when there was nothing to search for (no required word)."""
        return self.parsed.is_empty

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

    @property
    def capped(self) -> bool:
        """True when ``count()`` is a lower bound (see ``SearchResults.capped``)."""
        return any(kind in self.results.capped for kind in self.types)

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


# --- Running a search ----------------------------------------------------------------------


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False))


def base_queryset(kind: str, *, user=None, theme=None, speaker=None) -> QuerySet:
    """What ``user`` may find of ``kind``, narrowed to a theme and a speaker.

    Drafts are found by staff only; boilerplate passages (page chrome) by nobody.
    """
    from kb.models import Source

    # The same rows the facets count from (FACET_ARMS): one definition of each.
    quotes = _visible_quotes(user)
    if kind == "quote":
        queryset = quotes
        if theme is not None:
            queryset = queryset.filter(pk__in=quotes.filter(themes=theme).values("pk"))
        if speaker is not None:
            queryset = queryset.filter(speaker=speaker)
    elif kind == "passage":
        queryset = _public_passages(user)
        if theme is not None:
            queryset = queryset.filter(pk__in=quotes.filter(themes=theme).values("passage"))
        if speaker is not None:
            queryset = queryset.filter(speaker=speaker)
    elif kind == "principle":
        queryset = _visible_principles(user)
        if theme is not None:
            queryset = queryset.filter(pk__in=queryset.filter(themes=theme).values("pk"))
        if speaker is not None:
            cited = _claims(user).filter(passage__speaker=speaker).values("principle")
            queryset = queryset.filter(pk__in=cited)
    elif kind == "source":
        queryset = Source.objects.all()
        if theme is not None:
            queryset = queryset.filter(pk__in=quotes.filter(themes=theme).values("source"))
        if speaker is not None:
            spoken = _public_passages(user).filter(speaker=speaker).values("source")
            queryset = queryset.filter(pk__in=spoken)
    else:
        raise ValueError(f"Unknown search type {kind!r}: use one of {', '.join(TYPES)}.")
    return queryset


def _with_related(kind: str, queryset: QuerySet) -> QuerySet:
    """What a hit shows, loaded in a fixed number of queries (never whole source texts)."""
    if kind == "quote":
        return queryset.with_related().defer(
            "source__text",
            "passage__text",
            "search_vector",
            "source__search_vector",
            "passage__search_vector",
        )
    if kind == "passage":
        return queryset.select_related("source", "speaker").defer(
            "source__text", "search_vector", "source__search_vector"
        )
    if kind == "principle":
        return queryset.prefetch_related("themes").defer("search_vector")
    return queryset.defer("text", "search_vector")


# Counting stops here: past it a page says "10,000+" (a reader pages through 1,000 hits at
# most, see kb.views.common.MAX_PAGES). Counting every match of a common word costs more
# than ranking it (bench search).
COUNT_LIMIT = 10_000
# Facets count the themes and speakers of at most this many matches of each type; past it
# they are counted in that sample (``SearchResults.facets_sampled``).
FACET_SAMPLE = 2_000
# ``search(count_limit=…)`` left out: COUNT_LIMIT as it is at the call (settable in tests).
DEFAULT_COUNT_LIMIT = object()


def _visible_quotes(user):
    from kb.models import Quote

    return Quote.objects.visible_to(user if _is_staff(user) else None)


def _visible_principles(user):
    from kb.models import Principle

    return Principle.objects.visible_to(user if _is_staff(user) else None)


def _public_passages(user):
    from kb.models import Passage

    return Passage.objects.public()


def _claims(user):
    from kb.models import Claim

    return Claim.objects.all()


# The model each facet names (its rows' slug and name are shown).
FACET_MODELS = {"theme": "Theme", "speaker": "Person"}
# How each type is narrowed by a theme and by a speaker, as ``base_queryset`` narrows it:
# (type, facet, the rows holding the facet for a hit (a function of the user), their field
# naming the hit, the path from them to the facet). A facet so counts exactly what choosing
# it keeps of each type (below the sample).
FACET_ARMS = (
    ("quote", "theme", _visible_quotes, "id", "themes"),
    ("principle", "theme", _visible_principles, "id", "themes"),
    # a passage or a source has the themes of the quotes found in it
    ("passage", "theme", _visible_quotes, "passage_id", "themes"),
    ("source", "theme", _visible_quotes, "source_id", "themes"),
    ("quote", "speaker", _visible_quotes, "id", "speaker"),
    ("passage", "speaker", _public_passages, "id", "speaker"),
    # a principle has the speakers of the passages its claims cite; a source, its speakers
    ("principle", "speaker", _claims, "principle_id", "passage__speaker"),
    ("source", "speaker", _public_passages, "source_id", "speaker"),
)


class _Runner:
    """A parsed, expanded and compiled query bound to a user and filters."""

    def __init__(self, query: Query, *, user, theme, speaker, connection):
        self.query, self.user, self.theme, self.speaker = query, user, theme, speaker
        self.connection = connection
        self.backend = backend(connection)
        self.compiled = self.backend.compile_query(query)
        # {kind: the ids of every match}, when the counting query found them all and the
        # backend ranks faster among known rows (see postgres.id_list).
        self.known_ids: dict[str, list[int]] = {}

    def visible(self, kind: str, *, theme=..., speaker=...) -> QuerySet | None:
        """The rows of ``kind`` the user may find, narrowed by the filters; None when that
        is every indexed row (the index holds no boilerplate passage), so the backend
        needs no join with the table."""
        theme = self.theme if theme is ... else theme
        speaker = self.speaker if speaker is ... else speaker
        if (
            theme is None
            and speaker is None
            and (kind in ("passage", "source") or _is_staff(self.user))
        ):
            return None
        return base_queryset(kind, user=self.user, theme=theme, speaker=speaker)

    def match_sql(self, kind: str, **filters) -> tuple[str, list]:
        return self.backend.match_sql(kind, self.compiled, self.visible(kind, **filters))

    # A search page runs every part below for every type: each part is one SQL query for
    # all the types (bench pages counts the queries; the issue allows 12 a page).

    def hits(self, kind: str, offset: int, limit: int) -> list[Hit]:
        return self.hits_of((kind,), offset, limit)[kind]

    def hits_of(self, kinds, offset: int, limit: int) -> dict[str, list[Hit]]:
        """Hits ``offset`` to ``offset + limit`` of each of ``kinds``: one query ranks the
        ids of every type and highlights the rows on the page, then a query per type
        fetches those rows."""
        marked = self.ranked_highlights(kinds, offset, limit)
        found: dict[str, list[Hit]] = {}
        for kind in kinds:
            ranked = sorted(marked[kind].items(), key=lambda item: (-item[1][0], item[0]))
            rows = _with_related(kind, base_queryset(kind, user=self.user)).in_bulk(
                [pk for pk, _ in ranked]
            )
            found[kind] = [
                _hit(kind, rows[pk], texts, rank) for pk, (rank, texts) in ranked if pk in rows
            ]
        return found

    def ranked_highlights(self, kinds, offset: int, limit: int):
        """``{kind: {id: (rank, {field: text with the START/STOP markers})}}`` for the hits
        ``offset`` to ``offset + limit`` of each kind, in one query.

        Each kind's ranked ids are a materialized CTE, read twice: for the ranks, and by the
        highlight query of the same rows (which runs for the page's rows only).
        """
        be = self.backend
        out: dict[str, dict] = {kind: {} for kind in kinds}
        ctes, arms, params, arm_params, fields_of = [], [], [], [], {}
        for kind in kinds:
            # ``kind`` is one of TYPES, never user input; limit and offset are ints.
            sql, kind_params = be.ranked_sql(
                kind, self.compiled, self.visible(kind), self.known_ids.get(kind)
            )
            ctes.append(
                f"r_{kind} AS {be.MATERIALIZED} ({sql} LIMIT {int(limit)} OFFSET {int(offset)})"
            )
            params.extend(kind_params)
            hl_sql, hl_params, fields = be.highlight_select(
                kind, self.compiled, f"SELECT id FROM r_{kind}", START, STOP
            )
            fields_of[kind] = fields
            columns = [f"h_{kind}.hl{i}" if i < len(fields) else be.NULL_TEXT for i in range(3)]
            arms.append(
                f"SELECT '{kind}', r_{kind}.id, r_{kind}.search_rank, {', '.join(columns)} "
                f"FROM r_{kind} LEFT JOIN ({hl_sql}) AS h_{kind} ON h_{kind}.id = r_{kind}.id"
            )
            arm_params.extend(hl_params)
        if not arms:
            return out
        with self.connection.cursor() as cursor:
            cursor.execute(
                "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(arms), params + arm_params
            )
            for kind, pk, rank, *texts in cursor.fetchall():
                fields = fields_of[kind]
                out[kind][pk] = (
                    float(rank or 0.0),
                    {f: be.read_highlight(t) for f, t in zip(fields, texts, strict=False)},
                )
        return out

    def counts_and_facets(self, count_limit: int | None, facet_types: tuple[str, ...]):
        """``(counts, facets, sampled)`` in one query.

        ``counts``: the matches of every type, up to ``count_limit`` + 1 (None: all).
        ``facets`` (None unless ``facet_types``): for each theme and speaker, how many
        matches of each of ``facet_types`` choosing it keeps (the speaker filter applied to
        the theme counts and the other way round), counted in the first FACET_SAMPLE
        matches of each type; ``sampled``: some type had more. Each type's matches are
        found once (a materialized CTE) and both counted and sampled from there: finding
        them is the costly part (a phrase's candidates are checked one by one on
        PostgreSQL).
        """
        be = self.backend
        arms_wanted = [arm for arm in FACET_ARMS if arm[0] in facet_types]
        ctes, params, arms = [], [], []

        def cte(name: str, sql: str, cte_params, limit: int | None) -> None:
            bound = f" LIMIT {int(limit) + 1}" if limit is not None else ""
            ctes.append(f"{name} AS {be.MATERIALIZED} ({sql}{bound})")
            params.extend(cte_params)

        for kind in TYPES:
            sql, kind_params = self.match_sql(kind)
            cte(f"m_{kind}", sql, kind_params, count_limit)
            ids = be.id_list(f"m_{kind}") if count_limit is not None else "''"
            arms.append((f"SELECT 'count', '{kind}', {ids}, COUNT(*) FROM m_{kind}", []))
        sampled = False
        shared = count_limit is None or count_limit >= FACET_SAMPLE
        for kind, name, holders, hit, path in arms_wanted:
            source = f"m_{kind}"
            if getattr(self, name) is not None or not shared:
                # Not the search's own rows (its filter is dropped), or too few of them.
                source = f"f_{kind}_{name}"
                sql, kind_params = self.match_sql(kind, **{name: None})
                cte(source, sql, kind_params, FACET_SAMPLE)
                arms.append((f"SELECT 'size', '{kind}', '', COUNT(*) FROM {source}", []))
            sample = f"SELECT id FROM {source} LIMIT {FACET_SAMPLE}"
            # The distinct (hit, facet) pairs first, then counted by facet: a source's
            # passages are many rows for few pairs, read in order from the index
            # passage_source_speaker. The sources' speaker arm of "phone" at a million
            # passages: 10–14 ms, against 23 ms for COUNT(DISTINCT) grouped by the facet's
            # slug and name (which sorts the 29,000 passages of 2,000 sources).
            pairs, pair_params = (
                be.among(holders(self.user), sample, (), field=hit)
                .order_by()
                .values(pair_hit=F(hit), pair_facet=F(f"{path}__id"))
                .distinct()
                .query.sql_with_params()
            )
            model = apps.get_model("kb", FACET_MODELS[name])
            table = self.connection.ops.quote_name(model._meta.db_table)
            arms.append(
                (
                    f"SELECT '{name} {kind}', f.slug, f.name, COUNT(*) FROM ({pairs}) AS x "
                    f"JOIN {table} f ON f.id = x.pair_facet GROUP BY f.slug, f.name",
                    pair_params,
                )
            )
        union = " UNION ALL ".join(
            f"SELECT * FROM ({sql}) AS arm_{i}" for i, (sql, _) in enumerate(arms)
        )
        for _, arm_params in arms:
            params.extend(arm_params)
        counts = dict.fromkeys(TYPES, 0)
        found: dict[str, dict[tuple[str, str], dict[str, int]]] = {"theme": {}, "speaker": {}}
        with self.connection.cursor() as cursor:
            cursor.execute("WITH " + ", ".join(ctes) + " " + union, params)
            for what, slug, label, n in cursor.fetchall():
                if what == "count":
                    counts[slug] = n
                    if label and n <= count_limit:  # every match: rank just those rows
                        self.known_ids[slug] = [int(pk) for pk in label.split(",")]
                elif what == "size":
                    sampled = sampled or n > FACET_SAMPLE
                elif slug is not None:
                    name, kind = what.split()
                    found[name].setdefault((slug, label), {})[kind] = n
        if not facet_types:
            return counts, None, False
        for kind, name, *_ in arms_wanted:
            if getattr(self, name) is None and shared:
                sampled = sampled or counts[kind] > FACET_SAMPLE
        listed = {}
        for name, active in (("theme", self.theme), ("speaker", self.speaker)):
            listed[name] = sorted(
                (
                    Facet(slug, label, by_type, active is not None and slug == active.slug)
                    for (slug, label), by_type in found[name].items()
                ),
                key=lambda f: (-f.count, f.name.lower()),
            )
        return counts, listed, sampled


def _hit(kind: str, row, marked: dict, rank: float) -> Hit:
    if kind == "quote":
        snippet = markup(marked.get("text")) if marked.get("text") else escape(row.text)
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
        )
    if kind == "passage":
        title = f"{row.source.title} ¶{row.number}"
        text = marked.get("text") or Truncator(row.text).words(40)
        return Hit(
            kind,
            row.pk,
            title,
            escape(title),
            markup(text),
            row.get_absolute_url(),
            row.source.slug,
            row.pk,
            rank,
            row,
        )
    if kind == "principle":
        parts = [marked.get("claims"), marked.get("summary")]
        text = next((p for p in parts if _marked(p)), None) or marked.get("summary") or row.summary
        return Hit(
            kind,
            row.pk,
            row.title,
            markup(marked.get("title")) if marked.get("title") else escape(row.title),
            markup(text) if text else mark_safe(""),
            row.get_absolute_url(),
            None,
            None,
            rank,
            row,
        )
    parts = [marked.get("notes"), marked.get("byline")]
    text = next((p for p in parts if _marked(p)), None) or marked.get("notes") or ""
    return Hit(
        kind,
        row.pk,
        row.title,
        markup(marked.get("title")) if marked.get("title") else escape(row.title),
        markup(text),
        row.get_absolute_url(),
        row.slug,
        None,
        rank,
        row,
    )


def _resolve(model, value, name: str, unknown: dict):
    """A Theme or Person from an instance or a slug (or one it had before a rename, as old
    addresses redirect); an unknown slug is reported, ignored."""
    from kb.moved import renamed_slug

    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    slug = str(value)[:80]
    found = model.objects.filter(slug=slug).first() if "\x00" not in slug else None
    if found is None and (now := renamed_slug(model, slug)):
        found = model.objects.filter(slug=now).first()
    if found is None:
        unknown[name] = str(value)
    return found


def search(
    query: str | None,
    *,
    types=TYPES,
    user=None,
    theme=None,
    speaker=None,
    limit: int = 5,
    offset: int = 0,
    facets: bool | tuple[str, ...] = True,
    suggest: bool = True,
    count_limit: int | None | object = DEFAULT_COUNT_LIMIT,
) -> SearchResults:
    """Search everything ``user`` may see for ``query``.

    ``counts`` are given for every type; ``groups`` hold the hits ``offset`` to
    ``offset + limit`` of each of ``types`` (more with ``results.more`` or
    ``results.sequence``). ``theme`` and ``speaker`` are instances or slugs (an unknown slug
    is listed in ``results.unknown`` and not applied). Counting stops at ``count_limit``
    (default COUNT_LIMIT; ``results.capped`` names the types with more; None counts every
    match). ``facets``: True counts what each theme and speaker keeps of every type, a
    tuple of types of those only (a type's tab), False none. Any string is a valid query.
    """
    from kb.models import Person, Theme

    types = tuple(types)
    if count_limit is DEFAULT_COUNT_LIMIT:
        count_limit = COUNT_LIMIT
    facet_types = TYPES if facets is True else tuple(facets or ())
    for kind in types + facet_types:
        if kind not in TYPES:
            raise ValueError(f"Unknown search type {kind!r}: use one of {', '.join(TYPES)}.")
    parsed = parse(query)
    unknown: dict[str, str] = {}
    theme = _resolve(Theme, theme, "theme", unknown)
    speaker = _resolve(Person, speaker, "speaker", unknown)
    results = SearchResults(query=parsed.raw, parsed=parsed, theme=theme, speaker=speaker)
    results.unknown = unknown
    if parsed.is_empty:
        return results
    connection = connections[DEFAULT_DB_ALIAS]
    runner = _Runner(
        expand(parsed, alias_map()),
        user=user,
        theme=theme,
        speaker=speaker,
        connection=connection,
    )
    results.runner = runner
    counts, found_facets, sampled = runner.counts_and_facets(count_limit, facet_types)
    results.counts = counts
    if count_limit is not None:
        results.capped = {kind for kind, n in counts.items() if n > count_limit}
        for kind in results.capped:
            results.counts[kind] = count_limit
    wanted = [kind for kind in types if results.counts[kind] and limit > 0]
    found = runner.hits_of(wanted, offset, limit) if wanted else {}
    for kind in types:
        results.groups[kind] = found.get(kind, [])
    if found_facets is not None and results.total:
        results.facets, results.facets_sampled = found_facets, sampled
    if suggest and not results.total:
        results.suggestion = _suggestion(parsed, user=user, connection=connection)
    return results


def _suggestion(parsed: Query, *, user, connection) -> str | None:
    """The query with misspelt words replaced by the nearest indexed words, if it finds some."""
    be = backend(connection)
    if be is not postgres or not postgres.has_trigram(connection):
        return None
    replacements = {}
    for word in parsed.words()[:SUGGEST_WORDS]:
        if len(word) >= 3 and not word.isdigit():
            better = be.suggest_word(connection, word)
            if better and better != word:
                replacements[word] = better
    if not replacements:
        return None

    def fix(node):
        if isinstance(node, Phrase):
            return Phrase(tuple(replacements.get(w, w) for w in node.words))
        return type(node)(tuple(fix(part) for part in node.parts))

    pieces = [node_text(fix(node)) for node in parsed.positive]
    pieces += ["-" + node_text(node) for node in parsed.negative]
    suggestion = " ".join(pieces)
    retry = search(suggestion, types=(), user=user, facets=False, suggest=False)
    return suggestion if retry.total else None


def filter_quotes(queryset: QuerySet, raw: str) -> QuerySet:
    """The quotes of ``queryset`` matching ``raw`` (the same search as ``search``).

    A query with no word leaves the queryset as it is; one with only excluded words
    removes the quotes that have them. The queryset's order is kept.
    """
    parsed = parse(raw)
    be = backend()
    if parsed.is_empty:
        if parsed.negative:
            excluded = expand(parsed).negative
            return be.exclude_matches(queryset, "quote", be.compile_any(excluded))
        return queryset
    return be.filter_matches(queryset, "quote", be.compile_query(expand(parsed)))


def query_terms(raw: str) -> list[str]:
    """The required words of a user's query, bounded so any input is cheap to run."""
    return parse(raw).words()


# --- The index -----------------------------------------------------------------------------


def install_index(connection=None) -> None:
    """Create (or re-create) the index tables, triggers and indexes; idempotent."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    backend(connection).install(connection)


def rebuild_index(connection=None) -> dict[str, int]:
    """Re-index every row; returns the number of rows indexed per type."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    be = backend(connection)
    be.install(connection)
    return be.rebuild(connection)


@contextmanager
def deferred_indexing(connection=None):
    """Inside an import's transaction: rows inserted in the block are not indexed one by one;
    call :func:`index_source_rows` for each source written before the block ends.

    On PostgreSQL the triggers compute each row's vector, which has no cheaper bulk form, so
    this changes nothing there.
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        raise RuntimeError("deferred_indexing() must run inside transaction.atomic()")
    if connection.vendor != "sqlite":
        yield
        return
    sqlite.set_deferred(connection, True)
    try:
        yield
    finally:
        sqlite.set_deferred(connection, False)


def index_source_rows(source_id: int, connection=None) -> None:
    """Index one source's passages and quotes written inside :func:`deferred_indexing`."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite":
        sqlite.index_source_rows(connection, source_id)


def clear_index(connection=None) -> None:
    """Empty the index, leaving the triggers in place (tests; ``rebuild_index`` restores)."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    backend(connection).clear(connection)


def ensure_index(connection=None) -> bool:
    """Re-install and rebuild the index if its triggers are missing; True if it had to.

    SQLite drops a table's triggers when a migration rebuilds the table, so this runs after
    every ``migrate`` (post_migrate) once the search migration is applied.
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    be = backend(connection)
    if be.is_installed(connection):
        return False
    be.install(connection)
    be.rebuild(connection)
    return True


SEARCH_MIGRATION = ("kb", "0002_search")


def _after_migrate(sender, app_config=None, using=DEFAULT_DB_ALIAS, **kwargs):
    if app_config is None or app_config.label != "kb":
        return
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if SEARCH_MIGRATION in MigrationRecorder(connection).applied_migrations():
        ensure_index(connection)


post_migrate.connect(_after_migrate, dispatch_uid="kb.search.ensure_index")
