"""Checks that nothing drifted: passages tile their source, quotes and claims are exact spans.

Also that each source's text still has the sha256 it was stored with (the importer's
identity of a text), so a text changed behind the application's back is named too.

It streams, one source at a time: the source's text is read once, then its passages, its
quotes and its claims are read in order of position (``iterator()``, a few thousand rows at
a time) and checked against that one text. Memory is O(the largest source): the text, and
the bounds of its passages (four integers each, to check the quotes and claims against),
never a quote's row joined with its source's text (that join held one copy of a 2 MB text
per quote, and made SQLite sort gigabytes on disk). Queries: one for the list of sources,
then four per source, whatever the number of passages, quotes and claims.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from kb.models import Claim, Passage, Quote, Source

CHUNK_ROWS = 2000
# The sha256 is computed over pieces of the text this long: never a second whole copy of
# the text as bytes.
HASH_CHUNK_CHARS = 1 << 20


def text_sha256(text: str) -> str:
    digest = hashlib.sha256()
    for at in range(0, len(text), HASH_CHUNK_CHARS):
        digest.update(text[at : at + HASH_CHUNK_CHARS].encode("utf-8"))
    return digest.hexdigest()


def same_span(text: str, start: int, end: int, words: str) -> bool:
    """``text[start:end] == words``, without copying the span (a quarter of the time)."""
    return 0 <= start <= end and end - start == len(words) and text.startswith(words, start)


def source_problems(source: Source) -> Iterator[str]:
    """Every problem of one source: its text's sha256, its passages' tiling, then the spans
    of its quotes and claims. ``source`` needs ``pk``, ``slug``, ``text`` and ``sha256``."""
    text = source.text
    if text_sha256(text) != source.sha256:
        yield f"{source.slug}: text does not match its sha256 (changed since it was stored)"
    # pk -> (number, start, end): what the quotes and claims are checked against.
    bounds: dict[int, tuple[int, int, int]] = {}
    cursor = 0
    passages = (
        Passage.objects.filter(source_id=source.pk)
        .order_by("number")
        .values_list("pk", "number", "start", "end", "text")
    )
    for number, (pk, n, start, end, passage_text) in enumerate(
        passages.iterator(chunk_size=CHUNK_ROWS), 1
    ):
        bounds[pk] = (n, start, end)
        where = f"{source.slug} ¶{n}"
        if n != number:
            yield f"{where}: passages are not numbered 1, 2, 3 …"
        if start < cursor:
            yield f"{where}: overlaps the passage before"
        elif text[cursor:start].strip():
            yield f"{where}: text before it belongs to no passage"
        if not same_span(text, start, end, passage_text):
            yield f"{where}: text differs from source.text[{start}:{end}]"
        cursor = max(cursor, end)
    if text[cursor:].strip():
        yield f"{source.slug}: text after the last passage belongs to no passage"

    quotes = (
        Quote.objects.filter(source_id=source.pk)
        .order_by("start", "pk")
        .values_list("pk", "start", "end", "text", "passage_id")
    )
    for pk, start, end, quote_text, passage_id in quotes.iterator(chunk_size=CHUNK_ROWS):
        if not same_span(text, start, end, quote_text):
            yield f"quote {pk}: text differs from its span in {source.slug}"
        if passage_id not in bounds:
            yield f"quote {pk}: its passage belongs to another source"
            continue
        n, first, last = bounds[passage_id]
        if not first <= start < end <= last:
            yield f"quote {pk}: span not inside passage ¶{n}"

    claims = (
        Claim.objects.filter(passage__source_id=source.pk)
        .order_by("start", "pk")
        .values_list("pk", "start", "end", "passage_id")
    )
    for pk, start, end, passage_id in claims.iterator(chunk_size=CHUNK_ROWS):
        n, first, last = bounds[passage_id]
        if start is None or end is None or not first <= start < end <= last:
            yield f"claim {pk}: evidence not inside passage ¶{n}"


def corpus_problems(progress: Callable[[Source], None] | None = None) -> Iterator[str]:
    """Every problem of every source, one source in memory at a time.

    ``progress`` is called with each source once it is checked (the command's progress bar).
    """
    for pk in list(Source.objects.order_by("pk").values_list("pk", flat=True)):
        source = Source.objects.filter(pk=pk).only("pk", "slug", "text", "sha256").first()
        if source is None:
            continue  # deleted while the check ran
        yield from source_problems(source)
        if progress is not None:
            progress(source)
        del source


def corpus_size() -> tuple[int, int]:
    """(sources, characters of text) to check: the progress bar's total, read from the
    database without loading any text."""
    from django.db.models import Count, Sum
    from django.db.models.functions import Length

    totals = Source.objects.aggregate(n=Count("pk"), chars=Sum(Length("text")))
    return totals["n"] or 0, totals["chars"] or 0
