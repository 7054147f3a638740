"""The quote list's CSV and JSON Lines downloads (``/quotes/export.csv``, ``.jsonl``).

Readers export published quotes; staff also get drafts (with their status), as on the list.
Invalid filters answer 400 with a plain-text explanation. The rows are ``kb.exports``'.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from kb import exports
from kb.filters import quote_filterset


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


@require_safe
def quote_export_csv(request):
    queryset, error = filtered_quotes(request)
    return error or exports.csv_response(request, queryset)


@require_safe
def quote_export_jsonl(request):
    queryset, error = filtered_quotes(request)
    return error or exports.jsonl_response(request, queryset)
