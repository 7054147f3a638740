"""What the search index holds: its schema, its analyzer, and the documents of the database.

The index is derived data: every document is built from the rows' current state by
``documents_for`` (the indexer calls it with the outbox's changes) and ``all_changes``
enumerates everything for a rebuild. One index holds four types of document, told apart
by ``type`` and keyed ``"<type>:<id>"`` (``key``, the term a writer deletes by):

- ``quote``: a published quote's own words (``text``), its themes' names (``themes``) and
  its speaker's names (``people``). Not its source's title: a quote matches for what it
  says, not for where it was said.
- ``passage``: a passage readers see (not boilerplate, of a current source): ``text``,
  ``people`` (its speaker).
- ``principle``: a published principle: ``title``, ``text`` (the summary), ``claims``,
  ``themes``.
- ``source``: a current source (not superseded): ``title``, ``byline`` (author,
  publisher), ``text`` (the editor's notes).

Rows readers cannot see (drafts, boilerplate, superseded sources) are not in the index at
all; the search still re-checks every hit against the database.

Filters and facets are fast fields, the same for every type: ``theme`` (a quote's or a
principle's themes; a passage's or a source's are those of the published quotes in it),
``speaker`` (a quote's or a passage's; a source's are its passages' speakers, a
principle's the speakers of the passages its claims cite), ``source`` (for a principle,
the sources it cites), ``kind`` and ``year`` (the source's).

Text is folded before it is analysed (``fold``): traditional Chinese characters to
simplified (OpenCC's character table, shipped as kb/search/fold_table.json) and
full-width forms to ASCII, one character for
one character, so offsets into the folded text are offsets into the original (the
highlighter relies on it). The analyzer ``kb`` then cuts letters-and-digits runs into
words and every CJK character into one token (a word of several characters is searched as
a phrase of them: found inside a longer run, and ``CyberDog`` inside ``OLED,CyberDog仿生``),
lower-cases, folds accents and stems English.

The outbox contract (the pipeline's triggers): a change is ``(kind, id)`` of the table
the row changed in: ``source``, ``passage``, ``quote`` (also for its themes), ``principle``
(also for its themes), ``claim``, ``theme``, ``person``, ``alias``. A row that is gone
deletes its own document only: a trigger on a delete also names the row's parents
(a quote's passage and source, a passage's source, a claim's principle) whose facets change.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import islice
from pathlib import Path

import tantivy

# Bump when the schema, the analyzer or what a document holds changes: the index is then
# rebuilt (kb.search.index compares it with the index's).
SCHEMA_VERSION = 2

TYPES = ("quote", "passage", "principle", "source")
ANALYZER = "kb"
# Every searched word again, unstemmed and without positions: what a prefix (``pric*``)
# and a misspelt word (searched fuzzily) are compared with, as typed words, not stems.
WORDS_FIELD = "words"
WORDS_ANALYZER = "kb_words"
KEY_FIELD = "key"
# The fields searched, by type, with their boosts: a quote matching in its own words ranks
# above one matching through a theme or its speaker.
TEXT_FIELDS = ("text", "title", "claims", "byline", "themes", "people")
BOOSTS = {
    "quote": {"text": 3.0, "themes": 1.5, "people": 1.2},
    "passage": {"text": 2.0, "people": 1.0},
    "principle": {"title": 3.0, "text": 2.0, "claims": 1.5, "themes": 1.2},
    "source": {"title": 2.5, "byline": 1.2, "text": 1.0},
}
FACET_FIELDS = ("theme", "speaker", "source", "kind", "year")
MAX_TOKEN_LENGTH = 64
# Ids read and documents built per query.
BATCH = 1000

# CJK characters, one token each (Han, kana, compatibility ideographs, the extensions).
CJK_RANGES = "\\x{3040}-\\x{30FF}\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}\\x{F900}-\\x{FAFF}"
CJK_RANGES += "\\x{20000}-\\x{2FA1F}"
TOKEN_PATTERN = f"[{CJK_RANGES}]|[\\p{{L}}\\p{{N}}\\p{{M}}&&[^{CJK_RANGES}]]+"


# --- Text analysis -------------------------------------------------------------------------


FOLD_TABLE_FILE = Path(__file__).with_name("fold_table.json")


@cache
def _fold_table() -> dict[int, str]:
    """Traditional to simplified Chinese (OpenCC's character table, shipped as data:
    scripts/make_fold_table.py), full-width forms to ASCII: one character for one."""
    chars = json.loads(FOLD_TABLE_FILE.read_text(encoding="utf-8"))
    table = {ord(before): after for before, after in chars.items()}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII (ＡＢＣ, ０１２)
        table[code] = unicodedata.normalize("NFKC", chr(code))
    table[0x3000] = " "  # ideographic space
    return table


def fold(text: str) -> str:
    """``text`` with traditional characters simplified and full-width forms made ASCII,
    the same length (so offsets still index the original)."""
    return text if text.isascii() else text.translate(_fold_table())


@cache
def analyzer() -> tantivy.TextAnalyzer:
    """The ``kb`` analyzer (of folded text): words, CJK characters, lower case, stems."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN))
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LENGTH))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


@cache
def unstemmed_analyzer() -> tantivy.TextAnalyzer:
    """The ``kb`` analyzer without its stemmer: what a prefix (``pric*``) is compared as."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN))
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LENGTH))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def analyze(text: str) -> list[str]:
    """The index terms of ``text`` (folded, then analysed as the index analyses it)."""
    return analyzer().analyze(fold(text))


def tokens(text: str) -> list[tantivy.Token]:
    """The tokens of ``text`` with their character offsets into it (for highlights)."""
    return analyzer().pre_tokenize(fold(text)).tokens


def register_analyzers(index: tantivy.Index) -> None:
    """Register the analyzers on ``index``: needed before writing or searching."""
    index.register_tokenizer(ANALYZER, analyzer())
    index.register_tokenizer(WORDS_ANALYZER, unstemmed_analyzer())


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(KEY_FIELD, stored=True, tokenizer_name="raw")
    builder.add_text_field("type", fast=True, tokenizer_name="raw")
    builder.add_unsigned_field("id", indexed=True, fast=True)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=ANALYZER)
    builder.add_text_field(WORDS_FIELD, tokenizer_name=WORDS_ANALYZER, index_option="basic")
    for name in ("theme", "speaker", "source", "year"):
        builder.add_unsigned_field(name, indexed=True, fast=True)
    builder.add_text_field("kind", fast=True, tokenizer_name="raw")
    return builder.build()


# --- Documents -----------------------------------------------------------------------------


def _batches(values: Iterable, size: int = BATCH) -> Iterator[list]:
    it = iter(values)
    while chunk := list(islice(it, size)):
        yield chunk


class _Lookups:
    """The small tables (themes, people, sources' facets) read once per call."""

    def __init__(self):
        from kb.models import Person, Status, Theme

        self.themes = dict(Theme.objects.values_list("id", "name"))
        self.people: dict[int, list[str]] = {}
        for pk, name, aliases, status in Person.objects.values_list(
            "id", "name", "aliases", "status"
        ):
            if status == Status.PUBLISHED:
                extra = (
                    [a for a in aliases if isinstance(a, str)] if isinstance(aliases, list) else []
                )
                self.people[pk] = [name, *extra]
        self.sources: dict[int, tuple[str, int | None] | None] = {}

    def source(self, pk: int):
        """``(kind, year)`` of a current source, None for a superseded or missing one."""
        if pk not in self.sources:
            from kb.models import Source

            row = Source.objects.filter(pk=pk).values_list("kind", "year", "superseded_by")
            found = row.first()
            self.sources[pk] = None if found is None or found[2] else (found[0], found[1])
        return self.sources[pk]

    def load_sources(self, pks: Iterable[int]) -> None:
        from kb.models import Source

        wanted = [pk for pk in set(pks) if pk not in self.sources]
        for chunk in _batches(wanted):
            for pk, kind, year, later in Source.objects.filter(pk__in=chunk).values_list(
                "id", "kind", "year", "superseded_by"
            ):
                self.sources[pk] = None if later else (kind, year)
            for pk in chunk:
                self.sources.setdefault(pk, None)


def _document(doc_type: str, pk: int, **fields) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text(KEY_FIELD, f"{doc_type}:{pk}")
    doc.add_text("type", doc_type)
    doc.add_unsigned("id", pk)
    for name, values in fields.items():
        if name in FACET_IDS:
            for value in set(values):
                doc.add_unsigned(name, value)
        elif name == "kind":
            if values:
                doc.add_text("kind", values)
        elif name == "year":
            if values:
                doc.add_unsigned("year", values)
        else:
            for value in values:
                if value:
                    folded = fold(value)
                    doc.add_text(name, folded)
                    doc.add_text(WORDS_FIELD, folded)
    return doc


FACET_IDS = frozenset(("theme", "speaker", "source"))


def _source_facets(lookups: _Lookups, source_id: int) -> dict:
    kind, year = lookups.source(source_id) or ("", None)
    return {"source": [source_id], "kind": kind, "year": year}


# Rows are read either by ids (a change's rows) or by source (every passage and quote of
# changed sources: a rebuild). Ids in a batch are mostly consecutive: read as a range when
# they nearly fill it (Django builds a 1,000-value IN list in tens of milliseconds).
SOURCES_AT_ONCE = 50


def _where_ids(ids: list[int]) -> dict:
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return {"pk__gte": low, "pk__lte": high}
    return {"pk__in": ids}


def _selections(ids: list[int] | None, sources: list[int] | None):
    """``(filter, wanted ids or None, filter of the related rows by source or None)`` a
    batch at a time."""
    if ids:
        for chunk in _batches(sorted(ids)):
            yield _where_ids(chunk), set(chunk)
    for chunk in _batches(sorted(sources or ()), SOURCES_AT_ONCE):
        yield {"source_id__in": chunk}, None


def _quote_documents(lookups: _Lookups, ids=None, sources=None):
    from kb.models import Quote, Status

    by_id = set(ids or ())  # built by id already: not again by source
    for where, wanted in _selections(ids, sources):
        rows = [
            row
            for row in Quote.objects.filter(**where)
            .order_by()
            .values_list("id", "text", "speaker_id", "source_id", "status")
            if (row[0] in wanted if wanted is not None else row[0] not in by_id)
        ]
        themes = defaultdict(list)
        if wanted is None:
            by = {"quote__" + key: value for key, value in where.items()}
        else:
            by = {"quote_id__in": [row[0] for row in rows]}
        for quote, theme in Quote.themes.through.objects.filter(**by).values_list(
            "quote_id", "theme_id"
        ):
            themes[quote].append(theme)
        lookups.load_sources(row[3] for row in rows)
        found = set()
        for pk, text, speaker, source, status in rows:
            found.add(pk)
            if status != Status.PUBLISHED:
                yield f"quote:{pk}", None
                continue
            yield (
                f"quote:{pk}",
                _document(
                    "quote",
                    pk,
                    text=[text],
                    themes=[lookups.themes.get(t, "") for t in themes[pk]],
                    people=lookups.people.get(speaker, []),
                    theme=themes[pk],
                    speaker=[speaker] if speaker else [],
                    **_source_facets(lookups, source),
                ),
            )
        for pk in sorted((wanted or set()) - found):
            yield f"quote:{pk}", None


def _passage_documents(lookups: _Lookups, ids=None, sources=None):
    from kb.models import Passage, Quote, Status

    by_id = set(ids or ())  # built by id already: not again by source
    for where, wanted in _selections(ids, sources):
        rows = [
            row
            for row in Passage.objects.filter(**where)
            .order_by()
            .values_list("id", "text", "speaker_id", "source_id", "is_boilerplate")
            if (row[0] in wanted if wanted is not None else row[0] not in by_id)
        ]
        lookups.load_sources(row[3] for row in rows)
        themes = defaultdict(set)
        if wanted is None:
            by = {"quote__" + key: value for key, value in where.items()}
        else:
            by = {"quote__passage_id__in": [row[0] for row in rows]}
        for passage, theme in (
            Quote.themes.through.objects.filter(**by, quote__status=Status.PUBLISHED)
            .values_list("quote__passage_id", "theme_id")
            .distinct()
        ):
            themes[passage].add(theme)
        found = set()
        for pk, text, speaker, source, boilerplate in rows:
            found.add(pk)
            if boilerplate or lookups.source(source) is None:
                yield f"passage:{pk}", None
                continue
            yield (
                f"passage:{pk}",
                _document(
                    "passage",
                    pk,
                    text=[text],
                    people=lookups.people.get(speaker, []),
                    theme=themes[pk],
                    speaker=[speaker] if speaker else [],
                    **_source_facets(lookups, source),
                ),
            )
        for pk in sorted((wanted or set()) - found):
            yield f"passage:{pk}", None


def _source_documents(lookups: _Lookups, ids=None, sources=None):
    from kb.models import Passage, Quote, Source, Status

    for chunk in _batches(sorted(ids or ()), SOURCES_AT_ONCE):
        rows = Source.objects.filter(pk__in=chunk, superseded_by__isnull=True).values_list(
            "id", "title", "author", "publisher", "notes", "kind", "year"
        )
        themes = defaultdict(set)
        for source, theme in (
            Quote.themes.through.objects.filter(
                quote__source_id__in=chunk, quote__status=Status.PUBLISHED
            )
            .values_list("quote__source_id", "theme_id")
            .distinct()
        ):
            themes[source].add(theme)
        speakers = defaultdict(set)
        for source, speaker in (
            Passage.objects.filter(source_id__in=chunk, is_boilerplate=False, speaker__isnull=False)
            .order_by()
            .values_list("source_id", "speaker_id")
            .distinct()
        ):
            speakers[source].add(speaker)
        found = set()
        for pk, title, author, publisher, notes, kind, year in rows:
            found.add(pk)
            yield (
                f"source:{pk}",
                _document(
                    "source",
                    pk,
                    title=[title],
                    byline=[author, publisher],
                    text=[notes],
                    theme=themes[pk],
                    speaker=speakers[pk],
                    source=[pk],
                    kind=kind,
                    year=year,
                ),
            )
        for pk in chunk:
            if pk not in found:
                yield f"source:{pk}", None


def _principle_documents(lookups: _Lookups, ids=None, sources=None):
    from kb.models import Claim, Principle, Status

    for chunk in _batches(sorted(ids or ())):
        rows = Principle.objects.filter(pk__in=chunk, status=Status.PUBLISHED).values_list(
            "id", "title", "summary"
        )
        themes = defaultdict(list)
        for principle, theme in Principle.themes.through.objects.filter(
            principle_id__in=chunk
        ).values_list("principle_id", "theme_id"):
            themes[principle].append(theme)
        claims, speakers, cited = defaultdict(list), defaultdict(set), defaultdict(set)
        for principle, text, speaker, source in (
            Claim.objects.filter(principle_id__in=chunk)
            .order_by("position", "pk")
            .values_list("principle_id", "text", "passage__speaker_id", "passage__source_id")
        ):
            claims[principle].append(text)
            if speaker:
                speakers[principle].add(speaker)
            if source:
                cited[principle].add(source)
        found = set()
        for pk, title, summary in rows:
            found.add(pk)
            yield (
                f"principle:{pk}",
                _document(
                    "principle",
                    pk,
                    title=[title],
                    text=[summary],
                    claims=claims[pk],
                    themes=[lookups.themes.get(t, "") for t in themes[pk]],
                    theme=themes[pk],
                    speaker=speakers[pk],
                    source=cited[pk],
                ),
            )
        for pk in chunk:
            if pk not in found:
                yield f"principle:{pk}", None


KINDS = ("source", "passage", "quote", "principle", "claim", "theme", "person", "alias")
# Changes read at once: their expansion is deduplicated within a chunk.
CHANGE_CHUNK = 500


def _affected(changes: list[tuple[str, int]]) -> tuple[dict[str, set[int]], set[int]]:
    """The documents ``changes`` affect, by type, and the sources whose passages and quotes
    all change (streamed by the caller, as a source can have very many)."""
    from kb.models import Claim, Passage, Quote

    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, pk in changes:
        if kind not in KINDS:
            raise ValueError(f"Unknown change kind {kind!r}: use one of {', '.join(KINDS)}.")
        by_kind[kind].add(int(pk))
    out: dict[str, set[int]] = {kind: set() for kind in TYPES}
    sources = set(by_kind["source"])
    out["source"] |= sources
    out["quote"] |= by_kind["quote"]
    out["passage"] |= by_kind["passage"]
    out["principle"] |= by_kind["principle"]
    for chunk in _batches(by_kind["quote"]):
        # A quote's themes are facets of its passage and its source.
        for passage, source in Quote.objects.filter(pk__in=chunk).values_list(
            "passage_id", "source_id"
        ):
            out["passage"].add(passage)
            out["source"].add(source)
    for chunk in _batches(by_kind["passage"]):
        # A passage's speaker is a facet of its source and of the principles citing it.
        out["source"] |= set(
            Passage.objects.filter(pk__in=chunk).values_list("source_id", flat=True)
        )
        out["principle"] |= set(
            Claim.objects.filter(passage_id__in=chunk).values_list("principle_id", flat=True)
        )
    for chunk in _batches(by_kind["claim"]):
        out["principle"] |= set(
            Claim.objects.filter(pk__in=chunk).values_list("principle_id", flat=True)
        )
    for chunk in _batches(sources):
        out["principle"] |= set(
            Claim.objects.filter(passage__source_id__in=chunk).values_list(
                "principle_id", flat=True
            )
        )
    for chunk in _batches(by_kind["theme"]):
        # A theme's name is searched in the quotes and principles carrying it.
        out["quote"] |= set(
            Quote.themes.through.objects.filter(theme_id__in=chunk).values_list(
                "quote_id", flat=True
            )
        )
        from kb.models import Principle

        out["principle"] |= set(
            Principle.themes.through.objects.filter(theme_id__in=chunk).values_list(
                "principle_id", flat=True
            )
        )
    for chunk in _batches(by_kind["person"]):
        # A person's names are searched in the quotes and passages they speak.
        out["quote"] |= set(Quote.objects.filter(speaker_id__in=chunk).values_list("pk", flat=True))
        out["passage"] |= set(
            Passage.objects.filter(speaker_id__in=chunk).values_list("pk", flat=True)
        )
    # Aliases are expanded when a query is parsed: they change no document.
    return out, sources


def documents_for(
    changes: Iterable[tuple[str, int]],
) -> Iterator[tuple[str, tantivy.Document | None]]:
    """``(key, document)`` for every search document ``changes`` affect, built from the
    rows' current state; ``document`` is None when the row is gone or no reader may see it
    (delete it from the index). A key may come more than once: the last one holds."""
    lookups = _Lookups()
    for chunk in _batches(changes, CHANGE_CHUNK):
        affected, sources = _affected(chunk)
        yield from _source_documents(lookups, ids=affected["source"])
        yield from _principle_documents(lookups, ids=affected["principle"])
        # A changed source's passages and quotes are read by source, the others by id.
        for kind, builder in (("passage", _passage_documents), ("quote", _quote_documents)):
            yield from builder(lookups, ids=affected[kind], sources=sorted(sources))


def all_changes() -> Iterator[tuple[str, int]]:
    """Every change that builds the whole index: each source (with its passages and
    quotes), then each principle; ids streamed in batches."""
    from kb.models import Principle, Source

    for kind, model in (("source", Source), ("principle", Principle)):
        ids = model.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=BATCH)
        for pk in ids:
            yield kind, pk
