"""What the index holds and answers at the edges: no invisible row, exact counts and facets
over every match, ranked pages that continue each other, limits and offsets of any size.
Each on the database under test (tests/search_index.py builds the index from it)."""

import pytest
from factories import small_corpus_fixture  # noqa: F401
from search_index import search_index_fixture  # noqa: F401

from kb import search
from kb.models import Passage, Quote, Status
from kb.search import documents

pytestmark = pytest.mark.django_db


def indexed(search_index, kind: str) -> int:
    import tantivy

    is_kind = tantivy.Query.term_query(documents.build_schema(), "type", kind)
    return search_index.searcher().search(is_kind, limit=1, count=True).count


def test_the_index_holds_only_what_readers_see(corpus, search_index):
    assert indexed(search_index, "passage") == Passage.objects.public().count() > 0
    assert indexed(search_index, "quote") == Quote.objects.published().count() > 0
    assert Passage.objects.filter(is_boilerplate=True).exists()
    assert Quote.objects.exclude(status=Status.PUBLISHED).exists()


def test_a_change_gives_the_documents_it_affects(small_corpus):
    # A quote's themes are facets of its passage and its source: all three are rebuilt.
    keys = {key for key, _ in documents.documents_for([("quote", small_corpus.q_price.pk)])}
    assert keys == {
        f"quote:{small_corpus.q_price.pk}",
        f"passage:{small_corpus.p_price.pk}",
        f"source:{small_corpus.interview.pk}",
    }
    # A theme's name is searched in its quotes and principles.
    by_theme = {key for key, _ in documents.documents_for([("theme", small_corpus.focus.pk)])}
    assert f"principle:{small_corpus.principle.pk}" in by_theme
    assert f"quote:{small_corpus.q_focus.pk}" in by_theme
    # Invisible or gone: deleted from the index.
    changes = [("quote", small_corpus.q_draft.pk), ("passage", small_corpus.p_chrome.pk)]
    gone = dict(documents.documents_for([*changes, ("quote", 10**9)]))
    assert gone[f"quote:{small_corpus.q_draft.pk}"] is None
    assert gone[f"passage:{small_corpus.p_chrome.pk}"] is None
    assert gone[f"quote:{10**9}"] is None
    assert list(documents.documents_for([("alias", 1)])) == []
    with pytest.raises(ValueError, match="Unknown change kind"):
        list(documents.documents_for([("nonsense", 1)]))


def test_all_changes_rebuild_every_document(corpus):
    keys = {key for key, doc in documents.documents_for(documents.all_changes()) if doc}
    assert len([k for k in keys if k.startswith("passage:")]) == Passage.objects.public().count()
    assert len([k for k in keys if k.startswith("quote:")]) == Quote.objects.published().count()


def test_counts_are_exact_for_every_type(corpus, search_index):
    results = search.search("Millet")
    for kind in search.TYPES:
        listed = results.sequence((kind,))[: results.counts[kind] + 10]
        assert len(listed) == results.counts[kind], kind


def test_facets_count_every_arm_exactly(corpus, search_index):
    results = search.search("Millet")
    kinds_counted = set()
    for name in ("theme", "speaker"):
        for facet in results.facets[name]:
            narrowed = search.search("Millet", **{name: facet.slug}).counts
            assert facet.count == sum(narrowed.values()), facet.slug
            kinds_counted |= {(name, k) for k, n in narrowed.items() if n}
    # A theme's passages and sources (holding a quote with it), a speaker's sources.
    assert {("theme", "source"), ("theme", "passage"), ("speaker", "source")} <= kinds_counted
    assert results.facets["kind"] and results.facets["year"] and results.facets["source"]


def test_facets_of_a_tab_count_its_type_only(corpus, search_index):
    passages = search.search("Millet", types=(), facets=("passage",)).facets
    assert passages["speaker"] and passages["theme"]
    for name in ("theme", "speaker"):
        for facet in passages[name]:
            narrowed = search.search("Millet", **{name: facet.slug}, facets=False)
            assert facet.count == narrowed.counts["passage"], facet.slug
    assert search.search("Millet", facets=False).facets == {}
    with pytest.raises(ValueError, match="Unknown search type"):
        search.search("Millet", facets=("quotes",))


def test_the_value_filtered_on_is_always_listed(corpus, search_index, monkeypatch):
    monkeypatch.setattr(search, "FACET_SHOWN", 1)
    last = search.search("Millet").facets["theme"]
    assert len(last) == 1
    every = {f.slug for f in search.search("Millet", facets=("quote",)).facets["theme"]}
    monkeypatch.setattr(search, "FACET_SHOWN", 50)
    rare = search.search("Millet").facets["theme"][-1]
    monkeypatch.setattr(search, "FACET_SHOWN", 1)
    chosen = search.search("Millet", theme=rare.slug).facets["theme"]
    assert rare.slug in {f.slug for f in chosen if f.active} and every


def test_hits_come_best_first_and_pages_continue_each_other(corpus, search_index):
    results = search.search("Millet", types=("quote", "passage"), limit=50)
    for kind in ("quote", "passage"):
        ranks = [hit.rank for hit in results.groups[kind]]
        assert ranks and ranks == sorted(ranks, reverse=True)
    first = [hit.id for hit in search.search("Millet", types=("quote",), limit=4).hits]
    rest = [hit.id for hit in search.search("Millet", types=("quote",), limit=4, offset=4).hits]
    assert first + rest == [hit.id for hit in results.groups["quote"]][:8]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (1, 10**6), (10**4, 0), (5, 10**9)])
def test_any_limit_and_offset(corpus, search_index, limit, offset):
    results = search.search("Millet", limit=limit, offset=offset)
    assert results.total > 0
    assert len(results.hits) <= max(limit, 0) * len(search.TYPES)
    assert search.search("Millet").sequence()[10**6 : 10**6 + 5] == []
