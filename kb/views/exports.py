"""CSV and JSON Lines exports of a filtered quote list (the quote list's QuoteFilter).

Rows are streamed from ``QuerySet.iterator()`` in chunks, so a large export never holds
every quote in memory. Readers export published quotes; staff also get drafts (with their
status), as on the list. Invalid filters answer 400 with a plain-text explanation.

``paragraph`` is the passage's ¶ number in its source (as in ``passage_url``'s ``#p-n``),
not the passage's database id that the API's ``passage`` fields hold.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from kb.views.quotes import quote_filterset

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


def filtered_quotes(request):
    """The filtered queryset, or a 400 response that says which filters are wrong."""
    filterset = quote_filterset(request)
    if filterset.is_valid():
        return filterset.qs, None
    lines = ["These filters are not valid, so nothing was exported:"]
    for name, errors in filterset.form.errors.items():
        values = ", ".join(request.GET.getlist(name)) or "(empty)"
        lines.extend(f"- {name}={values}: {error}" for error in errors)
    lines.append("Fix or remove them; the quote list page shows the same filters as a form.")
    body = "\n".join(lines) + "\n"
    return None, HttpResponse(body, status=400, content_type="text/plain; charset=utf-8")


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


@require_safe
def quote_export_csv(request):
    queryset, error = filtered_quotes(request)
    if error:
        return error
    writer = csv.writer(Echo())

    def lines():
        yield writer.writerow(COLUMNS)
        for row in rows(request, queryset):
            yield writer.writerow([csv_cell(row[name]) for name in COLUMNS])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    return attachment(response, "quotes.csv")


@require_safe
def quote_export_jsonl(request):
    queryset, error = filtered_quotes(request)
    if error:
        return error

    def lines():
        for row in rows(request, queryset):
            yield json.dumps(row, ensure_ascii=False) + "\n"

    response = StreamingHttpResponse(lines(), content_type="application/jsonl; charset=utf-8")
    return attachment(response, "quotes.jsonl")
