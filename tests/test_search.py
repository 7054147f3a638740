"""kb.search on the seeded corpus: matching, ranking, aliases, visibility, index sync.

Every test runs on the database under test (SQLite FTS5 or PostgreSQL tsvector).
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from kb import search
from kb.models import (
    Claim,
    Passage,
    Person,
    Principle,
    Quote,
    SearchAlias,
    Source,
    Status,
    Theme,
)
from kb.search.query import All, Any, Phrase, parse

pytestmark = pytest.mark.django_db


def ids(results, kind):
    return {hit.id for hit in results.sequence((kind,))[:1000]}


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "ed", password="a-long-test-password", is_staff=True
    )


# --- the query language ------------------------------------------------------------------


def test_it_parses_words_phrases_or_and_exclusions():
    query = parse('sincere "word of mouth" users OR friends -price -"tipping point"')
    assert query.positive == [
        Phrase(("sincere",)),
        Phrase(("word", "of", "mouth")),
        Any((Phrase(("users",)), Phrase(("friends",)))),
    ]
    assert query.negative == [Phrase(("price",)), Phrase(("tipping", "point"))]


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
        "x" * 10_000,
    ],
)
def test_it_parses_any_string_into_plain_words(raw):
    query = parse(raw)
    for node in query.positive + query.negative:
        for phrase in search.query.phrases(node):
            assert phrase.words and all(re.fullmatch(r"[^\W_]+", w) for w in phrase.words)


def test_it_bounds_the_number_of_words():
    query = parse(" ".join(f"word{i}" for i in range(100)))
    assert len(query.words()) == search.MAX_TERMS
    assert len(parse("y" * 10_000).words()[0]) <= 64


def test_it_expands_aliases_both_ways_and_multi_word_terms(corpus):
    from kb.search.aliases import alias_map, expand

    mapping = alias_map()
    assert expand(parse("millet"), mapping).positive == [
        Any((Phrase(("millet",)), Phrase(("xiaomi",))))
    ]
    assert expand(parse("Xiaomi"), mapping).positive == [
        Any((Phrase(("xiaomi",)), Phrase(("millet",))))
    ]
    # one-way: "lei jun" → "Lei Jun" (same words) adds nothing; "fast" → "speed" only.
    assert expand(parse("speed"), mapping).positive == [Phrase(("speed",))]
    (node,) = expand(parse("listening households"), mapping).positive
    assert node == Any((All((Phrase(("listening",)), Phrase(("households",)))), Phrase(("users",))))


def test_it_marks_only_the_matches_and_escapes_everything_else():
    start, stop = search.START, search.STOP
    raw = f"<b>&{start}price{stop} {stop}x{start}y"
    assert search.markup(raw) == "&lt;b&gt;&amp;<mark>price</mark> x<mark>y</mark>"


# --- matching on the seeded corpus -------------------------------------------------------


def test_it_finds_millet_by_xiaomi_and_by_millet(corpus):
    saying_millet = {
        q.pk for q in Quote.objects.published() if re.search(r"\bmillet\b", q.text, re.I)
    }
    assert len(saying_millet) > 5
    by_millet, by_xiaomi = search.search("Millet"), search.search("Xiaomi")
    assert saying_millet <= ids(by_millet, "quote")
    assert saying_millet <= ids(by_xiaomi, "quote")
    assert by_millet.counts == by_xiaomi.counts
    # The quotes that say it rank first, with the word marked.
    best = by_xiaomi.groups["quote"][0]
    assert best.id in saying_millet and "<mark>" in best.snippet


def test_it_stems_pricing_to_price(corpus):
    saying_price = {
        p.pk
        for p in Passage.objects.public()
        if re.search(r"\bprices?\b", p.text, re.I) and "pricing" not in p.text.lower()
    }
    assert saying_price
    results = search.search("pricing")
    assert saying_price <= ids(results, "passage")
    snippets = " ".join(hit.snippet for hit in results.groups["quote"])
    assert re.search(r"<mark>price</mark>", snippets, re.I)


def test_it_finds_quotes_by_the_name_of_their_theme(corpus):
    innovation = Theme.objects.get(slug="innovation")
    tagged = set(innovation.quotes.published().values_list("pk", flat=True))
    lacking = {pk for pk in tagged if "innovat" not in Quote.objects.get(pk=pk).text.lower()}
    assert lacking
    assert tagged <= ids(search.search("innovation"), "quote")


def test_it_matches_phrases_only_where_the_words_are_together(corpus):
    words = ids(search.search("sincere price"), "passage")
    phrase = ids(search.search('"sincere price"'), "passage")
    assert phrase and phrase <= words
    for passage in Passage.objects.filter(pk__in=phrase):
        assert re.search(r"sincer\w*\W+pric", passage.text, re.I)


def test_it_excludes_words_with_a_minus(corpus):
    everything = search.search("sincerity")
    without = search.search("sincerity -price")
    assert 0 < without.counts["passage"] < everything.counts["passage"]
    for passage in Passage.objects.filter(pk__in=ids(without, "passage")):
        assert "pric" not in passage.text.lower()


def test_an_excluded_word_excludes_its_aliases_too(corpus):
    # "Millet" is how the translations write Xiaomi: leaving out one leaves out both.
    everything = search.search("sincerity")
    without = search.search("sincerity -xiaomi")
    assert without.counts["passage"] < everything.counts["passage"]
    assert without.counts == search.search("sincerity -millet").counts
    for passage in Passage.objects.filter(pk__in=ids(without, "passage")):
        assert not re.search(r"millet|xiaomi", passage.text, re.I)
    published = Quote.objects.published()
    assert search.filter_quotes(published, "xiaomi").exists()
    left = search.filter_quotes(published, "-xiaomi")
    assert not left.filter(text__iregex=r"millet|xiaomi").exists()
    assert left.count() < published.count()


def test_it_accepts_either_word_with_or(corpus):
    tesla = ids(search.search("tesla"), "passage")
    either = ids(search.search("tesla OR sincerity"), "passage")
    assert tesla and tesla < either


def test_it_ranks_and_links_every_kind_of_hit(corpus):
    results = search.search("sincerity", limit=50)
    assert all(results.counts[kind] for kind in ("quote", "passage", "principle"))
    for kind in ("quote", "passage", "principle"):
        ranks = [hit.rank for hit in results.groups[kind]]
        assert ranks == sorted(ranks, reverse=True)
    passage = results.groups["passage"][0]
    assert re.fullmatch(r"/sources/[\w-]+/#p-\d+", passage.url)
    assert passage.passage == passage.id and passage.source
    quote = results.groups["quote"][0]
    assert quote.url == f"/quotes/{quote.id}/" and quote.passage == quote.obj.passage_id
    principle = results.groups["principle"][0]
    assert principle.url == f"/principles/{principle.obj.slug}/"
    source = search.search("Fortune").groups["source"][0]
    assert source.url == f"/sources/{source.source}/"


def test_it_gives_facets_and_narrows_by_theme_and_speaker(corpus):
    results = search.search("sincerity")
    themes = {f.slug: f.count for f in results.facets["theme"]}
    assert themes["sincerity"] >= 5
    speakers = {f.slug: f.count for f in results.facets["speaker"]}
    assert "lei-jun" in speakers
    narrowed = search.search("sincerity", theme="pricing")
    assert 0 < narrowed.counts["quote"] < results.counts["quote"]
    pricing = Theme.objects.get(slug="pricing")
    for hit in narrowed.groups["quote"]:
        assert pricing in hit.obj.themes.all()
    by_interviewer = search.search("countries", speaker="fortune-interviewer")
    assert by_interviewer.counts["quote"] == 0 and by_interviewer.counts["passage"] > 0
    unknown = search.search("sincerity", theme="no-such-theme")
    assert unknown.unknown == {"theme": "no-such-theme"}
    assert unknown.counts == results.counts


# --- visibility --------------------------------------------------------------------------


def test_it_never_finds_boilerplate(corpus, staff):
    assert Passage.objects.filter(is_boilerplate=True, text__contains="Alibaba Cloud").exists()
    for user in (None, staff):
        results = search.search("Alibaba Cloud", user=user)
        assert results.counts["passage"] == 0
        assert results.counts["quote"] == 0


def _two_versions():
    """An earlier and a later version of one text, each with its passage; nothing curated."""
    versions = []
    for slug, text in (("hover-1", "Hovercraft eels, first draft."), ("hover", "Hovercraft eels.")):
        source = Source.objects.create(title="Hovercraft notes", slug=slug, text=text)
        Passage.objects.create(source=source, number=1, start=0, end=len(text), text=text)
        versions.append(source)
    return versions


def test_it_finds_an_earlier_version_only_while_it_is_current(db, staff):
    earlier, later = _two_versions()
    assert search.search("eels").counts["passage"] == 2
    earlier.superseded_by = later
    earlier.save()
    for user in (None, staff):
        results = search.search("hovercraft", user=user)
        assert ids(results, "passage") == set(later.passages.values_list("pk", flat=True))
        assert ids(results, "source") == {later.pk}
    # Its rows written while superseded are not indexed either; current again, all are.
    Passage.objects.create(source=earlier, number=2, start=0, end=10, text="Hovercraft")
    assert search.search("hovercraft").counts["passage"] == 1
    earlier.superseded_by = None
    earlier.save()
    assert search.search("hovercraft").counts == {
        "quote": 0,
        "passage": 3,
        "principle": 0,
        "source": 2,
    }


def test_it_finds_drafts_for_staff_only(corpus, staff):
    draft = Quote.objects.exclude(status=Status.PUBLISHED).get(
        text__contains="This feature is very popular"
    )
    assert ids(search.search('"feature is very popular"'), "quote") == set()
    assert draft.pk in ids(search.search('"feature is very popular"', user=staff), "quote")
    Principle.objects.create(title="Zebracorn thinking", slug="zebracorn")
    assert search.search("zebracorn").counts["principle"] == 0
    assert search.search("zebracorn", user=staff).counts["principle"] == 1


def test_it_filters_quotes_for_the_quote_list(corpus):
    published = Quote.objects.published()
    found = search.filter_quotes(published, "Xiaomi -sincerity")
    assert found.exists()
    assert set(found.values_list("pk", flat=True)) <= ids(search.search("Xiaomi"), "quote")
    assert not found.filter(text__icontains="sincerity").exists()
    assert search.filter_quotes(published, "  *** ").count() == published.count()
    assert not search.filter_quotes(published, "-millet").filter(text__icontains="millet").exists()


@pytest.mark.parametrize(
    "raw",
    [
        "",
        '"',
        '"unbalanced phrase',
        "*",
        "NEAR(",
        "NEAR(a b, 2)",
        "^price",
        "text:price",
        "((price",
        "price))",
        "a AND OR NOT b",
        "' OR 1=1; DROP TABLE kb_quote; --",
        "\x00",
        "price\x00millet",
        "x" * 10_000,
        "🙂 雷军 小米 ñandú",
        "\u202e\ufeff\u200b",
        "- -- ---",
    ],
)
def test_it_searches_any_string_safely(corpus, raw):
    results = search.search(raw)
    assert results.total >= 0
    assert search.filter_quotes(Quote.objects.all(), raw).count() >= 0


# --- keeping the index in sync -------------------------------------------------------------


def test_it_indexes_rows_as_they_are_written_updated_and_deleted(corpus):
    source = Source.objects.get(slug="fortune-interview-2014")
    passage = source.passages.public().first()
    # bulk_create (as the importer does) is indexed too.
    words = "Quixotic marmalade"
    start = passage.text.index(passage.text.split()[0])
    (quote,) = Quote.objects.bulk_create(
        [
            Quote(
                text=words,
                source=source,
                passage=passage,
                start=passage.start + start,
                end=passage.start + start + 1,
                status=Status.PUBLISHED,
            )
        ]
    )
    quote = Quote.objects.get(text=words)
    assert ids(search.search("marmalade"), "quote") == {quote.pk}
    Quote.objects.filter(pk=quote.pk).update(text="Quixotic lemonade")
    assert search.search("marmalade").counts["quote"] == 0
    assert ids(search.search("lemonade"), "quote") == {quote.pk}
    theme = Theme.objects.create(name="Citrus", slug="citrus")
    quote.themes.add(theme)
    assert ids(search.search("citrus"), "quote") == {quote.pk}
    theme.name = "Orchard"
    theme.save()
    assert search.search("citrus").counts["quote"] == 0
    assert ids(search.search("orchard"), "quote") == {quote.pk}
    quote.themes.remove(theme)
    assert search.search("orchard").counts["quote"] == 0
    source.title = "Zeppelin interview"
    source.save()
    assert quote.pk in ids(search.search("zeppelin"), "quote")
    assert ids(search.search("zeppelin"), "source") == {source.pk}
    quote.delete()
    assert search.search("lemonade").counts["quote"] == 0


def test_it_indexes_principles_with_their_claims_and_themes(corpus):
    passage = Passage.objects.public().first()
    principle = Principle.objects.create(title="Be kind", slug="be-kind", status=Status.PUBLISHED)
    assert ids(search.search("kind"), "principle") == {principle.pk}
    claim = Claim.objects.create(
        principle=principle,
        text="Gratitude compounds",
        passage=passage,
        start=passage.start,
        end=passage.start + 1,
    )
    assert ids(search.search("gratitude"), "principle") == {principle.pk}
    claim.delete()
    assert search.search("gratitude").counts["principle"] == 0
    principle.themes.add(Theme.objects.get(slug="innovation"))
    assert principle.pk in ids(search.search("innovation"), "principle")


def test_it_indexes_bulk_created_passages(corpus):
    source = Source.objects.create(
        title="Fresh", slug="fresh", text="Hovercraft eels. Page chrome."
    )
    Passage.objects.bulk_create(
        [
            Passage(source=source, number=1, start=0, end=16, text="Hovercraft eels."),
            Passage(
                source=source, number=2, start=17, end=29, text="Page chrome.", is_boilerplate=True
            ),
        ]
    )
    assert search.search("hovercraft").counts["passage"] == 1
    assert search.search("chrome").counts["passage"] == 0
    source.delete()
    assert search.search("hovercraft").counts["passage"] == 0


def test_it_rebuilds_an_emptied_index(corpus):
    before = search.search("Millet").counts
    assert before["quote"] and before["passage"]
    search.clear_index()
    assert search.search("Millet").total == 0
    call_command("rebuild_search_index", verbosity=0)
    assert search.search("Millet").counts == before


def test_it_reinstalls_missing_triggers(corpus):
    backend = search.backend(connection)
    if backend is search.sqlite:
        # What a migration rebuilding a table does to its triggers on SQLite.
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER kb_search_kb_quote_ai")
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER kb_search_kb_quote_vector ON kb_quote")
    assert not backend.is_installed(connection)
    assert search.ensure_index() is True
    assert backend.is_installed(connection)
    assert search.search("Millet").counts["quote"] > 0


def test_it_uses_the_editors_new_aliases_at_once(corpus):
    assert search.search("Leijun").total == 0
    SearchAlias.objects.create(term="Leijun", means="Lei Jun", two_way=False)
    assert search.search("Leijun").counts["passage"] > 0
    assert Person.objects.filter(slug="lei-jun").exists()


def test_it_suggests_a_spelling_when_nothing_matches(corpus):
    results = search.search("sincerety")
    assert results.total == 0
    if connection.vendor == "postgresql":
        assert results.suggestion == "sincere"
        assert search.search(results.suggestion).total > 0
    else:
        assert results.suggestion is None


def test_an_import_indexes_its_rows_and_leaves_indexing_on(db, tmp_path):
    path = tmp_path / "hover.txt"
    path.write_text(
        "Hovercraft notes\n\nReporter : What about the hovercraft?\n\n"
        "Lei Jun : My hovercraft is full of eels. Speed wins every race we run.\n",
        encoding="utf-8",
    )
    call_command("import_source", str(path), "--publish", stdout=StringIO())
    assert search.search("eels").counts["passage"] == 1
    assert search.search("eels").counts["quote"] == 1
    assert search.search("notes").counts["passage"] == 1  # the title line
    # Rows written after the import are indexed one by one again (the triggers are back on).
    source = Source.objects.get()
    Passage.objects.create(source=source, number=99, start=0, end=16, text=source.text[0:16])
    assert search.search("notes").counts["passage"] == 2
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT deferred FROM kb_search_state")
            assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_deferred_indexing_needs_a_transaction():
    with pytest.raises(RuntimeError, match="atomic"):
        with search.deferred_indexing():
            pass


def test_a_failed_import_leaves_indexing_on(db, tmp_path, monkeypatch):
    from kb.ingest import store

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "_write_quotes", broken)
    path = tmp_path / "a.txt"
    path.write_text("Title\n\nLei Jun: Hovercraft eels.\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        call_command("import_source", str(path), stdout=StringIO(), stderr=StringIO())
    assert not Source.objects.exists()
    source = Source.objects.create(title="Later", slug="later", text="Hovercraft eels.")
    Passage.objects.create(source=source, number=1, start=0, end=16, text="Hovercraft eels.")
    assert search.search("hovercraft").counts["passage"] == 1


@pytest.mark.django_db(transaction=True)
def test_migrating_an_indexed_table_keeps_the_index():
    # Unapplying and reapplying 0004 rebuilds kb_source on SQLite (copy, drop, rename),
    # which SQLite refuses while a quote trigger names kb_source: the migration takes the
    # triggers off and puts them back, with the index rebuilt.
    call_command("load_seed_corpus", verbosity=0)
    call_command("migrate", "kb", "0003_history_and_publish_permissions", verbosity=0)
    call_command("migrate", "kb", verbosity=0)
    assert search.backend(connection).is_installed(connection)
    assert search.search("Millet").counts["quote"] > 0


@pytest.mark.django_db(transaction=True)
def test_migrating_back_before_versions_indexes_earlier_versions_again():
    earlier, later = _two_versions()
    Source.objects.filter(pk=earlier.pk).update(superseded_by=later)
    assert search.search("eels").counts["passage"] == 1
    call_command("migrate", "kb", "0011_source_fingerprint", verbosity=0)
    assert search.search("eels").counts["passage"] == 2
    call_command("migrate", "kb", verbosity=0)
    assert search.search("eels").counts["passage"] == 1
    # Before the column (0010, which forgets what superseded what): the index's definitions
    # do without it, and rows written then are indexed.
    call_command("migrate", "kb", "0009_quote_passage_restrict", verbosity=0)
    Passage.objects.create(source_id=later.pk, number=2, start=0, end=10, text="Hovercraft")
    call_command("migrate", "kb", verbosity=0)
    assert search.backend(connection).is_installed(connection)
    assert search.search("hovercraft").counts == {
        "quote": 0,
        "passage": 3,
        "principle": 0,
        "source": 2,
    }
