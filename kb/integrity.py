"""Checks that nothing drifted: passages tile their source, quotes and claims are exact spans.

Also that each source's text still has the sha256 it was stored with (the importer's
identity of a text), so a text changed behind the application's back is named too.
"""

import hashlib
from collections.abc import Iterator

from kb.models import Claim, Quote, Source


def source_problems(source: Source) -> Iterator[str]:
    text = source.text
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != source.sha256:
        yield f"{source.slug}: text does not match its sha256 (changed since it was stored)"
    cursor = 0
    for number, (n, start, end, passage_text) in enumerate(
        source.passages.order_by("number").values_list("number", "start", "end", "text"), 1
    ):
        where = f"{source.slug} ¶{n}"
        if n != number:
            yield f"{where}: passages are not numbered 1, 2, 3 …"
        if start < cursor:
            yield f"{where}: overlaps the passage before"
        elif text[cursor:start].strip():
            yield f"{where}: text before it belongs to no passage"
        if text[start:end] != passage_text:
            yield f"{where}: text differs from source.text[{start}:{end}]"
        cursor = max(cursor, end)
    if text[cursor:].strip():
        yield f"{source.slug}: text after the last passage belongs to no passage"


def corpus_problems() -> Iterator[str]:
    for source in Source.objects.only("slug", "text", "sha256").iterator(chunk_size=50):
        yield from source_problems(source)
    for quote in Quote.objects.select_related("source", "passage").iterator(chunk_size=500):
        if quote.source.text[quote.start : quote.end] != quote.text:
            yield f"quote {quote.pk}: text differs from its span in {quote.source.slug}"
        if quote.passage.source_id != quote.source_id:
            yield f"quote {quote.pk}: its passage belongs to another source"
        elif not quote.passage.contains(quote.start, quote.end):
            yield f"quote {quote.pk}: span not inside passage ¶{quote.passage.number}"
    for claim in Claim.objects.filter(passage__isnull=False).select_related("passage"):
        if not claim.passage.contains(claim.start, claim.end):
            yield f"claim {claim.pk}: evidence not inside passage ¶{claim.passage.number}"
