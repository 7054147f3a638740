"""CSV and JSON Lines exports of a quote queryset (one filtered by the quote list's QuoteFilter).

Rows are streamed from ``QuerySet.iterator()`` in chunks, so a large export never holds
every quote in memory. The page exports (``kb.views.exports``) and the API's
(``kb.api.views.QuoteExport``) stream the same bytes from here; each checks its filters
its own way (plain text or JSON 400).

``paragraph`` is the passage's ¶ number in its source (as in ``passage_url``'s ``#p-n``),
not the passage's database id that the API's ``passage`` fields hold.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.http import StreamingHttpResponse

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
]
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
            "passage_url": absolute(f"{source.get_absolute_url()}#p-{passage.number}"),
            "featured": quote.featured,
            "status": quote.status,
        }


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


def csv_response(request, queryset) -> StreamingHttpResponse:
    """``queryset`` as a CSV attachment (a header row, then a quote a row), streamed."""
    writer = csv.writer(Echo())

    def lines():
        yield writer.writerow(COLUMNS)
        for row in rows(request, queryset):
            yield writer.writerow([csv_cell(row[name]) for name in COLUMNS])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    return attachment(response, "quotes.csv")


def jsonl_response(request, queryset) -> StreamingHttpResponse:
    """``queryset`` as a JSON Lines attachment (an object a line), streamed."""

    def lines():
        for row in rows(request, queryset):
            yield json.dumps(row, ensure_ascii=False) + "\n"

    response = StreamingHttpResponse(lines(), content_type="application/jsonl; charset=utf-8")
    return attachment(response, "quotes.jsonl")
