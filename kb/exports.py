"""CSV and JSON Lines exports of a quote queryset (one filtered by the quote list's QuoteFilter).

Rows are streamed from ``QuerySet.iterator()`` in chunks, so a large export never holds
every quote in memory. The page exports (``kb.views.exports``) and the API's
(``kb.api.views.QuoteExport``) stream the same bytes from here; each checks its filters
its own way (plain text or JSON 400).

``paragraph`` is the passage's ¶ number in its source (as in ``passage_url``, the ¶'s
permalink ``/sources/<slug>/p/<n>/``), not the passage's database id that the API's
``passage`` fields hold. ``start``/``end`` are code-point offsets into the source's text
(Python string indices, as everywhere in the models).

The CSV starts with a UTF-8 byte order mark by default: Excel, which most readers open a
CSV with, reads a file without one in the system's legacy code page and garbles ’, ¶ and
every Chinese character; LibreOffice, Numbers, pandas (``encoding="utf-8-sig"``) and the
csv module read the mark as the UTF-8 it is. ``?bom=0`` leaves it out (a script that wants
plain UTF-8).

Principles export a claim a row (``principle_rows``), and quotes also export as a W3C Web
Annotation collection (``annotation_response``, JSON-LD) that annotation tools load.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.db.models import F, Value
from django.db.models.functions import Greatest, Substr
from django.http import StreamingHttpResponse
from django.urls import reverse

CHUNK = 500
COLUMNS = [
    "id",
    "url",
    "text",
    "speaker",
    "attribution",
    "themes",
    "source",
    "source_url",
    "source_year",
    "original_url",
    "paragraph",
    "passage_url",
    "featured",
    "status",
    # Added by #21 (after the earlier columns, so scripts reading by position keep working).
    "start",
    "end",
    "said_on",
    "said_on_precision",
    "attribution_status",
    "true_source",
    "statement_group",
]
PRINCIPLE_COLUMNS = [
    "principle_id",
    "principle",
    "principle_slug",
    "principle_url",
    "principle_status",
    "themes",
    "claim_id",
    "position",
    "claim",
    "evidence",
    "source",
    "source_url",
    "source_year",
    "original_url",
    "paragraph",
    "passage_url",
    "start",
    "end",
]
BOM = "\ufeff"
# The characters of the source's text kept on each side of a quote in a TextQuoteSelector
# (as Hypothesis does: enough to tell repeated words apart).
CONTEXT_CHARS = 32
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def passage_url(source, passage) -> str:
    """The ¶ permalink (``/sources/<slug>/p/<n>/``), not the source page's ``#p-n``."""
    return reverse("kb:passage", args=[source.slug, passage.number])


def rows(request, queryset) -> Iterator[dict]:
    absolute = request.build_absolute_uri
    for quote in queryset.iterator(chunk_size=CHUNK):
        source, passage = quote.source, quote.passage
        yield {
            "id": quote.pk,
            "url": absolute(quote.get_absolute_url()),
            "text": quote.text,
            "speaker": quote.speaker.name if quote.speaker_id else "",
            "attribution": quote.attribution,
            "themes": [theme.slug for theme in quote.themes.all()],
            "source": source.title,
            "source_url": absolute(source.get_absolute_url()),
            "source_year": source.year,
            "original_url": source.url,
            "paragraph": passage.number,
            "passage_url": absolute(passage_url(source, passage)),
            "featured": quote.featured,
            "status": quote.status,
            "start": quote.start,
            "end": quote.end,
            "said_on": said_on(quote),
            "said_on_precision": quote.said_on_precision if said_on(quote) else "",
            "attribution_status": quote.attribution_status,
            "true_source": quote.true_source,
            "statement_group": quote.statement_group_id,
        }


def said_on(quote) -> str | None:
    """``said_on`` as ISO (the first day of its month or year when that is all that is
    known); the source's date for a row imported without one."""
    day = quote.said_on or quote.source.published
    if day is None and quote.source.year:
        return f"{quote.source.year:04d}-01-01"
    return day.isoformat() if day else None


class Echo:
    """A file-like object whose ``write`` returns the line (csv.writer into a stream)."""

    def write(self, value):
        return value


def csv_cell(value) -> str | int:
    if isinstance(value, list):
        value = ";".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def wants_bom(request) -> bool:
    """A BOM unless ``?bom=0`` (or ``false``/``no``/``off``): see the module docstring."""
    return request.GET.get("bom", "1").strip().lower() not in ("0", "false", "no", "off")


def stream_csv(request, columns, records, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(Echo())

    def lines():
        header = writer.writerow(columns)
        yield (BOM + header) if wants_bom(request) else header
        for row in records:
            yield writer.writerow([csv_cell(row[name]) for name in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    return attachment(response, filename)


def stream_jsonl(records, filename: str) -> StreamingHttpResponse:
    def lines():
        for row in records:
            yield json.dumps(row, ensure_ascii=False) + "\n"

    response = StreamingHttpResponse(lines(), content_type="application/jsonl; charset=utf-8")
    return attachment(response, filename)


def csv_response(request, queryset) -> StreamingHttpResponse:
    """``queryset`` as a CSV attachment (a header row, then a quote a row), streamed."""
    return stream_csv(request, COLUMNS, rows(request, queryset), "quotes.csv")


def jsonl_response(request, queryset) -> StreamingHttpResponse:
    """``queryset`` as a JSON Lines attachment (an object a line), streamed."""
    return stream_jsonl(rows(request, queryset), "quotes.jsonl")


# Principles: a claim a row -----------------------------------------------------------------


def claims_of(principles):
    """The claims of ``principles`` with what a row needs, in the principles' order."""
    from kb.models import Claim

    return (
        Claim.objects.filter(principle__in=principles.order_by().values("pk"))
        .select_related("principle", "passage__source")
        .defer("passage__source__text")
        .order_by("principle__title", "principle_id", "position", "pk")
    )


def principle_rows(request, principles) -> Iterator[dict]:
    absolute = request.build_absolute_uri
    themes = {}
    for principle in principles.prefetch_related("themes"):
        themes[principle.pk] = sorted(theme.slug for theme in principle.themes.all())
    for claim in claims_of(principles).iterator(chunk_size=CHUNK):
        principle, passage = claim.principle, claim.passage
        source = passage.source if passage else None
        yield {
            "principle_id": principle.pk,
            "principle": principle.title,
            "principle_slug": principle.slug,
            "principle_url": absolute(principle.get_absolute_url()),
            "principle_status": principle.status,
            "themes": themes.get(principle.pk, []),
            "claim_id": claim.pk,
            "position": claim.position,
            "claim": claim.text,
            "evidence": claim.evidence_text,
            "source": source.title if source else "",
            "source_url": absolute(source.get_absolute_url()) if source else "",
            "source_year": source.year if source else None,
            "original_url": source.url if source else "",
            "paragraph": passage.number if passage else None,
            "passage_url": absolute(passage_url(source, passage)) if passage else "",
            "start": claim.start,
            "end": claim.end,
        }


def principles_csv_response(request, principles) -> StreamingHttpResponse:
    """Principles with their claims and evidence, a claim a row, as CSV."""
    return stream_csv(
        request, PRINCIPLE_COLUMNS, principle_rows(request, principles), "principles.csv"
    )


def principles_jsonl_response(request, principles) -> StreamingHttpResponse:
    """The same rows as JSON Lines."""
    return stream_jsonl(principle_rows(request, principles), "principles.jsonl")


# W3C Web Annotation (https://www.w3.org/TR/annotation-model/) ------------------------------

ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"


def with_context(queryset):
    """Annotate ``prefix_text``/``suffix_text``: up to CONTEXT_CHARS characters of the source
    text around each quote, cut by the database (the whole texts are never loaded)."""
    prefix_from = Greatest(F("start") - CONTEXT_CHARS + 1, Value(1))
    return queryset.annotate(
        prefix_text=Substr("source__text", prefix_from, F("start") + 1 - prefix_from),
        suffix_text=Substr("source__text", F("end") + 1, CONTEXT_CHARS),
    )


def annotation(request, quote) -> dict:
    """One quote as a W3C Web Annotation: a highlight of the exact words in the source, with
    a TextQuoteSelector (exact, prefix, suffix) and a TextPositionSelector (code-point
    offsets into the source's text), the speaker and themes as tagging bodies."""
    absolute = request.build_absolute_uri
    source = quote.source
    bodies = [
        {"type": "TextualBody", "purpose": "tagging", "value": theme.name}
        for theme in quote.themes.all()
    ]
    if quote.speaker_id:
        bodies.insert(
            0, {"type": "TextualBody", "purpose": "identifying", "value": quote.speaker.name}
        )
    if not quote.is_confirmed:
        note = f"Attribution {quote.attribution_status}: {quote.attribution_evidence}".strip()
        bodies.append({"type": "TextualBody", "purpose": "commenting", "value": note})
    item = {
        "@context": ANNOTATION_CONTEXT,
        "id": absolute(quote.get_absolute_url()),
        "type": "Annotation",
        "motivation": "highlighting",
        "created": quote.created.isoformat(),
        "modified": quote.updated.isoformat(),
        "target": {
            "source": absolute(source.get_absolute_url()),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": quote.text,
                    "prefix": quote.prefix_text or "",
                    "suffix": quote.suffix_text or "",
                },
                {"type": "TextPositionSelector", "start": quote.start, "end": quote.end},
            ],
        },
    }
    if source.url:
        item["target"]["scope"] = source.url
    if bodies:
        item["body"] = bodies
    return item


def annotation_response(request, queryset) -> StreamingHttpResponse:
    """``queryset`` as a W3C AnnotationCollection with one AnnotationPage (JSON-LD), streamed:
    ``application/ld+json`` with the Web Annotation profile."""
    url = request.build_absolute_uri()

    def chunks():
        head = {
            "@context": ANNOTATION_CONTEXT,
            "id": url,
            "type": "AnnotationCollection",
            "label": "Quotes of the Lei Jun knowledge base",
        }
        opening = json.dumps(head, ensure_ascii=False)[:-1]
        yield opening + ', "first": {"type": "AnnotationPage", "items": ['
        for n, quote in enumerate(with_context(queryset).iterator(chunk_size=CHUNK)):
            item = annotation(request, quote)
            del item["@context"]  # the collection's context covers its items
            yield ("," if n else "") + json.dumps(item, ensure_ascii=False)
        yield "]}}\n"

    response = StreamingHttpResponse(
        chunks(),
        content_type='application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
    )
    return attachment(response, "quotes.annotations.jsonld")
