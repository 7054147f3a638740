"""A generated search corpus: sources cut into passages, quotes inside them, and queries.

Built for size (a million passages) rather than for the importer: rows come out ready to
insert, in source order, with explicit ids, and with the invariants of the real data
(a passage is exactly ``source.text[start:end]``, the passages of a source joined by blank
lines are its text, a quote is an exact span of its passage). Word frequencies follow what
real text does: a few function words everywhere, the topic words of ``bench.corpus``
(plus the brand names the aliases need) in many passages, and a long Zipf tail of
generated words, so common words match a large share of the passages and rare words a
handful. Everything comes from one seeded generator: the same (seed, sizes) always give
the same rows, whichever database or index they are loaded into.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import accumulate

from bench.corpus import PEOPLE, WORDS
from kb.texts import fingerprint

VERSION = 2  # bump when the generated rows change (a --reuse marker then no longer matches)
SEED = 2024

FUNCTION_WORDS = (
    "the and of to a in is we that it for our with on this are be not but you have they as "
    "at was will by from all more can so if very what one when do their us there make"
).split()
BRANDS = "xiaomi redmi miui hyperos leica mijia poco".split()
# Collocations planted in the text: the phrase queries' "common phrases".
COLLOCATIONS = [
    ("smart", "home"),
    ("supply", "chain"),
    ("lei", "jun"),
    ("mi", "fans"),
    ("price", "performance"),
    ("user", "experience"),
    ("internet", "thinking"),
    ("electric", "car"),
    ("flagship", "phone"),
    ("retail", "store"),
    ("iot", "platform"),
    ("word", "of", "mouth"),
]
# The editors' aliases (term, means, two_way), as in the admin: the alias queries use them.
ALIASES = [
    ("millet", "xiaomi", True),
    ("hongmi", "redmi", True),
    ("smartphone", "phone", True),
    ("leijun", "lei jun", True),
    ("internet of things", "iot", True),
    ("mi fans", "mifen", True),
    ("ev", "electric car", False),
]
THEMES = [
    "Innovation",
    "Pricing",
    "Quality",
    "Users",
    "Retail",
    "Internet thinking",
    "Ecosystem",
    "Manufacturing",
    "Global markets",
    "Leadership",
    "Focus",
    "Reputation",
]
PUBLISHERS = ["Caixin", "Sina Tech", "36Kr", "Bloomberg", "Reuters", "Xinhua", ""]
KINDS = ["interview", "article", "essay", "profile", "speech"]
BOILERPLATE = ["Related Article", "Contact Us", "Source: Internet", "Share this page"]
TAIL_SIZE = 30_000
RARE_TOKENS = 200  # planted tokens, each in a few passages ("zq007x")
RARE_RATE = 0.002  # share of passages holding one planted rare token
PRINCIPLES = 200
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


def tail_words(count: int = TAIL_SIZE, seed: int = SEED) -> list[str]:
    """``count`` distinct made-up words (syllables), in a fixed order (Zipf rank)."""
    rng = random.Random(seed * 7 + 1)
    onsets = "b c d f g h j k l m n p r s t v w z br dr gr kl pl st tr sh ch".split()
    vowels = "a e i o u ai ei ou".split()
    codas = ["", "", "n", "r", "l", "s", "m", "nd", "rt", "x"]
    taken = set(FUNCTION_WORDS) | {w.lower() for w in WORDS} | set(BRANDS)
    found: list[str] = []
    while len(found) < count:
        syllables = rng.randint(2, 4)
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(syllables)
        )
        if word not in taken and 5 <= len(word) <= 14:
            taken.add(word)
            found.append(word)
    return found


def rare_tokens(count: int = RARE_TOKENS) -> list[str]:
    return [f"zq{n:03d}x" for n in range(count)]


@dataclass
class Vocabulary:
    words: list[str]
    cum_weights: list[float]
    topic: list[str]  # most frequent first
    tail: list[str]  # most frequent first

    @classmethod
    def build(cls, seed: int = SEED) -> Vocabulary:
        topic = [w.lower() for w in WORDS] + BRANDS
        tail = tail_words(seed=seed)
        words: list[str] = []
        weights: list[float] = []
        for group, mass, exponent in (
            (FUNCTION_WORDS, 0.40, 0.9),
            (topic, 0.30, 0.6),
            (tail, 0.30, 1.0),
        ):
            raw = [1 / (rank + 1) ** exponent for rank in range(len(group))]
            total = sum(raw)
            words += group
            weights += [mass * w / total for w in raw]
        return cls(words, list(accumulate(weights)), topic, tail)


@dataclass
class SourceRows:
    """One source and what hangs from it, as tuples in the tables' column order."""

    source: tuple
    passages: list[tuple] = field(default_factory=list)
    quotes: list[tuple] = field(default_factory=list)
    quote_themes: list[tuple] = field(default_factory=list)


# Column orders of the rows produced (the loaders use the same lists).
SOURCE_COLUMNS = (
    "id title slug kind url author publisher published year language text sha256 fingerprint "
    "notes created updated"
).split()
PASSAGE_COLUMNS = "id source_id number start end text speaker_id is_boilerplate".split()
QUOTE_COLUMNS = (
    "id text source_id start end passage_id speaker_id attribution status note featured "
    "created updated"
).split()
QUOTE_THEME_COLUMNS = ["quote_id", "theme_id"]


def _sentences(rng: random.Random, vocab: Vocabulary, rare: list[str], target: int) -> list[str]:
    """Sentences adding up to about ``target`` characters."""
    tokens = rng.choices(vocab.words, cum_weights=vocab.cum_weights, k=target // 5 + 12)
    if rng.random() < 0.35:  # a planted collocation
        at = rng.randrange(len(tokens) - 3)
        phrase = COLLOCATIONS[rng.randrange(len(COLLOCATIONS))]
        tokens[at : at + len(phrase)] = phrase
    if rng.random() < RARE_RATE:
        tokens[rng.randrange(len(tokens))] = rare[rng.randrange(len(rare))]
    sentences, length, i = [], 0, 0
    while length < target and i < len(tokens) - 3:
        n = rng.randint(6, 18)
        words = tokens[i : i + n]
        i += n
        text = " ".join(words)
        text = text[0].upper() + text[1:] + "."
        sentences.append(text)
        length += len(text) + 1
    return sentences


@dataclass(frozen=True)
class Shape:
    """How the generated rows are spread: passages per source, people, themes.

    The default is the search part's corpus (short sources, a few people); ``PAGES`` is the
    pages part's (``bench.pages``): about a hundred passages a source, one source of 500,
    500 people and 60 themes, as issue #9 describes the site at a million passages.
    """

    name: str = "search"
    per_source: tuple[int, int] = (5, 25)
    first_source: int | None = None  # the passages of source 1 (a long source), if set
    people: tuple[str, ...] = tuple(PEOPLE)
    themes: tuple[str, ...] = tuple(THEMES)


def _people_names(count: int) -> tuple[str, ...]:
    """The real names first, then distinct made-up ones (tail words as syllables)."""
    rng = random.Random(SEED + 5)
    tail = tail_words(count=2000)
    names = list(PEOPLE)
    seen = set(names)
    while len(names) < count:
        name = f"{rng.choice(tail).capitalize()} {rng.choice(tail).capitalize()}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return tuple(names)


def _theme_names(count: int) -> tuple[str, ...]:
    names = list(THEMES)
    for word in WORDS + BRANDS:
        if len(names) >= count:
            break
        if word.capitalize() not in names:
            names.append(word.capitalize())
    n = 0
    while len(names) < count:
        n += 1
        names.append(f"Theme {n}")
    return tuple(names)


SEARCH = Shape()
PAGES = Shape(
    name="pages",
    per_source=(20, 180),
    first_source=500,
    people=_people_names(500),
    themes=_theme_names(60),
)


def sources(
    passages: int, quotes: int, seed: int = SEED, shape: Shape = SEARCH
) -> Iterator[SourceRows]:
    """Sources with ``passages`` passages in all and ``quotes`` quotes (evenly spread)."""
    rng = random.Random(seed)
    vocab = Vocabulary.build(seed)
    rare = rare_tokens()
    names = shape.people
    people = len(names)
    quotes = min(quotes, passages)
    passage_id = quote_id = 0
    for source_id in itertools.count(1):
        if passage_id >= passages:
            return
        if source_id == 1 and shape.first_source:
            count = min(shape.first_source, passages - passage_id)
        else:
            count = min(rng.randint(*shape.per_source), passages - passage_id)
        guest = rng.randrange(people)
        title = f"{names[guest]} on {rng.choice(WORDS)} and {rng.choice(WORDS)} ({source_id})"
        texts, starts, offset = [], [], 0
        rows = []
        for number in range(1, count + 1):
            passage_id += 1
            boilerplate = rng.random() < 0.01
            if boilerplate:
                sentences = [rng.choice(BOILERPLATE)]
            else:
                sentences = _sentences(rng, vocab, rare, rng.randint(200, 400))
            text = " ".join(sentences)
            roll = rng.random()
            speaker = None if boilerplate or roll < 0.5 else (1 if roll < 0.8 else 1 + guest)
            rows.append(
                (passage_id, source_id, number, offset, offset + len(text), text, speaker,
                 boilerplate, sentences)
            )  # fmt: skip
            texts.append(text)
            starts.append(offset)
            offset += len(text) + 2
        source_text = "\n\n".join(texts)
        year = rng.randint(2010, 2024)
        out = SourceRows(
            (
                source_id,
                title,
                f"bench-{source_id}",
                KINDS[source_id % len(KINDS)],
                "",
                names[rng.randrange(people)],
                rng.choice(PUBLISHERS),
                None,
                year,
                "en",
                source_text,
                hashlib.sha256(source_text.encode("utf-8")).hexdigest(),
                fingerprint(source_text),  # required (the importer's duplicate check)
                "",
                NOW,
                NOW,
            )
        )
        for row in rows:
            pid, _, _, start, _, text, speaker, boilerplate, sentences = row
            out.passages.append(row[:8])
            # Evenly spread quotes: passage k holds one when k * quotes / passages steps over
            # an integer (exactly ``quotes`` in all).
            if boilerplate or (pid * quotes) // passages == ((pid - 1) * quotes) // passages:
                continue
            quote_id += 1
            pick = rng.randrange(len(sentences))
            qstart = start + sum(len(s) + 1 for s in sentences[:pick])
            qtext = sentences[pick]
            assert source_text[qstart : qstart + len(qtext)] == qtext
            published = rng.random() < 0.95
            out.quotes.append(
                (quote_id, qtext, source_id, qstart, qstart + len(qtext), pid, speaker, "",
                 "published" if published else "draft", "", False, NOW, NOW)
            )  # fmt: skip
            for theme in rng.sample(range(1, len(shape.themes) + 1), rng.randint(0, 2)):
                out.quote_themes.append((quote_id, theme))
        yield out


def passages_only(passages: int, quotes: int, seed: int = SEED) -> Iterator[tuple[int, str]]:
    """``(id, text)`` of the passages search finds (no boilerplate): for an outside index."""
    for rows in sources(passages, quotes, seed):
        for pid, _, _, _, _, text, _, boilerplate in rows.passages:
            if not boilerplate:
                yield pid, text


def alias_mapping() -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """``kb.search.aliases.alias_map()`` for ``ALIASES``, without a database."""
    from kb.search.query import split_words

    mapping: dict[tuple[str, ...], list[tuple[str, ...]]] = {}

    def add(term, means):
        key, value = split_words(term), split_words(means)
        if key and value and key != value and value not in mapping.setdefault(key, []):
            mapping[key].append(value)

    for term, means, two_way in ALIASES:
        add(term, means)
        if two_way:
            add(means, term)
    return mapping


# --- Queries -------------------------------------------------------------------------------

KINDS_OF_QUERY = ("common", "rare", "phrase", "alias")


def queries(
    count: int = 200,
    seed: int = SEED,
    sample_passages: int = 2000,
    passages: int = 1_000_000,
    quotes: int = 100_000,
) -> list[dict]:
    """``count`` queries of four kinds (a quarter each), the same for every engine.

    common: one or two frequent topic words; rare: a tail word of low rank or a planted
    token; phrase: a planted collocation or two adjacent words seen in a generated passage,
    in double quotes; alias: an alias term, alone or with a common word.
    """
    rng = random.Random(seed + 99)
    vocab = Vocabulary.build(seed)
    stop = set(FUNCTION_WORDS)
    common_words = [w for w in vocab.topic[:40]]
    # Adjacent content words from the first generated passages (so they do occur).
    pairs: list[tuple[str, str]] = []
    # The same stream as the corpus of ``passages`` and ``quotes`` (quotes draw from the same
    # generator, so only the same proportion of quotes gives the same first passages).
    sample = min(sample_passages, passages)
    for rows in sources(sample, min(quotes, passages) * sample // passages, seed):
        for row in rows.passages:
            words = [w.strip(".").lower() for w in row[5].split()]
            for a, b in zip(words, words[1:], strict=False):
                if (
                    a not in stop
                    and b not in stop
                    and not row[5].startswith(("Related", "Contact"))
                ):
                    pairs.append((a, b))
    quarter = count // 4
    out: list[dict] = []
    for i in range(quarter):
        if i % 5 < 3:
            q = rng.choice(common_words)
        else:
            q = " ".join(rng.sample(common_words, 2))
        out.append({"kind": "common", "q": q})
    for i in range(quarter):
        if i % 4 == 0:
            q = rng.choice(rare_tokens())
        else:
            q = vocab.tail[rng.randrange(3_000, TAIL_SIZE)]
        out.append({"kind": "rare", "q": q})
    for i in range(quarter):
        if i % 2 == 0:
            q = '"' + " ".join(rng.choice(COLLOCATIONS)) + '"'
        else:
            q = '"' + " ".join(rng.choice(pairs)) + '"'
        out.append({"kind": "phrase", "q": q})
    terms = sorted({t for t, _, _ in ALIASES} | {m for _, m, two in ALIASES if two})
    for i in range(count - 3 * quarter):
        term = rng.choice(terms)
        q = term if i % 2 == 0 else f"{term} {rng.choice(common_words[:20])}"
        out.append({"kind": "alias", "q": q})
    return out


# --- Loading: the rows above, written through the models (bulk_create) -------------------

LOAD_BATCH = 10_000  # passages per batch of bulk_create calls


def _fields(columns, row) -> dict:
    return dict(zip(columns, row, strict=False))


def _principle_objects(first_passages: list, shape: Shape):
    """A few published principles whose claims cite the first sentence of early passages."""
    from kb.models import Claim, Principle, Status

    usable = [p for p in first_passages if not p.is_boilerplate]
    count = min(PRINCIPLES, len(usable) // 3)
    words = Vocabulary.build().topic
    principles, claims, links = [], [], []
    for i in range(1, count + 1):
        a, b = words[i % len(words)], words[(i * 7) % len(words)]
        principles.append(
            Principle(
                id=i,
                title=f"Principle {i}: {a} before {b}",
                slug=f"principle-{i}",
                summary=f"Put {a} first, then {b}.",
                status=Status.PUBLISHED,
            )
        )
        for position in range(3):
            passage = usable[(i * 3 + position) % len(usable)]
            cut = passage.text.find(".") + 1 or len(passage.text)
            claims.append(
                Claim(
                    principle_id=i,
                    position=position,
                    text=f"Claim {position} of {a} and {b}.",
                    passage_id=passage.pk,
                    start=passage.start,
                    end=passage.start + cut,
                )
            )
        links.append(Principle.themes.through(principle_id=i, theme_id=1 + i % len(shape.themes)))
    return principles, claims, links


def load(passages: int, quotes: int, shape: Shape = SEARCH, log=print) -> None:
    """Write the corpus of ``sources(passages, quotes, shape=shape)`` to the database.

    Through the models (``bulk_create``), so the rows get every field's default and the
    Source its fingerprint, as the importer writes them: no copy of the schema here. The
    search index is built once at the end (``manage.py rebuild_search_index``), from the
    rows: the outbox rows the triggers wrote for them are dropped, not applied one by one.
    """
    from django.core.management import call_command
    from django.db import connection, transaction
    from tqdm import tqdm

    from kb.models import Passage, Person, Quote, SearchAlias, SearchOutbox, Source, Theme

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("DROP INDEX IF EXISTS kb_passage_text_trgm")
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB of page cache while loading
    first: list = []
    with transaction.atomic():
        Person.objects.bulk_create(
            Person(id=i, name=name, slug=name.lower().replace(" ", "-"))
            for i, name in enumerate(shape.people, 1)
        )
        Theme.objects.bulk_create(
            Theme(id=i, name=name, slug=name.lower().replace(" ", "-"))
            for i, name in enumerate(shape.themes, 1)
        )
        SearchAlias.objects.bulk_create(
            SearchAlias(term=t, means=m, two_way=two) for t, m, two in ALIASES
        )
        batch: list[SourceRows] = []
        progress = tqdm(total=passages, unit="passage", desc=f"{connection.vendor} corpus")

        def flush():
            Source.objects.bulk_create(Source(**_fields(SOURCE_COLUMNS, r.source)) for r in batch)
            rows = [Passage(**_fields(PASSAGE_COLUMNS, p)) for r in batch for p in r.passages]
            Passage.objects.bulk_create(rows, batch_size=2000)
            Quote.objects.bulk_create(
                (Quote(**_fields(QUOTE_COLUMNS, q)) for r in batch for q in r.quotes),
                batch_size=2000,
            )
            Quote.themes.through.objects.bulk_create(
                (
                    Quote.themes.through(quote_id=q, theme_id=t)
                    for r in batch
                    for q, t in r.quote_themes
                ),
                batch_size=5000,
            )
            if len(first) < 6 * PRINCIPLES:
                first.extend(rows[: 6 * PRINCIPLES])
            progress.update(len(rows))
            batch.clear()

        size = 0
        for rows in sources(passages, quotes, shape=shape):
            batch.append(rows)
            size += len(rows.passages)
            if size >= LOAD_BATCH:
                flush()
                size = 0
        if batch:
            flush()
        progress.close()
        principles, claims, links = _principle_objects(first, shape)
        from kb.models import Claim, Principle

        Principle.objects.bulk_create(principles)
        Claim.objects.bulk_create(claims)
        Principle.themes.through.objects.bulk_create(links)
        if connection.vendor == "postgresql":
            _reset_sequences()
        SearchOutbox.objects.all()._raw_delete(SearchOutbox.objects.db)
    log(f"{connection.vendor}: rows written; building the search index")
    call_command("rebuild_search_index", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _reset_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences behind: the next row made would collide."""
    from django.core.management.color import no_style
    from django.db import connection

    from kb.models import Passage, Person, Principle, Quote, Source, Theme

    models = [Person, Theme, Source, Passage, Quote, Principle]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
