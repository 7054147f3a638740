"""Write an ImportPlan to the database: the source, its passages, people and quotes.

Everything happens inside one ``transaction.atomic()``, so an import is all or nothing.
``--replace`` re-anchors curated quotes and claims to the new text by their words; the
ones whose words are gone stay attached to the superseded version (kept, as drafts), so
nothing is silently deleted and every span still points at the words it was cut from.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify

from kb.cache import one_change
from kb.ingest.plan import ImportPlan, IngestError, KnownPerson, check_plan
from kb.ingest.reanchor import GONE, UNCERTAIN, reanchor
from kb.models import Claim, Passage, Person, Quote, Source, Status, hashed_slug, unique_slug
from kb.texts import fingerprint

BATCH_SIZE = 1000


@dataclass
class StoreResult:
    source: Source
    status: str  # "created", "exists" or "replaced"
    passages: int = 0
    boilerplate: int = 0
    speakers: int = 0
    quotes: int = 0
    # Curated quotes and claims whose words are no longer in the new text (--replace).
    orphans: list[str] = field(default_factory=list)
    # Curated quotes re-anchored to words that differ from theirs (--replace): a reviewer
    # checks them, the old words beside the new.
    to_check: list[str] = field(default_factory=list)
    # Whether the import created people (callers holding the list of people refresh it).
    new_people: bool = False

    def summary(self) -> str:
        if self.status == "exists":
            return f"already imported {self.source.slug}"
        return (
            f"{self.source.slug}: {self.passages} passages "
            f"({self.boilerplate} boilerplate), {self.speakers} speakers, {self.quotes} quotes"
            + (" [replaced]" if self.status == "replaced" else "")
        )


# What the database or the disk says when the machine, not the text, is at fault.
_DISK_FULL = ("database or disk is full", "no space left on device", "could not extend file")
_READ_ONLY = (
    "attempt to write a readonly database",
    "read-only transaction",
    "read-only file system",
    "readonly database",
)


def environment_problem(error: BaseException) -> str | None:
    """One line naming a fault of the environment behind ``error`` (a full disk, a
    read-only database), or None when it is something else.  Import paths turn it into
    the command's one-line message (exit 2) and the admin's form error: the transaction
    rolled back, so nothing of the import was written."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "the disk is full: free some space, then import again"
    if isinstance(error, OSError) and error.errno == errno.EROFS:
        return "the file system is read-only: the import cannot write to it"
    if not isinstance(error, (DatabaseError, OSError)):
        return None
    message = str(error).casefold()
    code = getattr(getattr(error, "__cause__", None), "sqlstate", None) or ""
    if code == "53100" or any(words in message for words in _DISK_FULL):
        return "the database's disk is full: free some space, then import again"
    if code == "25006" or any(words in message for words in _READ_ONLY):
        return (
            "the database is read-only (check the database file's permissions, or the "
            "server's read-only setting): nothing can be imported"
        )
    return None


def slug_for(plan: ImportPlan) -> str:
    """The slug a source is stored under: its title's. The same title means the same source
    (so a changed text needs --replace)."""
    # A title may carry HTML tags ("QA <b>Bold</b>"), which slugify keeps as words
    # ("qa-bboldb"): the slug is made from the words only. A title without Latin letters or
    # digits ("雷军的演讲") gets a slug from its hash: the same title gives the same slug, so
    # its next version is a replacement, not a second source beside it.
    words = strip_tags(plan.metadata.title)
    return slugify(words)[:80].strip("-") or (hashed_slug("source", words) if words.strip() else "")


def require_title(plan: ImportPlan) -> None:
    """A source is stored under its title: none is the importer's one-line message."""
    if not plan.metadata.title.strip():
        raise IngestError("no title: give --title or a 'title:' line in the front matter")


def known_people() -> list[KnownPerson]:
    """Everyone already in the database, for resolving labels and surnames on import."""
    return [
        KnownPerson(name, tuple(aliases or ()))
        for name, aliases in Person.objects.values_list("name", "aliases")
    ]


def find_person(name: str) -> Person | None:
    """The person called ``name``, by name or alias, ignoring case."""
    person = Person.objects.filter(name__iexact=name).first()
    if person:
        return person
    lowered = name.lower()
    for candidate in Person.objects.exclude(aliases=[]):
        if any(alias.lower() == lowered for alias in candidate.aliases):
            return candidate
    return None


def _people_for(
    plan: ImportPlan, cache: dict[str, Person], *, publish: bool = False
) -> tuple[dict[str, Person], bool]:
    """The Person of each planned speaker, created where new; and whether any was created.

    New people are drafts until an editor confirms them (#18: a title or a company taken
    for a name must never reach the public people list), unless the import publishes
    its quotes: an editor publishing the quotes vouches for who speaks them.

    ``cache`` maps names already resolved in this batch (a batch mostly repeats the same few
    people), so most sources need no query here.
    """
    names = [planned.name for planned in plan.people if planned.name not in cache]
    # Planned names are mostly the canonical names of known people: one query finds those.
    exact = {p.name: p for p in Person.objects.filter(name__in=names)} if names else {}
    people, created = {}, False
    for planned in plan.people:
        person = cache.get(planned.name) or exact.get(planned.name) or find_person(planned.name)
        if person is None:
            status = Status.PUBLISHED if publish else Status.DRAFT
            person = Person(name=planned.name, aliases=list(planned.aliases), status=status)
            person.full_clean(exclude=["slug"])
            person.save()
            created = True
        people[planned.name] = person
    return people, created


def store_plan(
    plan: ImportPlan,
    *,
    slug: str = "",
    publish: bool = False,
    replace: bool = False,
    notes: str = "",
    year: int | None = None,
    people_cache: dict[str, Person] | None = None,
) -> StoreResult:
    """Write ``plan`` in one transaction and say what happened.

    The same text again is not stored twice (status "exists"). A different text under a
    slug already taken needs ``replace=True``. ``people_cache`` (a dict the caller keeps for
    a batch) remembers the people resolved by earlier sources.
    """
    meta = plan.metadata
    require_title(plan)
    # plan_from_bytes checked already; a plan made another way is checked here, so a long
    # speaker name is the importer's one-line message, not a ValidationError from Person.
    check_plan(plan)
    cache = people_cache if people_cache is not None else {}
    with transaction.atomic():
        # One query for all: the same text stored already (exactly, or but for line endings
        # and trailing spaces), and the source holding the slug.
        digest, text_print = plan.sha256, fingerprint(plan.text)  # each reads the whole text
        same = Q(sha256=digest) | Q(fingerprint=text_print)
        if slug:
            same |= Q(slug=slug)
        # With what a replacement keeps (KEPT_FIELDS): never the whole stored text.
        fields = ("pk", "slug", "sha256", "fingerprint", "title", *KEPT_FIELDS)
        holders = list(Source.objects.filter(same).only(*fields))
        existing = next((s for s in holders if s.sha256 == digest), None)
        if existing:
            return StoreResult(existing, "exists")
        previous = next((s for s in holders if s.slug == slug), None) if slug else None
        copy = next((s for s in holders if s.fingerprint == text_print), None)
        if copy and not (replace and copy == previous):
            raise IngestError(
                f"the same text as {copy.slug!r} but for line endings or spaces at the ends "
                "of lines: already imported"
            )
        if previous and not replace:
            raise IngestError(
                f"a different text is already stored as {slug!r}: use --replace to store "
                "this version in its place"
            )
        kept = {}
        if previous:
            # Free the slug; the old version is deleted below unless it keeps orphans.
            previous.slug = unique_slug(Source, f"{slug}-superseded")
            previous.save(update_fields=["slug"])
            kept = _kept_metadata(previous, meta, year=year, notes=notes)
        source = Source(
            title=meta.title.strip()[:300],
            slug=slug or unique_slug(Source, strip_tags(meta.title)),
            kind=meta.kind,
            url=meta.url,
            author=meta.author,
            publisher=meta.publisher,
            published=meta.published,
            year=year,
            language=meta.language or "en",
            text=plan.text,
            # Computed above: save() makes them again only for another text.
            sha256=digest,
            fingerprint=text_print,
            notes=notes,
        )
        for name, value in kept.items():
            setattr(source, name, value)
        try:
            # Field validation only: the slug is free (checked above), the sha256 is new,
            # and the URL rule of the check constraint is the field's validator too.
            # Skipping the unique and constraint queries saved a fifth of a batch's store time.
            source.full_clean(exclude=["sha256"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            # build_metadata checks the same rules first; a plan made another way still
            # gets the importer's one-line message rather than a traceback.
            problems = "; ".join(
                f"{field}: {' '.join(dict.fromkeys(messages))}"
                for field, messages in error.message_dict.items()
            )
            raise IngestError(f"bad metadata: {problems}") from None
        source.save()
        people, created_people = _people_for(plan, cache, publish=publish)
        # The outbox's triggers record these rows for the search indexer, in this transaction.
        passage_ids = _write_passages(source, plan, people)
        quotes = _write_quotes(source, plan, people, passage_ids, publish=publish)
        result = StoreResult(
            source,
            "replaced" if previous else "created",
            passages=len(passage_ids),
            boilerplate=plan.boilerplate_count,
            speakers=len({p.speaker for p in plan.passages if p.speaker}),
            quotes=quotes,
        )
        result.new_people = created_people
        if previous:
            earlier = _passage_curation(previous)  # before _move_curation may delete it
            result.orphans, result.to_check = _move_curation(previous, source)
            _keep_passage_curation(earlier, source)
    # Only now: a rolled-back source must not leave its new people in the batch's cache.
    cache.update(people)
    return result


def insert_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """INSERT many rows of plain values with one ``executemany``.

    ``bulk_create`` spends about 150 µs a row building model instances and SQL; the importer
    writes tens of rows per source, so on a big batch that dominated the import time. The
    values are plain ints, strings and booleans already checked by the pipeline; the SQL
    has identifiers from the model's metadata and parameters only.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    names = [model._meta.get_field(column).column for column in columns]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(name) for name in names),
        ", ".join(["%s"] * len(names)),
    )
    with connection.cursor() as cursor:
        for first in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, rows[first : first + BATCH_SIZE])


def _write_passages(source: Source, plan: ImportPlan, people: dict[str, Person]) -> dict[int, int]:
    """Insert the passages; returns their ids by number."""
    insert_rows(
        Passage,
        ["source", "number", "start", "end", "text", "speaker", "is_boilerplate"],
        [
            (
                source.pk,
                planned.number,
                planned.start,
                planned.end,
                plan.text[planned.start : planned.end],
                people[planned.speaker].pk if planned.speaker else None,
                planned.is_boilerplate,
            )
            for planned in plan.passages
        ],
    )
    # A plain cursor: the ORM's query building cost more than the query on a big batch.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT {}, {} FROM {} WHERE {} = %s".format(
                *(connection.ops.quote_name(n) for n in ("number", "id", Passage._meta.db_table)),
                connection.ops.quote_name(Passage._meta.get_field("source").column),
            ),
            [source.pk],
        )
        return dict(cursor.fetchall())


def _write_quotes(
    source: Source,
    plan: ImportPlan,
    people: dict[str, Person],
    passage_ids: dict[int, int],
    *,
    publish: bool,
) -> int:
    bounds = {p.number: (p.start, p.end) for p in plan.passages}
    status = Status.PUBLISHED if publish else Status.DRAFT
    now = timezone.now()
    seen: set[tuple[int, int]] = set()
    rows = []
    for planned in plan.quotes:
        low, high = bounds[planned.passage_number]
        span = (planned.start, planned.end)
        if span in seen or not low <= planned.start < planned.end <= high:
            continue
        seen.add(span)
        rows.append(
            (
                source.pk,
                passage_ids[planned.passage_number],
                planned.start,
                planned.end,
                plan.text[planned.start : planned.end],
                people[planned.speaker].pk if planned.speaker else None,
                planned.attribution[:300],
                status,
                "",
                False,
                now,
                now,
            )
        )
    insert_rows(
        Quote,
        [
            "source",
            "passage",
            "start",
            "end",
            "text",
            "speaker",
            "attribution",
            "status",
            "note",
            "featured",
            "created",
            "updated",
        ],
        rows,
    )
    return len(rows)


def locate(text: str, words: str, near: int = 0) -> int | None:
    """Where ``words`` occur in ``text``, the occurrence nearest ``near``; None if absent."""
    best, position = None, text.find(words)
    while position != -1:
        if best is None or abs(position - near) < abs(best - near):
            best = position
        position = text.find(words, position + 1)
    return best


def passage_at(passages: Iterable[Passage], start: int, end: int) -> Passage | None:
    return next((p for p in passages if p.contains(start, end)), None)


# What an editor may have set on a source that a new version's file does not say: kept
# from the earlier version unless the import gives it (the default kind is no choice).
KEPT_FIELDS = ("url", "author", "publisher", "published", "year", "kind", "notes")


def _kept_metadata(previous: Source, meta, *, year, notes) -> dict:
    """The earlier version's values for the fields this import leaves empty."""
    given = {
        "url": meta.url,
        "author": meta.author,
        "publisher": meta.publisher,
        "published": meta.published,
        # A new date decides the year (Source.save); else the year given, else the earlier.
        "year": meta.published or year,
        "kind": "" if meta.kind == "other" else meta.kind,
        "notes": notes,
    }
    kept = {name: getattr(previous, name) for name in KEPT_FIELDS if not given[name]}
    return {name: value for name, value in kept.items() if value not in ("", None)}


def _passage_curation(previous: Source) -> dict[str, tuple[int | None, bool]]:
    """``{text: (speaker id, boilerplate)}`` of the earlier version's passages; a text whose
    passages differ in them is left out (which one would a copy follow?)."""
    earlier: dict[str, tuple[int | None, bool]] = {}
    ambiguous = set()
    for text, speaker, chrome in previous.passages.values_list("text", "speaker", "is_boilerplate"):
        if text in earlier and earlier[text] != (speaker, chrome):
            ambiguous.add(text)
        earlier[text] = (speaker, chrome)
    return {text: found for text, found in earlier.items() if text not in ambiguous}


def _keep_passage_curation(earlier: dict[str, tuple[int | None, bool]], source: Source) -> None:
    """A new passage with the very words of an earlier one keeps what an editor set on it:
    its speaker (when the import found none) and its boilerplate flag (unless it now holds
    a published quote or a claim)."""
    cited = set(source.quotes.published().values_list("passage", flat=True)) | set(
        Claim.objects.filter(passage__source=source).values_list("passage", flat=True)
    )
    speakers: dict[int, list[int]] = {}
    chrome_ids = []
    for passage in source.passages.only("pk", "text", "speaker", "is_boilerplate"):
        if passage.text not in earlier:
            continue
        speaker, chrome = earlier[passage.text]
        if speaker and not passage.speaker_id:
            speakers.setdefault(speaker, []).append(passage.pk)
        if chrome and not passage.is_boilerplate and passage.pk not in cited:
            chrome_ids.append(passage.pk)
    for speaker, ids in speakers.items():
        Passage.objects.filter(pk__in=ids).update(speaker=speaker)
    if chrome_ids:
        Passage.objects.filter(pk__in=chrome_ids).update(is_boilerplate=True)


def _move_curation(previous: Source, source: Source) -> tuple[list[str], list[str]]:
    """Re-anchor the old version's quotes and claims to the new text.

    A quote survives whitespace, punctuation and small wording changes around it
    (kb.ingest.reanchor: exact words, then normalised, then approximate with its context and
    old place). Returns a line for each quote or claim that could not be re-anchored (those
    stay on the superseded version, quotes as drafts, which is then kept instead of
    deleted), and a line for each quote re-anchored to words that differ from its own (for
    a reviewer to check, old words beside new).
    """
    passages = list(source.passages.all())
    new_spans = {(q.start, q.end) for q in source.quotes.all()}
    orphans, to_check = [], []
    for quote in previous.quotes.select_related("passage"):
        anchor = reanchor(previous.text, quote.start, quote.end, source.text)
        passage = None if anchor.verdict == GONE else passage_at(passages, anchor.start, anchor.end)
        if passage is None:
            if quote.status != Status.DRAFT:
                quote.status = Status.DRAFT
                quote.save(update_fields=["status"])
            orphans.append(f"quote {quote.pk} (now a draft): {quote}")
            continue
        span = (anchor.start, anchor.end)
        words = source.text[span[0] : span[1]]
        if anchor.verdict == UNCERTAIN:
            # Its words changed: back to the review queue until a reviewer reads both.
            if quote.status == Status.PUBLISHED:
                quote.status = Status.REVIEW
            to_check.append(
                f"quote {quote.pk} ({anchor.confidence:.0%} sure): "
                f"was \u201c{quote.text}\u201d, now \u201c{words}\u201d"
            )
        if span in new_spans:
            # The importer found it again as a candidate: keep the curated one.
            source.quotes.filter(start=span[0], end=span[1]).delete()
        quote.source, quote.passage, quote.start, quote.end = source, passage, *span
        quote.text = words  # a quote is its span's words, spaces and all
        quote.save(update_fields=["source", "passage", "start", "end", "text", "status"])
    for claim in Claim.objects.filter(passage__source=previous).select_related("principle"):
        words = previous.text[claim.start : claim.end]
        start = locate(source.text, words, claim.start)
        passage = passage_at(passages, start, start + len(words)) if start is not None else None
        if passage is None:
            # It still cites the earlier version's words, which is kept (readable, marked as
            # replaced): its principle stays as it was.
            orphans.append(
                f"claim {claim.pk} of {claim.principle.slug} (still citing the earlier "
                f"version): {words[:60]}"
            )
            continue
        claim.passage, claim.start, claim.end = passage, start, start + len(words)
        claim.save(update_fields=["passage", "start", "end"])
    still_cited = (
        previous.quotes.exists() or Claim.objects.filter(Q(passage__source=previous)).exists()
    )
    if not still_cited:
        with one_change():  # with its passages: one new content version, not one a row
            previous.delete()
    else:
        previous.superseded_by = source  # kept for what cites it; lists show the new one
        previous.save(update_fields=["superseded_by"])
    return orphans, to_check
