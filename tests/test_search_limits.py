"""What keeps a search of a common word cheap at a million passages (bench search):
boilerplate passages out of the index, counts that stop at a limit, facets counted in a
sample, and the page's rows fetched after ranking. Each on the database under test.
"""

import pytest
from django.db import connection
from django.test import Client

from kb import search
from kb.models import Passage

pytestmark = pytest.mark.django_db


def indexed_passage_ids() -> set[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT rowid FROM kb_search_passage")
        else:
            cursor.execute("SELECT id FROM kb_passage WHERE search_vector IS NOT NULL")
        return {row[0] for row in cursor.fetchall()}


def test_the_index_holds_no_boilerplate_passage(corpus):
    chrome = set(Passage.objects.filter(is_boilerplate=True).values_list("pk", flat=True))
    readable = set(Passage.objects.filter(is_boilerplate=False).values_list("pk", flat=True))
    assert chrome and readable
    assert indexed_passage_ids() == readable


def test_marking_a_passage_boilerplate_takes_it_out_of_the_index_and_back(corpus):
    passage = Passage.objects.filter(is_boilerplate=False, text__icontains="sincer").first()
    found = {hit.id for hit in search.search("sincere", types=("passage",), limit=100).hits}
    assert passage.pk in found
    passage.is_boilerplate = True
    passage.save()
    assert passage.pk not in indexed_passage_ids()
    found = {hit.id for hit in search.search("sincere", types=("passage",), limit=100).hits}
    assert passage.pk not in found
    passage.is_boilerplate = False
    passage.save()
    assert passage.pk in indexed_passage_ids()
    found = {hit.id for hit in search.search("sincere", types=("passage",), limit=100).hits}
    assert passage.pk in found


def test_counts_stop_at_the_limit_and_say_so(corpus):
    exact = search.search("Millet", count_limit=None)
    assert exact.counts["quote"] > 3 and not exact.capped
    capped = search.search("Millet", count_limit=3)
    assert capped.counts["quote"] == 3
    assert "quote" in capped.capped and capped.total_capped
    assert capped.sequence(("quote",)).capped
    small = {kind for kind, n in exact.counts.items() if 0 < n <= 3}
    assert not small & capped.capped
    for kind in small:
        assert capped.counts[kind] == exact.counts[kind]


def test_the_page_shows_a_capped_count_with_a_plus(client, corpus, monkeypatch):
    exact = search.search("Millet", count_limit=None).counts["quote"]
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    html = client.get("/search/", {"q": "Millet"}).content.decode()
    assert '<span class="count">3+</span>' in html
    assert "More than " in html
    html = client.get("/search/", {"q": "Millet", "type": "quote"}).content.decode()
    assert '<span class="count">3+</span>' in html
    assert "More than 3 quotes for “Millet”" in html  # the tab's own count, capped
    # (a facet may show more: facets count their own sample of FACET_SAMPLE matches)
    tabs = html[html.index('class="search-tabs"') : html.index('role="status"')]
    assert f'<span class="count">{exact}</span>' not in tabs


def test_the_api_counts_every_match(corpus, monkeypatch):
    exact = search.search("Millet", count_limit=None).counts["quote"]
    monkeypatch.setattr(search, "COUNT_LIMIT", 1)
    body = Client().get("/api/search/", {"q": "Millet", "type": "quote"}).json()
    assert body["count"] == exact > 1


def test_facets_are_exact_below_the_sample_and_marked_above(client, corpus, monkeypatch):
    results = search.search("Millet")
    assert not results.facets_sampled
    assert results.facets["theme"] and results.facets["speaker"]
    # Below the sample a facet counts what choosing it keeps, of every type: a theme's
    # passages and sources too (those holding a matching quote with it), a speaker's
    # principles and sources too (citing or holding a passage of theirs).
    kinds_counted = set()
    for name in ("theme", "speaker"):
        for facet in results.facets[name]:
            narrowed = search.search("Millet", **{name: facet.slug}).counts
            assert facet.by_type == {k: n for k, n in narrowed.items() if n}, facet.slug
            assert facet.count == sum(narrowed.values())
            kinds_counted |= {(name, k) for k, n in narrowed.items() if n}
    # The corpus exercises the arms beyond quotes (not only the easy ones).
    assert {("theme", "source"), ("theme", "passage"), ("speaker", "source")} <= kinds_counted
    monkeypatch.setattr(search, "FACET_SAMPLE", 2)
    sampled = search.search("Millet")
    assert sampled.facets_sampled
    for facet in sampled.facets["speaker"]:
        assert all(n <= 2 for n in facet.by_type.values())  # two rows of each type at most
    assert sampled.counts == results.counts
    html = client.get("/search/", {"q": "Millet"}).content.decode()
    assert "Counted in the first 2 matches of each kind." in html


def test_facets_of_some_types_count_those_types_only(corpus):
    every = search.search("Millet").facets
    passages = search.search("Millet", facets=("passage",)).facets
    assert passages["speaker"] and passages["theme"]
    for name in ("theme", "speaker"):
        expected = {f.slug: f.by_type["passage"] for f in every[name] if "passage" in f.by_type}
        assert {f.slug: f.by_type for f in passages[name]} == {
            slug: {"passage": n} for slug, n in expected.items()
        }
    assert search.search("Millet", facets=False).facets == {"theme": [], "speaker": []}
    with pytest.raises(ValueError, match="Unknown search type"):
        search.search("Millet", facets=("quotes",))


def test_a_filtered_facet_sample_is_measured_by_the_query(corpus, monkeypatch):
    # With a theme chosen, the theme facet's rows are not the search's own: the query
    # counts that sample itself.
    theme = search.search("Millet").facets["theme"][0]
    monkeypatch.setattr(search, "FACET_SAMPLE", 1)
    assert search.search("Millet", theme=theme.slug).facets_sampled
    monkeypatch.setattr(search, "FACET_SAMPLE", 10_000)
    assert not search.search("Millet", theme=theme.slug).facets_sampled


def test_hits_come_best_first_with_their_rank_and_highlight(corpus):
    results = search.search("Millet", types=("quote", "passage"), limit=50)
    for kind in ("quote", "passage"):
        hits = results.groups[kind]
        assert hits
        ranks = [hit.rank for hit in hits]
        assert ranks == sorted(ranks, reverse=True)
        # A quote also matches by its themes and its source's title: marks where the word is.
        saying = [
            hit for hit in hits if any(w in hit.obj.text.lower() for w in ("millet", "xiaomi"))
        ]
        assert saying and all("<mark>" in str(hit.snippet) for hit in saying)
    # Paging continues the same order.
    first = [hit.id for hit in search.search("Millet", types=("quote",), limit=4).hits]
    rest = [hit.id for hit in search.search("Millet", types=("quote",), limit=4, offset=4).hits]
    every = [hit.id for hit in results.groups["quote"]]
    assert first + rest == every[:8]


@pytest.mark.parametrize("query", ["Millet", '"word of mouth"', "price -sincerity"])
def test_ranking_among_the_counted_ids_gives_the_same_hits(corpus, query):
    # With a count limit, the counting query may hand every match's id to the ranking
    # (PostgreSQL); without one, the ranking checks the index itself. Same hits, same order.
    among_counted = search.search(query, limit=100)
    from_the_index = search.search(query, limit=100, count_limit=None)
    assert among_counted.counts == from_the_index.counts
    assert among_counted.total
    for kind in search.TYPES:
        assert [(h.id, round(h.rank, 6)) for h in among_counted.groups[kind]] == [
            (h.id, round(h.rank, 6)) for h in from_the_index.groups[kind]
        ]
    if connection.vendor == "postgresql":
        assert among_counted.runner.known_ids and not from_the_index.runner.known_ids
