"""The search page: the best hits of every type, or one type page by page, with facets."""

from django.shortcuts import render
from django.utils.cache import patch_cache_control

from kb import search as engine
from kb.cache import reads_params
from kb.search.query import parse
from kb.views.common import PER_PAGE, paginate

# Hits of each type on the overview (the "All" tab).
OVERVIEW_HITS = 5
TABS = [(kind, engine.TYPE_LABELS[kind][1].capitalize()) for kind in engine.TYPES]
EXAMPLES = ["Millet", "pricing", '"word of mouth"', "sincerity -price", "users OR friends"]


@reads_params("q", "type", "page", *engine.FACETS)
def search(request):
    params = request.GET
    q = parse(params.get("q", "")).raw
    try:
        context = search_context(request)
    except engine.SearchUnavailable:
        context = {"q": q, "unavailable": True}
        response = render(request, "kb/search.html", context, status=503)
        response["Retry-After"] = "30"
    else:
        response = render(request, "kb/search.html", context)
    # The index follows the database by a second or two: a page kept under the content
    # token (kb.cache) could keep a result the index had not caught up with yet.
    patch_cache_control(response, no_store=True)
    return response


def _sections(results, kind: str, page) -> list[dict]:
    kinds = [kind] if kind else [t for t in engine.TYPES if results.counts[t]]
    return [
        {
            "type": t,
            "label": engine.TYPE_LABELS[t],
            "count": results.counts[t],
            "hits": page.object_list if page is not None else results.groups.get(t, []),
        }
        for t in kinds
    ]


def _link(params, name: str, value: str | None) -> str:
    """The query string with ``name`` set to ``value`` (removed when None), page 1."""
    query = params.copy()
    query.pop("page", None)
    if value is None:
        query.pop(name, None)
    else:
        query[name] = value
    return "?" + query.urlencode()


def _facet_groups(params, results) -> list[dict]:
    return [
        {
            "name": name,
            "label": engine.FACET_LABELS[name],
            "values": [
                {"facet": facet, "href": _link(params, name, None if facet.active else facet.slug)}
                for facet in results.facets[name]
            ],
        }
        for name in engine.FACETS
        if results.facets.get(name)
    ]


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
        **{name: params.get(name) or None for name in engine.FACETS},
        limit=OVERVIEW_HITS,
        # A type's tab shows what each facet keeps of that type only.
        facets=(kind,) if kind else True,
    )
    page = paginate(request, results.sequence((kind,)), per_page=PER_PAGE) if kind else None
    return {
        "results": results,
        "q": results.query,
        "type": kind,
        "bad_type": bad_type,
        "tabs": [
            {"type": t, "label": label, "count": results.counts[t], "active": t == kind}
            for t, label in TABS
        ],
        "sections": _sections(results, kind, page),
        "page": page,
        "filtered": results.filtered,
        "chips": [
            {"label": f"{engine.FACET_LABELS[name]}: {label}", "href": _link(params, name, None)}
            for name, label in results.filters
        ],
        "facet_groups": _facet_groups(params, results),
        "without_filters": _without_filters(params),
        "examples": EXAMPLES,
    }


def _without_filters(params) -> str:
    query = params.copy()
    for name in ("page", *engine.FACETS):
        query.pop(name, None)
    return "?" + query.urlencode()
