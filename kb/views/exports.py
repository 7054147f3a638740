"""The downloads: the quote list's CSV, JSON Lines and W3C Web Annotations
(``/quotes/export.csv``, ``.jsonl``, ``.annotations.jsonld``) and the principles with their
claims and evidence (``/principles/export.csv``, ``.jsonl``).

Readers export published quotes; staff also get drafts (with their status), as on the list.
Invalid filters answer 400 with a plain-text explanation. The rows are ``kb.exports``'.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from kb import exports
from kb.filters import quote_filterset
from kb.models import Principle


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


@require_safe
def quote_export_annotations(request):
    """The filtered quotes as a W3C Web Annotation collection (JSON-LD)."""
    queryset, error = filtered_quotes(request)
    return error or exports.annotation_response(request, queryset)


def visible_principles(request):
    return Principle.objects.visible_to(request.user).order_by("title", "pk")


@require_safe
def principle_export_csv(request):
    """Principles readers may see, with their claims and evidence, a claim a row."""
    return exports.principles_csv_response(request, visible_principles(request))


@require_safe
def principle_export_jsonl(request):
    return exports.principles_jsonl_response(request, visible_principles(request))
