"""The search page: the best hits of every type, or one type page by page, with facets."""

from django.shortcuts import render

from kb import search as engine
from kb.cache import fragment_key, lazy
from kb.search.query import parse
from kb.views.common import PER_PAGE, paginate

# Hits of each type on the overview (the "All" tab).
OVERVIEW_HITS = 5
TABS = [(kind, engine.TYPE_LABELS[kind][1].capitalize()) for kind in engine.TYPES]
EXAMPLES = ["Millet", "pricing", '"word of mouth"', "sincerity -price", "users OR friends"]


def _for_cards(hits):
    """Quote hits render with the shared quote card, showing the highlighted text."""
    for hit in hits:
        if hit.type == "quote":
            hit.obj.text = hit.snippet  # escaped text with <mark> only: see engine.markup
    return hits


def search(request):
    params = request.GET
    # Lazy: a cached fragment (kb.cache) runs no search; the title needs only the query.
    data = lazy(lambda: search_context(request))
    context = {
        key: lazy(lambda key=key: data[key])
        for key in ("results", "type", "bad_type", "tabs", "sections", "page", "filtered")
    }
    context["q"] = parse(params.get("q", "")).raw
    context["examples"] = EXAMPLES
    context["fragment"] = fragment_key(request, request.get_full_path())
    return render(request, "kb/search.html", context)


def search_context(request) -> dict:
    params = request.GET
    kind = params.get("type", "")
    bad_type = bool(kind) and kind not in engine.TYPES
    if bad_type:
        kind = ""
    results = engine.search(
        params.get("q", ""),
        types=() if kind else engine.TYPES,
        user=request.user,
        theme=params.get("theme") or None,
        speaker=params.get("speaker") or None,
        limit=OVERVIEW_HITS,
        # A type's tab shows what each facet keeps of that type: only its arms are counted.
        facets=(kind,) if kind else True,
    )
    page = None
    if kind:
        page = paginate(request, results.sequence((kind,)), per_page=PER_PAGE)
        _for_cards(page.object_list)
        sections = [
            {
                "type": kind,
                "label": engine.TYPE_LABELS[kind],
                "count": results.counts[kind],
                "capped": kind in results.capped,
                "hits": page.object_list,
            }
        ]
    else:
        sections = [
            {
                "type": t,
                "label": engine.TYPE_LABELS[t],
                "count": results.counts[t],
                "capped": t in results.capped,
                "hits": _for_cards(results.groups.get(t, [])),
            }
            for t in engine.TYPES
            if results.counts[t]
        ]
    context = {
        "results": results,
        "q": results.query,
        "type": kind,
        "bad_type": bad_type,
        "tabs": [
            {
                "type": t,
                "label": label,
                "count": results.counts[t],
                "capped": t in results.capped,
                "active": t == kind,
            }
            for t, label in TABS
        ],
        "sections": sections,
        "page": page,
        "filtered": results.theme is not None or results.speaker is not None,
        "examples": EXAMPLES,
    }
    return context
