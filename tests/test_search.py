"""kb.search on the tantivy index: matching, ranking, aliases, Chinese, typos, facets,
visibility. Every test runs on the database under test (SQLite or PostgreSQL: the
documents and the re-check read it)."""

import re

import pytest
from factories import build_source, make_quote, small_corpus_fixture  # noqa: F401
from search_index import search_index_fixture  # noqa: F401

from kb import search
from kb.models import Passage, Person, Quote, SearchAlias, Source, Status
from kb.search.query import Any, Phrase, parse, phrases

pytestmark = pytest.mark.django_db


def ids(results, kind):
    return [hit.id for hit in results.sequence((kind,))[:1000]]


# --- the query language ------------------------------------------------------------------


def test_it_parses_words_phrases_or_prefixes_and_exclusions():
    query = parse('sincere "word of mouth" users OR friends pric* -price -"tipping point"')
    assert query.positive == [
        Phrase(("sincere",)),
        Phrase(("word", "of", "mouth")),
        Any((Phrase(("users",)), Phrase(("friends",)))),
        Phrase(("pric",), prefix=True),
    ]
    assert query.negative == [Phrase(("price",)), Phrase(("tipping", "point"))]


def test_it_folds_traditional_characters_in_the_words():
    assert parse("雷軍").positive == parse("雷军").positive == [Phrase(("雷军",))]


@pytest.mark.parametrize(
    "raw",
    [
        '"unbalanced',
        "NEAR(a b",
        "a* ^b c:d",
        "((x)",
        "OR",
        "-",
        '-"',
        "",
        "   ",
        "\x00",
        "title:x AND y",
        "*",
        "x" * 10_000,
        "text:[a TO z]",
        "a~2",
        "'; DROP TABLE kb_quote; --",
    ],
)
def test_it_parses_any_string_into_plain_words(raw):
    query = parse(raw)
    for node in query.positive + query.negative:
        for phrase in phrases(node):
            assert phrase.words and all(re.fullmatch(r"[^\W_]+", w) for w in phrase.words)


def test_it_bounds_the_number_of_words():
    query = parse(" ".join(f"word{i}" for i in range(100)))
    assert len(query.words()) == search.MAX_TERMS
    assert len(parse("y" * 10_000).words()[0]) <= 64


# --- matching and ranking ----------------------------------------------------------------


def test_it_finds_each_type_with_stems(small_corpus, search_index):
    results = search.search("products")
    assert small_corpus.q_focus.pk in ids(results, "quote")
    assert small_corpus.p_focus.pk in ids(results, "passage")
    assert ids(results, "principle") == [small_corpus.principle.pk]  # "products" in its summary
    # "product" and "products" are one stem
    assert search.search("product").counts == results.counts


def test_a_quote_does_not_match_through_its_source_title(small_corpus, search_index):
    # "Millet" is in the essay's title and its passage, not in the essay's quote.
    results = search.search("Millet", types=("quote", "source"))
    assert small_corpus.q_essay.pk not in ids(results, "quote")
    assert small_corpus.essay.pk in ids(results, "source")


def test_a_quote_matching_in_its_own_words_ranks_first(small_corpus, search_index):
    lei, pricing = small_corpus.lei, small_corpus.pricing
    source, (passage,) = build_source(
        "Two more",
        [("lei", False, "Pricing matters to us. Another sentence about nothing at all.")],
        speakers={"lei": lei},
    )
    by_words = make_quote(passage, "Pricing matters to us.", speaker=lei)
    by_theme = make_quote(passage, "Another sentence about nothing at all.", themes=[pricing])
    search_index.refresh()
    ranked = ids(search.search("pricing"), "quote")
    assert ranked.index(by_words.pk) < ranked.index(by_theme.pk)
    hit = next(h for h in search.search("pricing").sequence(("quote",))[:50] if h.id == by_theme.pk)
    assert hit.matched == "theme Pricing" and "<mark>" not in hit.snippet


def test_phrases_need_the_words_together(small_corpus, search_index):
    assert small_corpus.q_essay.pk in ids(search.search('"word of mouth"'), "quote")
    assert ids(search.search('"mouth of word"'), "quote") == []


def test_or_and_exclusion(small_corpus, search_index):
    either = set(ids(search.search("sincerity OR ultimate"), "quote"))
    assert {small_corpus.q_price.pk, small_corpus.q_essay.pk} <= either
    assert small_corpus.q_essay.pk not in ids(search.search("focus -ultimate"), "quote")
    assert small_corpus.q_focus.pk in ids(search.search("focus -ultimate"), "quote")


def test_a_prefix_finds_the_words_it_starts(small_corpus, search_index):
    assert small_corpus.q_focus.pk in ids(search.search("produ*"), "quote")
    assert small_corpus.q_price.pk in ids(search.search("sincer*"), "quote")
    assert ids(search.search("zzq*"), "quote") == []


def test_a_misspelt_word_is_searched_fuzzily_and_said(small_corpus, search_index):
    results = search.search("sincerety")
    assert small_corpus.q_price.pk in ids(results, "quote")
    assert results.corrected == "sincerity"
    assert "<mark>sincerity</mark>" in next(iter(results.groups["quote"])).snippet
    exact = search.search("sincerity")
    assert exact.corrected is None
    assert search.search("sincerety", fuzzy=False).total == 0


def test_aliases_are_expanded_both_ways(small_corpus, search_index):
    SearchAlias.objects.create(term="Millet", means="Xiaomi")
    millet, xiaomi = search.search("millet"), search.search("xiaomi")
    assert small_corpus.p_question.pk in ids(millet, "passage")  # says "Xiaomi"
    assert small_corpus.p_focus.pk in ids(xiaomi, "passage")  # says "Millet"
    assert millet.counts == xiaomi.counts


def test_an_alias_from_chinese_to_english(small_corpus, search_index):
    SearchAlias.objects.create(term="雷军", means="Lei Jun")
    results = search.search("雷軍")  # traditional, folded
    assert small_corpus.p_focus.pk in ids(results, "passage")  # "lei jun: We focus…"


# --- Chinese -------------------------------------------------------------------------------


@pytest.fixture
def chinese(small_corpus):
    lei = small_corpus.lei
    source, (simplified, traditional) = build_source(
        "雷军谈产品",
        [
            ("lei", False, "小米发布了OLED,CyberDog仿生机器狗，价格很厚道。"),
            ("lei", False, "我們說過，產品要做到極致。"),
        ],
        speakers={"lei": lei},
        language="zh",
    )
    return source, simplified, traditional


def test_a_chinese_word_inside_a_longer_run(chinese, search_index):
    _, simplified, _ = chinese
    for query in ("仿生", "机器狗", "价格", "CyberDog", "cyberdog", "OLED"):
        assert simplified.pk in ids(search.search(query), "passage"), query
    assert ids(search.search("狗机器"), "passage") == []  # the characters in order only


def test_simplified_and_traditional_find_each_other(chinese, search_index):
    _, simplified, traditional = chinese
    assert traditional.pk in ids(search.search("产品"), "passage")  # text says 產品
    assert simplified.pk in ids(search.search("價格"), "passage")  # text says 价格
    hit = search.search("产品").groups["passage"][0]
    assert "<mark>產品</mark>" in hit.snippet  # the original characters, marked


# --- facets and filters --------------------------------------------------------------------


@pytest.mark.parametrize("query", ["focus", "millet", "sincerity OR products", "lei"])
def test_facet_counts_equal_the_narrowed_counts(small_corpus, search_index, query):
    results = search.search(query)
    assert results.total
    checked = 0
    for name, facets in results.facets.items():
        for facet in facets:
            narrowed = search.search(query, **{name: facet.slug}, facets=False)
            assert facet.count == narrowed.total, (name, facet.slug)
            # on a type's tab, a facet counts that type
            tab = search.search(query, types=(), facets=("passage",))
            for value in tab.facets.get(name, []):
                if value.slug == facet.slug:
                    assert value.count == narrowed.counts["passage"], (name, facet.slug)
            checked += 1
    assert checked >= 4


def test_a_filter_keeps_its_own_facet_whole(small_corpus, search_index):
    results = search.search("focus", theme="pricing")
    themes = {facet.slug: facet for facet in results.facets["theme"]}
    assert themes["pricing"].active and "focus" in themes  # another theme to switch to
    assert results.counts["quote"] == 1  # the essay's quote has both themes


def test_unknown_filter_values_are_reported_not_applied(small_corpus, search_index):
    results = search.search("focus", theme="no-such", year="19x", kind="poem", source="nope")
    assert set(results.unknown) == {"theme", "year", "kind", "source"}
    assert results.counts == search.search("focus").counts


def test_filters_by_source_kind_and_year(small_corpus, search_index):
    assert ids(search.search("focus", kind="essay"), "quote") == [small_corpus.q_essay.pk]
    assert ids(search.search("focus", year="2014"), "quote") == [small_corpus.q_focus.pk]
    narrowed = search.search("focus", source=small_corpus.essay.slug)
    assert ids(narrowed, "passage") == [small_corpus.essay_passage.pk]


# --- visibility ----------------------------------------------------------------------------


def test_drafts_boilerplate_and_superseded_are_not_found(small_corpus, search_index):
    assert small_corpus.q_draft.pk not in ids(search.search("listen users"), "quote")
    assert ids(search.search("Login Example Media"), "passage") == []  # page chrome
    assert small_corpus.draft_principle.pk not in ids(search.search("listen"), "principle")
    newer = Source.objects.create(title="Lei Jun on focus, v2", text="New text.")
    Source.objects.filter(pk=small_corpus.interview.pk).update(superseded_by=newer)
    search_index.refresh()
    results = search.search("focus")
    assert small_corpus.interview.pk not in ids(results, "source")
    assert small_corpus.p_focus.pk not in ids(results, "passage")


def test_the_database_is_checked_again_before_the_index_follows(small_corpus, search_index):
    search_index.pause()
    Quote.objects.filter(pk=small_corpus.q_price.pk).update(status=Status.DRAFT)
    Passage.objects.filter(pk=small_corpus.p_price.pk).update(is_boilerplate=True)
    results = search.search("sincerity")  # the index still has both
    assert small_corpus.q_price.pk not in ids(results, "quote")
    assert small_corpus.p_price.pk not in ids(results, "passage")


def test_draft_people_are_not_searched_by_name(small_corpus, search_index):
    Person.objects.filter(pk=small_corpus.interviewer.pk).update(status=Status.DRAFT)
    search_index.refresh()
    assert ids(search.search("Fortune interviewer"), "passage") == []
    assert "speaker" not in search.search("Xiaomi").facets or all(
        f.slug != "fortune-interviewer" for f in search.search("Xiaomi").facets["speaker"]
    )


# --- snippets --------------------------------------------------------------------------------


def test_snippets_escape_the_text_and_mark_the_words(small_corpus, search_index):
    hit = search.search("comments").groups["passage"][0]
    assert "&lt;script&gt;" in hit.snippet and "<script>" not in hit.snippet
    assert "<mark>comments</mark>" in hit.snippet
    # the row itself is never rewritten with markup
    assert "<mark>" not in Passage.objects.get(pk=hit.id).text and "<mark>" not in hit.obj.text


def test_a_long_passage_is_cut_around_the_match(small_corpus, search_index):
    filler = " ".join(f"word{i}" for i in range(200))
    source, (passage,) = build_source(
        "Long", [("lei", False, f"{filler} needle {filler}")], speakers={}
    )
    search_index.refresh()
    snippet = search.search("needle").groups["passage"][0].snippet
    assert "<mark>needle</mark>" in snippet
    assert len(snippet) < 500 and snippet.startswith("…") and snippet.endswith("…")


# --- the quote list's q, related content, an unavailable index ------------------------------


def test_filter_quotes_keeps_the_querysets_order(small_corpus, search_index):
    queryset = Quote.objects.published().order_by("-pk")
    found = list(search.filter_quotes(queryset, "focus").values_list("pk", flat=True))
    assert found == sorted({small_corpus.q_focus.pk, small_corpus.q_essay.pk}, reverse=True)
    assert search.filter_quotes(queryset, "  ").count() == queryset.count()
    without = search.filter_quotes(queryset, "-focus")
    assert small_corpus.q_focus.pk not in without.values_list("pk", flat=True)
    assert small_corpus.q_price.pk in without.values_list("pk", flat=True)


def test_related_quotes_say_something_alike(small_corpus, search_index):
    lei = small_corpus.lei
    source, (passage,) = build_source(
        "More",
        [("lei", False, "Few products, each one great: focus. The weather was cold.")],
        speakers={"lei": lei},
    )
    alike = make_quote(passage, "Few products, each one great: focus.", speaker=lei)
    unlike = make_quote(passage, "The weather was cold.", speaker=lei)
    search_index.refresh()
    related = search.related_quotes(small_corpus.q_focus, limit=3)
    assert alike in related and unlike not in related and small_corpus.q_focus not in related
    assert small_corpus.p_focus not in search.related_passages(small_corpus.p_focus)


def test_an_index_not_built_is_unavailable(small_corpus, settings, tmp_path):
    from kb.search import index

    settings.KB_SEARCH_INDEX = tmp_path / "nothing-here"
    settings.KB_SEARCH_EAGER = False
    index.forget_open_index()
    with pytest.raises(search.SearchUnavailable):
        search.search("focus")
    assert search.related_quotes(small_corpus.q_focus) == []
    assert search.search("").total == 0  # no query: nothing asked of the index
