"""kb.citations: APA, Chicago, BibTeX, CSL-JSON, Text Fragment links and the JSON-LD."""

import datetime
import json
import re
from html import unescape
from urllib.parse import unquote

import pytest
from factories import small_corpus_fixture  # noqa: F401

from kb import citations
from kb.models import Passage, Person, Quote, Source

# --- in-memory objects: the functions are pure, no database needed ----------------------


def make(*, speaker="Lei Jun", number=3, **source_fields):
    fields = {
        "title": "Lei Jun on focus",
        "slug": "lei-jun-on-focus",
        "kind": Source.Kind.INTERVIEW,
        "url": "https://example.com/fortune/lei-jun",
        "author": "A. Reporter",
        "publisher": "Fortune",
        "year": 2014,
        **source_fields,
    }
    source = Source(pk=1, **fields)
    person = Person(pk=1, name=speaker, slug="lei-jun") if speaker else None
    passage = Passage(pk=1, source=source, number=number, start=0, end=10, speaker=person)
    quote = Quote(pk=7, source=source, passage=passage, speaker=person, text="We focus.")
    return quote, passage, source


def bare(**fields):
    """A source with nothing but a title (and a quote by nobody named)."""
    return make(speaker=None, url="", author="", publisher="", year=None, **fields)


# --- APA ------------------------------------------------------------------------------------


def test_apa_cites_author_year_title_publisher_locator_url():
    _, _, source = make()
    assert citations.apa(source) == (
        "A. Reporter. (2014). Lei Jun on focus. Fortune. https://example.com/fortune/lei-jun"
    )


def test_apa_cites_the_speaker_as_author_and_the_journalist_who_quoted_them():
    quote, _, _ = make()
    assert citations.apa(quote) == (
        "Lei Jun. (2014). Lei Jun on focus [Quoted in A. Reporter]. Fortune. Para. 3. "
        "https://example.com/fortune/lei-jun"
    )


def test_apa_writes_the_full_date_when_known():
    quote, _, _ = make(published=datetime.date(2014, 3, 12))
    assert "(2014, March 12)." in citations.apa(quote)


def test_apa_puts_the_title_first_without_author_and_says_nd_without_date():
    quote, _, _ = bare()
    assert citations.apa(quote) == "Lei Jun on focus. (n.d.). Para. 3."


def test_apa_keeps_a_title_that_ends_with_a_question_mark():
    quote, _, source = make(title="Why so few phones?")
    assert "Why so few phones? Fortune." in citations.apa(source)
    assert "Why so few phones? [Quoted in A. Reporter]. Fortune." in citations.apa(quote)


def test_apa_cites_a_source_without_locator():
    _, _, source = make()
    assert "¶" not in citations.apa(source) and "para." not in citations.apa(source).lower()


def test_apa_locates_a_quote_or_a_passage_by_para_not_by_pilcrow():
    # APA 7 (8.28): "para. n" for a work without page numbers; the "¶" of APA 6 is gone.
    quote, passage, _ = make(number=6)
    for obj in (quote, passage):
        assert "Fortune. Para. 6. https://" in citations.apa(obj)
        assert "¶" not in citations.apa(obj)


def test_only_apa_writes_para_chicago_and_bibtex_keep_the_pilcrow():
    # Chicago accepts "¶ n" as well as "para. n" for a paragraph; BibTeX's note is free text.
    quote, _, _ = make(number=6)
    assert ", ¶ 6, https://" in citations.chicago(quote)
    assert "note = {¶ 6; quoted in A. Reporter}" in citations.bibtex(quote)
    assert "para." not in citations.chicago(quote) + citations.bibtex(quote)


# --- Chicago --------------------------------------------------------------------------------


def test_chicago_names_the_speaker_quoted_in_the_authors_work():
    quote, _, _ = make(published=datetime.date(2014, 3, 12))
    assert citations.chicago(quote) == (
        "Lei Jun, quoted in A. Reporter, “Lei Jun on focus,” Fortune, March 12, 2014, ¶ 3, "
        "https://example.com/fortune/lei-jun."
    )


def test_chicago_does_not_repeat_a_speaker_who_is_the_author():
    quote, _, _ = make(author="Lei Jun", kind=Source.Kind.ESSAY)
    assert citations.chicago(quote).startswith("Lei Jun, “Lei Jun on focus,” Fortune, 2014")


def test_chicago_without_author_date_or_url():
    quote, _, _ = bare()
    assert citations.chicago(quote) == "“Lei Jun on focus,” n.d., ¶ 3."


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Why focus?", "Lei Jun, quoted in A. Reporter, “Why focus?” Fortune, 2014, ¶ 3,"),
        ("On “focus”", "Lei Jun, quoted in A. Reporter, “On ‘focus’,” Fortune, 2014, ¶ 3,"),
        ('On "focus" again', "“On ‘focus’ again,” Fortune"),
    ],
)
def test_chicago_punctuates_a_title_as_chicago_does(title, expected):
    quote, _, _ = make(title=title)
    assert expected in citations.chicago(quote)


def test_chicago_of_a_bare_source_has_one_period_after_no_date():
    _, _, source = bare()
    assert citations.chicago(source) == "“Lei Jun on focus,” n.d."


def test_chicago_cites_a_passage_with_its_speaker():
    _, passage, _ = make(number=5)
    assert citations.chicago(passage).startswith("Lei Jun, quoted in A. Reporter")
    assert "¶ 5" in citations.chicago(passage)


# --- BibTeX ---------------------------------------------------------------------------------


def test_bibtex_is_a_misc_entry_with_a_key_and_the_locator():
    quote, _, _ = make(published=datetime.date(2014, 3, 12))
    entry = citations.bibtex(quote)
    assert entry.startswith("@misc{lei-jun-on-focus-p3-q7,\n")
    assert "  author = {{Lei Jun}},\n" in entry
    assert "  title = {{Lei Jun on focus}},\n" in entry
    assert "  howpublished = {Fortune},\n" in entry
    assert "  year = {2014},\n  month = mar,\n" in entry
    assert "  url = {https://example.com/fortune/lei-jun},\n" in entry
    assert "  note = {¶ 3; quoted in A. Reporter},\n" in entry
    assert entry.endswith("\n}")
    assert entry.count("{") == entry.count("}")


def test_bibtex_escapes_latex_specials():
    _, _, source = make(title="R&D: 100% {focus} #1 of_all ~ $5", author="Tom \\ Jerry")
    entry = citations.bibtex(source)
    assert r"title = {{R\&D: 100\% \{focus\} \#1 of\_all \textasciitilde{} \$5}}" in entry
    assert r"author = {{Tom \textbackslash{} Jerry}}" in entry
    assert "note" not in entry  # a whole source has no locator
    assert entry.startswith("@misc{lei-jun-on-focus,")


def test_bibtex_keys_differ_for_quotes_of_one_paragraph_and_its_passage():
    quote, passage, source = make()
    other = Quote(pk=8, source=source, passage=passage, text="We focus more.")
    keys = [citations.bibtex_key(citations.cited(obj)) for obj in (quote, other, passage)]
    assert keys == ["lei-jun-on-focus-p3-q7", "lei-jun-on-focus-p3-q8", "lei-jun-on-focus-p3"]
    assert citations.csl_item(other)["id"] == "lei-jun-on-focus-p3-q8"


def test_bibtex_keeps_a_url_verbatim_but_balanced():
    _, _, source = make(url="https://example.com/a%20b?x=1&y=2#frag{1}")
    entry = citations.bibtex(source)
    assert "  url = {https://example.com/a%20b?x=1&y=2#frag%7B1%7D},\n" in entry
    assert entry.count("{") == entry.count("}")


def test_bibtex_without_author_date_or_url():
    quote, _, _ = bare()
    entry = citations.bibtex(quote)
    assert "author" not in entry and "url" not in entry and "month" not in entry
    assert "year = {n.d.}" in entry


# --- CSL-JSON -------------------------------------------------------------------------------


def test_csl_json_is_a_list_of_one_item_of_the_works_data():
    quote, _, _ = make(published=datetime.date(2014, 3, 12))
    (item,) = json.loads(citations.csl_json(quote))
    assert item == {
        "id": "lei-jun-on-focus-p3-q7",
        "type": "interview",
        "title": "Lei Jun on focus",
        "author": [{"literal": "Lei Jun"}],
        "interviewer": [{"literal": "A. Reporter"}],
        "publisher": "Fortune",
        "issued": {"date-parts": [[2014, 3, 12]]},
        "URL": "https://example.com/fortune/lei-jun",
        "language": "en",
    }


def test_csl_items_carry_no_cite_fields():
    # locator and label belong to a cite (CSL 1.0.2 "cite-specific" variables); csl-data.json
    # rejects an item's "label" and citeproc-py warns about it.
    for obj in make():
        assert not {"locator", "label"} & set(citations.csl_item(obj))
        assert not {"locator", "label"} & set(json.loads(citations.csl_json(obj))[0])


def test_csl_cite_item_has_the_items_id_and_the_paragraph_locator():
    quote, passage, source = make(number=6)
    assert citations.csl_cite_item(quote) == {
        "id": "lei-jun-on-focus-p6-q7",
        "locator": "6",
        "label": "paragraph",
    }
    assert citations.csl_cite_item(passage) == {
        "id": "lei-jun-on-focus-p6",
        "locator": "6",
        "label": "paragraph",
    }
    assert citations.csl_cite_item(source) == {"id": "lei-jun-on-focus"}  # no paragraph
    for obj in (quote, passage, source):
        assert citations.csl_cite_item(obj)["id"] == citations.csl_item(obj)["id"]
    assert citations.csl_cite_item(quote, item_id="x") == {
        "id": "x",
        "locator": "6",
        "label": "paragraph",
    }


def test_csl_json_of_an_essay_and_of_a_bare_source():
    quote, _, _ = make(kind=Source.Kind.ESSAY, author="Lei Jun")
    item = citations.csl_item(quote)
    assert item["type"] == "webpage" and item["author"] == [{"literal": "Lei Jun"}]
    assert item["container-title"] == "Fortune" and "publisher" not in item
    assert item["issued"] == {"date-parts": [[2014]]}
    (item,) = json.loads(citations.csl_json(bare()[2]))
    assert set(item) == {"id", "type", "title", "language"}


def test_csl_json_of_a_speaker_quoted_in_an_article_notes_who_quoted_them():
    quote, _, _ = make(kind=Source.Kind.PROFILE)
    item = citations.csl_item(quote)
    assert item["author"] == [{"literal": "Lei Jun"}] and "interviewer" not in item
    assert item["note"] == "Quoted in A. Reporter"


# --- one rule for authors, in every style ---------------------------------------------------


def authors(obj) -> dict:
    """The author each style names for ``obj``."""
    bib = citations.bibtex(obj)
    return {
        "apa": citations.apa(obj).split(". (", 1)[0],
        "chicago": citations.chicago(obj).split(", “", 1)[0].split(", quoted in ")[0],
        "bibtex": bib.split("author = {{", 1)[1].split("}}", 1)[0] if "author =" in bib else "",
        "csl-json": [a["literal"] for a in citations.csl_item(obj).get("author", [])],
    }


@pytest.mark.parametrize("kind", [Source.Kind.INTERVIEW, Source.Kind.ESSAY, Source.Kind.PROFILE])
@pytest.mark.parametrize("author", ["", "A. Reporter", "Lei Jun"])
def test_every_style_cites_the_speaker_of_a_quote_or_a_passage_as_its_author(kind, author):
    quote, passage, _ = make(kind=kind, author=author)
    for obj in (quote, passage):
        assert authors(obj) == {
            "apa": "Lei Jun",
            "chicago": "Lei Jun",
            "bibtex": "Lei Jun",
            "csl-json": ["Lei Jun"],
        }


def test_an_interview_without_author_puts_its_title_in_the_title_slot_of_a_quote():
    # The seeded Fortune interview: no journalist named, its title starts with "Lei jun:".
    quote, _, _ = make(author="", title="Lei jun: millet abroad")
    assert citations.apa(quote) == (
        "Lei Jun. (2014). Lei jun: millet abroad. Fortune. Para. 3. https://example.com/fortune/lei-jun"
    )
    assert "  note = {¶ 3},\n" in citations.bibtex(quote)  # nobody else quoted him
    assert "interviewer" not in citations.csl_item(quote)


def test_every_style_cites_a_whole_source_by_its_author():
    _, _, source = make()
    assert authors(source) == {
        "apa": "A. Reporter",
        "chicago": "A. Reporter",
        "bibtex": "A. Reporter",
        "csl-json": ["A. Reporter"],
    }


def test_a_quote_by_nobody_named_is_cited_by_the_sources_author():
    quote, _, _ = make(speaker=None)
    assert authors(quote)["apa"] == "A. Reporter"
    assert "quoted in" not in citations.chicago(quote).lower()
    assert "note = {¶ 3}," in citations.bibtex(quote)
    assert "note" not in citations.csl_item(quote)


def test_the_url_cited_is_the_originals_in_every_style():
    # The work cited is the original; the site's permalink is shown beside the citations.
    quote, _, _ = make()
    original = "https://example.com/fortune/lei-jun"
    assert citations.apa(quote).endswith(original)
    assert citations.chicago(quote).endswith(original + ".")
    assert f"url = {{{original}}}" in citations.bibtex(quote)
    assert citations.csl_item(quote)["URL"] == original


# --- Text Fragments -------------------------------------------------------------------------


def test_text_fragment_of_a_short_text_is_the_whole_text():
    url = citations.text_fragment_url("https://example.com/a", "Price close to cost")
    assert url == "https://example.com/a#:~:text=Price%20close%20to%20cost"


def test_text_fragment_encodes_dash_ampersand_and_comma():
    url = citations.text_fragment_url("https://example.com/a", "word-of-mouth, R&D")
    assert url == "https://example.com/a#:~:text=word%2Dof%2Dmouth%2C%20R%26D"


def test_text_fragment_of_a_long_text_is_its_first_and_last_words():
    text = "We say, millet practice of the Internet model is the core of the\nInternet seven Words: Focus, Ultimate, word-of-mouth, fast."
    url = citations.text_fragment_url("https://example.com/a", text)
    directive = url.split("#:~:text=", 1)[1]
    start, end = directive.split(",")
    assert unquote(start) == "We say, millet practice of"
    assert unquote(end) == "Words: Focus, Ultimate, word-of-mouth, fast."
    assert "-" not in directive and " " not in directive and "&" not in directive


def test_text_fragment_keeps_an_existing_fragment_and_drops_an_old_directive():
    assert (
        citations.text_fragment_url("https://e.com/a#top", "hi") == "https://e.com/a#top:~:text=hi"
    )
    old = "https://e.com/a#:~:text=old"
    assert citations.text_fragment_url(old, "new") == "https://e.com/a#:~:text=new"


def test_text_fragment_needs_a_url():
    assert citations.text_fragment_url("", "anything") == ""
    assert citations.text_fragment_url("https://e.com/", "   ") == "https://e.com/"


def test_text_fragment_encodes_non_ascii_as_utf8():
    url = citations.text_fragment_url("https://e.com/", "小米 “Millet”")
    assert url == "https://e.com/#:~:text=%E5%B0%8F%E7%B1%B3%20%E2%80%9CMillet%E2%80%9D"


# --- styles and JSON-LD ---------------------------------------------------------------------


def test_styles_lists_the_four_formats():
    quote, _, _ = make()
    assert [s.key for s in citations.styles(quote)] == ["apa", "chicago", "bibtex", "csl-json"]


def test_quotation_jsonld(small_corpus):
    quote = Quote.objects.with_related().get(pk=small_corpus.q_focus.pk)
    data = citations.quotation_jsonld(quote, lambda path: "https://kb.test" + path)
    assert data["@type"] == "Quotation" and data["@context"] == "https://schema.org"
    assert data["text"] == quote.text
    assert data["isBasedOn"] == "https://kb.test/sources/lei-jun-on-focus/#p-3"
    assert data["creator"] == {
        "@type": "Person",
        "name": "Lei Jun",
        "url": "https://kb.test/people/lei-jun/",
    }
    assert data["citation"]["@type"] == "CreativeWork"
    assert data["citation"]["name"] == "Lei Jun on focus"
    assert data["citation"]["sameAs"] == "https://example.com/fortune/lei-jun"
    assert data["keywords"] == ["Focus"]


def test_quotation_jsonld_without_speaker(small_corpus):
    quote = Quote.objects.with_related().get(pk=small_corpus.q_price.pk)
    quote.speaker = None
    assert "creator" not in citations.quotation_jsonld(quote, lambda path: path)


# --- the seeded Fortune interview, on the quote page and in the API -------------------------


def test_the_interviews_quotes_name_lei_jun_as_author_on_the_page_and_in_the_api(client, corpus):
    quote = Quote.objects.published().filter(source__slug="fortune-interview-2014").first()
    html = unescape(client.get(f"/quotes/{quote.pk}/").content.decode())
    page = {
        key: re.search(rf'id="cite-{key}">(?:<code>)?(.*?)</', html, re.S).group(1)
        for key in ("apa", "chicago", "bibtex", "csl-json")
    }
    assert page["apa"].startswith("Lei Jun. (2014). Lei jun: millet international")
    assert page["chicago"].startswith("Lei Jun, “Lei jun: millet international")
    assert "  author = {{Lei Jun}},\n" in page["bibtex"]
    assert json.loads(page["csl-json"])[0]["author"] == [{"literal": "Lei Jun"}]

    url = f"/api/quotes/{quote.pk}/cite/"
    for style in ("apa", "chicago", "bibtex"):
        assert client.get(url, {"style": style}).json()["citation"] == page[style]
    item = client.get(url, {"style": "csl-json"}).json()["citation"]
    assert item["author"] == [{"literal": "Lei Jun"}]
    # The seeded sources have no web address: no original URL to cite or to link into.
    assert client.get(url).json()["fragment_url"] == "" and "URL" not in item
