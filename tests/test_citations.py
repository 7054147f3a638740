"""kb.citations: APA, Chicago, BibTeX, RIS, CSL-JSON, CSL-YAML, CSL styles through citeproc-py,
names, translations, permalinks, citation_* tags, Text Fragment links and the JSON-LD."""

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
        "Reporter, A. (2014). Lei Jun on focus. Fortune. https://example.com/fortune/lei-jun"
    )


def test_apa_cites_the_speaker_as_author_and_the_journalist_who_quoted_them():
    quote, _, _ = make()
    assert citations.apa(quote) == (
        "Lei, J. (2014). Lei Jun on focus [Quoted in A. Reporter]. Fortune. Para. 3. "
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
    assert "  author = {Lei, Jun},\n" in entry  # BibTeX's "Last, First": family name Lei
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
    assert r"author = {{Tom \textbackslash{} Jerry}}" in entry  # no name: kept whole
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
        "author": [{"family": "Lei", "given": "Jun"}],
        "interviewer": [{"family": "Reporter", "given": "A."}],
        "container-title": "Fortune",  # the magazine that printed the interview
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
    assert item["type"] == "webpage" and item["author"] == [{"family": "Lei", "given": "Jun"}]
    assert item["container-title"] == "Fortune" and "publisher" not in item
    assert item["issued"] == {"date-parts": [[2014]]}
    (item,) = json.loads(citations.csl_json(bare()[2]))
    assert set(item) == {"id", "type", "title", "language"}


def test_csl_json_of_a_speaker_quoted_in_an_article_notes_who_quoted_them():
    quote, _, _ = make(kind=Source.Kind.PROFILE)
    item = citations.csl_item(quote)
    assert item["author"] == [{"family": "Lei", "given": "Jun"}] and "interviewer" not in item
    assert item["note"] == "Quoted in A. Reporter"


# --- one rule for authors, in every style ---------------------------------------------------


def authors(obj) -> dict:
    """The author each style names for ``obj``."""
    bib = citations.bibtex(obj)
    ris = dict(line.split("  - ", 1) for line in citations.ris(obj).splitlines()[:-1])
    return {
        "apa": citations.apa(obj).split(" (", 1)[0],
        "chicago": citations.chicago(obj).split(", “", 1)[0].split(", quoted in ")[0],
        "bibtex": bib.split("author = {", 1)[1].split("},\n", 1)[0] if "author =" in bib else "",
        "ris": ris.get("AU", ""),
        "csl-json": citations.csl_item(obj).get("author", []),
    }


LEI_JUN = {
    "apa": "Lei, J.",
    "chicago": "Lei Jun",
    "bibtex": "Lei, Jun",
    "ris": "Lei, Jun",
    "csl-json": [{"family": "Lei", "given": "Jun"}],
}


@pytest.mark.parametrize("kind", [Source.Kind.INTERVIEW, Source.Kind.ESSAY, Source.Kind.PROFILE])
@pytest.mark.parametrize("author", ["", "A. Reporter", "Lei Jun"])
def test_every_style_cites_the_speaker_of_a_quote_or_a_passage_as_its_author(kind, author):
    quote, passage, _ = make(kind=kind, author=author)
    for obj in (quote, passage):
        assert authors(obj) == LEI_JUN


def test_an_interview_without_author_puts_its_title_in_the_title_slot_of_a_quote():
    # The seeded Fortune interview: no journalist named, its title starts with "Lei jun:".
    quote, _, _ = make(author="", title="Lei jun: millet abroad")
    assert citations.apa(quote) == (
        "Lei, J. (2014). Lei jun: millet abroad. Fortune. Para. 3. https://example.com/fortune/lei-jun"
    )
    assert "  note = {¶ 3},\n" in citations.bibtex(quote)  # nobody else quoted him
    assert "interviewer" not in citations.csl_item(quote)


def test_every_style_cites_a_whole_source_by_its_author():
    _, _, source = make()
    assert authors(source) == {
        "apa": "Reporter, A.",
        "chicago": "A. Reporter",
        "bibtex": "Reporter, A.",
        "ris": "Reporter, A.",
        "csl-json": [{"family": "Reporter", "given": "A."}],
    }


def test_a_quote_by_nobody_named_is_cited_by_the_sources_author():
    quote, _, _ = make(speaker=None)
    assert authors(quote)["apa"] == "Reporter, A."
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


def test_styles_lists_every_format_a_page_shows():
    quote, _, source = make()
    shown = citations.styles(quote)
    assert [s.key for s in shown] == [
        *("apa", "chicago", "mla", "harvard", "bibtex", "ris", "csl-json", "csl-yaml")
    ]
    by_key = {s.key: s for s in shown}
    assert by_key["mla"].in_text == "(Lei, par. 3)"  # a CSL style: its in-text citation too
    # The page's CSL-JSON has its locator: the cite-item under the item.
    assert json.loads(by_key["csl-json"].cite_item) == citations.csl_cite_item(quote)
    assert not {s.key: s for s in citations.styles(source)}["csl-json"].cite_item


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
    number = quote.passage.number
    title = "Lei jun: millet international advanced army in Asia, Europe and the 10 countries"
    # "Fortune China (machine translation)": the translation is said, the publisher is clean.
    assert page["apa"].startswith(f"Lei, J. (2014). {title} of Latin America [Machine translat")
    assert f"[Machine translation]. Fortune China. Para. {number}." in page["apa"]
    assert page["chicago"].startswith(f"Lei Jun, “{title}")
    assert f",” machine translation, Fortune China, 2014, ¶ {number}" in page["chicago"]
    assert "  author = {Lei, Jun},\n" in page["bibtex"]
    assert "  howpublished = {Fortune China},\n" in page["bibtex"]
    (item,) = json.loads(page["csl-json"])
    assert item["author"] == [{"family": "Lei", "given": "Jun"}]
    assert item["container-title"] == "Fortune China" and item["note"] == "Machine translation"

    url = f"/api/quotes/{quote.pk}/cite/"
    for style in ("apa", "chicago", "bibtex"):
        assert client.get(url, {"style": style}).json()["citation"] == page[style]
    item = client.get(url, {"style": "csl-json"}).json()["citation"]
    assert item["author"] == [{"family": "Lei", "given": "Jun"}]
    # The seeded sources have no web address: no original URL to cite or to link into.
    assert client.get(url).json()["fragment_url"] == ""
    # The URL cited, if any, is the site's own permalink (once the API passes ``absolute``).
    assert item.get("URL", "http://testserver/quotes/").startswith("http://testserver/quotes/")


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "aliases", "family", "given", "apa"),
    [
        # The corpus's person: his aliases call him "Lei" and "Mr. Lei", his family name.
        ("Lei Jun", ["Lei Jun", "lei jun", "Lei", "Mr. Lei"], "Lei", "Jun", "Lei, J."),
        # No aliases (a source's author is a string): a Chinese family name, a pinyin name.
        ("Lei Jun", [], "Lei", "Jun", "Lei, J."),
        ("Ma Huateng", [], "Ma", "Huateng", "Ma, H."),
        ("Wang Xiao-Ming", [], "Wang", "Xiao-Ming", "Wang, X.-M."),
        # Aliases win: the texts call this one "Ms. Lei", so Lei is the last name.
        ("Jun Lei", ["Ms. Lei"], "Lei", "Jun", "Lei, J."),
        ("Tim Cook", [], "Cook", "Tim", "Cook, T."),
        ("A. Reporter", [], "Reporter", "A.", "Reporter, A."),
        ("Anna de Vries", [], "de Vries", "Anna", "de Vries, A."),
        ("Lei, Jun", [], "Lei", "Jun", "Lei, J."),
        ("雷军", [], "雷", "军", "雷军"),
        ("欧阳修", [], "欧阳", "修", "欧阳修"),
    ],
)
def test_parse_name_finds_the_family_name(name, aliases, family, given, apa):
    parsed = citations.parse_name(name, aliases)
    assert (parsed.family, parsed.given, parsed.literal) == (family, given, "")
    assert parsed.apa() == apa
    if "," not in name:
        assert parsed.written() == name  # as written in running text


@pytest.mark.parametrize("name", ["Fortune interviewer", "Xiaomi", "Team 42", "lei jun", ""])
def test_parse_name_keeps_what_is_no_personal_name_literal(name):
    parsed = citations.parse_name(name)
    assert parsed.literal == name and not parsed.family
    assert parsed.apa() == name and parsed.csl() == ({"literal": name} if name else {"family": ""})


def test_a_chinese_name_is_family_name_first_in_every_style():
    quote, _, _ = make(speaker="Ma Huateng")
    assert citations.apa(quote).startswith("Ma, H. (2014). ")
    assert citations.chicago(quote).startswith("Ma Huateng, quoted in A. Reporter, ")
    assert "  author = {Ma, Huateng},\n" in citations.bibtex(quote)
    assert "\nAU  - Ma, Huateng\n" in citations.ris(quote)
    assert citations.csl_item(quote)["author"] == [{"family": "Ma", "given": "Huateng"}]


def test_the_speakers_aliases_decide_the_order():
    quote, _, _ = make(speaker="Jun Lei")
    quote.speaker.aliases = ["Mr. Lei"]  # "Jun" is no Chinese family name: Western order
    assert citations.apa(quote).startswith("Lei, J. (2014).")
    quote.speaker.aliases = ["Mr. Jun"]
    assert citations.apa(quote).startswith("Jun, L. (2014).")


# --- translations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("publisher", "cleaned", "translator", "machine"),
    [
        ("Fortune China (machine translation)", "Fortune China", "", True),
        (
            "Alibaba Cloud community (republished, machine translation)",
            "Alibaba Cloud community (republished)",
            "",
            True,
        ),
        ("Caixin (translated by Jane Doe)", "Caixin", "Jane Doe", False),
        ("Caixin (machine-translated; trans. J. Doe)", "Caixin", "J. Doe", True),
        ("Fortune (China)", "Fortune (China)", "", False),
        ("Fortune", "Fortune", "", False),
        ("", "", "", False),
    ],
)
def test_translation_of_splits_the_note_off_the_publisher(publisher, cleaned, translator, machine):
    _, _, source = make(publisher=publisher)
    found = citations.translation_of(source)
    assert found.publisher == cleaned and found.machine is machine
    assert (found.translator.written() if found.translator else "") == translator


def test_a_machine_translation_is_noted_as_such_never_as_the_publisher():
    quote, _, source = make(publisher="Fortune China (machine translation)")
    assert citations.apa(source) == (
        "Reporter, A. (2014). Lei Jun on focus [Machine translation]. Fortune China. "
        "https://example.com/fortune/lei-jun"
    )
    assert "[Quoted in A. Reporter; machine translation]. Fortune China. Para. 3." in (
        citations.apa(quote)
    )
    assert citations.chicago(quote) == (
        "Lei Jun, quoted in A. Reporter, “Lei Jun on focus,” machine translation, Fortune China, "
        "2014, ¶ 3, https://example.com/fortune/lei-jun."
    )
    bib = citations.bibtex(quote)
    assert "howpublished = {Fortune China}," in bib
    assert "note = {¶ 3; quoted in A. Reporter; machine translation}," in bib
    assert "\nT2  - Fortune China\n" in citations.ris(quote)
    assert "\nN1  - ¶ 3; quoted in A. Reporter; machine translation\n" in citations.ris(quote)
    item = citations.csl_item(quote)
    assert item["container-title"] == "Fortune China" and item["note"] == "Machine translation"
    for text in (citations.apa(quote), citations.chicago(quote), bib, citations.ris(quote)):
        assert "(machine translation)" not in text


def test_a_translator_is_named_in_every_style():
    quote, _, source = make(publisher="Caixin (translated by Jane Doe)", kind=Source.Kind.PROFILE)
    assert citations.apa(source) == (
        "Reporter, A. (2014). Lei Jun on focus (J. Doe, Trans.). Caixin. "
        "https://example.com/fortune/lei-jun"
    )
    assert "“Lei Jun on focus,” trans. Jane Doe, Caixin, 2014, ¶ 3," in citations.chicago(quote)
    assert "  translator = {Doe, Jane},\n" in citations.bibtex(quote)
    assert "\nA4  - Doe, Jane\n" in citations.ris(quote)
    assert citations.csl_item(quote)["translator"] == [{"family": "Doe", "given": "Jane"}]
    assert "note" not in citations.csl_item(source)  # a human translation is no note


# --- the permalink when there is no original URL --------------------------------------------


def absolute(path):
    return "https://kb.test" + path


def every_style(obj, **kwargs) -> dict:
    return {s.key: s.text for s in citations.styles(obj, **kwargs)}


@pytest.mark.parametrize(
    ("which", "permalink"),
    [
        (0, "https://kb.test/quotes/7/"),
        (1, "https://kb.test/sources/lei-jun-on-focus/p/3/"),
        (2, "https://kb.test/sources/lei-jun-on-focus/"),
    ],
)
def test_without_an_original_url_every_style_cites_the_permalink(which, permalink):
    obj = make(url="")[which]
    texts = every_style(obj, absolute=absolute)
    for key, text in texts.items():
        assert permalink in text, key
    assert citations.apa(obj, absolute=absolute).endswith(" " + permalink)
    assert citations.chicago(obj, absolute=absolute).endswith(", " + permalink + ".")
    assert f"  url = {{{permalink}}},\n" in texts["bibtex"]
    assert f"\nUR  - {permalink}\n" in texts["ris"]
    assert citations.csl_item(obj, absolute=absolute)["URL"] == permalink
    assert citations.cite(obj, "mla", absolute=absolute).endswith(f", {permalink}.")


def test_the_original_url_wins_over_the_permalink():
    quote, _, _ = make()
    for key, text in every_style(quote, absolute=absolute).items():
        assert "https://example.com/fortune/lei-jun" in text and "kb.test" not in text, key


def test_without_absolute_there_is_no_permalink_to_cite():
    quote, _, _ = make(url="")
    for key, text in every_style(quote).items():
        assert "http" not in text, key


# --- RIS and CSL-YAML -----------------------------------------------------------------------


def test_ris_is_one_tag_a_line_ending_with_er():
    quote, _, _ = make(published=datetime.date(2014, 3, 12))
    assert citations.ris(quote) == "\n".join(
        [
            "TY  - GEN",
            "ID  - lei-jun-on-focus-p3-q7",
            "AU  - Lei, Jun",
            "TI  - Lei Jun on focus",
            "T2  - Fortune",
            "PY  - 2014",
            "DA  - 2014/03/12/",
            "UR  - https://example.com/fortune/lei-jun",
            "LA  - en",
            "N1  - ¶ 3; quoted in A. Reporter",
            "ER  - ",
        ]
    )


def test_ris_types_and_a_value_that_tries_to_break_a_line():
    _, _, source = make(kind=Source.Kind.ESSAY, title="One\nTY  - JOUR\nER  - ", author="")
    record = citations.ris(source)
    assert record.startswith("TY  - ELEC\n") and record.count("\nER  - ") == 1
    assert "\nTI  - One TY - JOUR ER -\n" in record
    assert citations.ris(make(kind=Source.Kind.ARTICLE)[2]).startswith("TY  - MGZN\n")


def test_csl_yaml_is_the_csl_item_as_pandoc_references():
    import yaml

    quote, _, _ = make(title="Lei Jun: “focus” & 小米", published=datetime.date(2014, 3, 12))
    text = citations.csl_yaml(quote)
    assert text.startswith("---\nreferences:\n- id: lei-jun-on-focus-p3-q7\n")
    assert text.endswith("\n...\n") and "小米" in text  # UTF-8, not escaped
    assert yaml.safe_load(text) == {"references": [citations.csl_item(quote)]}


# --- CSL styles through citeproc-py, against renderings written from the style rules --------


def article():
    """A magazine article by a Western author, read as a whole source."""
    _, _, source = make(
        kind=Source.Kind.PROFILE, author="Anna Reporter", published=datetime.date(2014, 3, 12)
    )
    return source


def interview_quote():
    """A quote of Lei Jun in an interview by Anna Reporter, the source without a URL."""
    quote, _, _ = make(author="Anna Reporter", url="", published=datetime.date(2014, 3, 12))
    return quote


def test_csl_apa_from_the_apa_7_rules():
    # APA 7, 10.1 (magazine article): Author, A. (Year, Month Day). Title. Magazine. URL
    rendered = citations.csl_render(article(), "csl:apa")
    assert rendered.bibliography == (
        "Reporter, A. (2014, March 12). Lei Jun on focus. Fortune. "
        "https://example.com/fortune/lei-jun"
    )
    assert rendered.citation == "(Reporter, 2014)"
    # 8.28: a paragraph is "para."; the author of the words is Lei Jun, "Lei" in the text.
    assert citations.csl_render(interview_quote(), "csl:apa").citation == "(Lei, 2014, para. 3)"


def test_csl_chicago_author_date_from_the_chicago_rules():
    # Chicago 18, author-date: Last, First. Year. “Title in Headline Case.” Magazine, Month Day.
    # URL. The period and the comma inside the quotation marks (6.9).
    rendered = citations.csl_render(article(), "chicago-author-date")
    assert rendered.bibliography == (
        "Reporter, Anna. 2014. “Lei Jun on Focus.” Fortune, March 12. "
        "https://example.com/fortune/lei-jun."
    )
    assert rendered.citation == "(Reporter 2014)"
    # An interview: “Interview by” its interviewer; no comma between author and year.
    rendered = citations.csl_render(interview_quote(), "chicago-author-date", absolute=absolute)
    assert rendered.bibliography == (
        "Lei, Jun. 2014. “Lei Jun on Focus.” Interview by Anna Reporter. Fortune, March 12. "
        "https://kb.test/quotes/7/."
    )
    assert rendered.citation == "(Lei 2014, para. 3)"


def test_csl_mla_from_the_mla_9_rules():
    # MLA 9: Last, First. “Title.” Container, Day Mon. Year, URL. In the text (Last).
    rendered = citations.csl_render(article(), "mla")
    assert rendered.style == "modern-language-association"
    assert rendered.bibliography == (
        "Reporter, Anna. “Lei Jun on Focus.” Fortune, 12 Mar. 2014, "
        "https://example.com/fortune/lei-jun."
    )
    assert rendered.citation == "(Reporter)"
    # An interview: "Interview by" its interviewer; a paragraph is "par." after a comma.
    rendered = citations.csl_render(interview_quote(), "mla", absolute=absolute)
    assert rendered.bibliography == (
        "Lei, Jun. “Lei Jun on Focus.” Interview by Anna Reporter. Fortune, 12 Mar. 2014, "
        "https://kb.test/quotes/7/."
    )
    assert rendered.citation == "(Lei, par. 3)"


def test_csl_harvard_is_author_year_with_available_at():
    # Cite Them Right: Author, I. (Year) … Available at: URL. In the text (Author, Year, para.).
    rendered = citations.csl_render(interview_quote(), "harvard", absolute=absolute)
    assert rendered.style == "harvard-cite-them-right"
    assert rendered.bibliography.startswith("Lei, J. (2014) ")
    assert rendered.bibliography.endswith(" Available at: https://kb.test/quotes/7/.")
    assert rendered.citation == "(Lei, 2014, para. 3)"


def test_cite_takes_a_written_style_or_any_csl_style_by_name():
    quote, _, _ = make()
    assert citations.cite(quote, "apa") == citations.apa(quote)
    assert citations.cite(quote, "csl-json") == citations.csl_item(quote)
    assert citations.cite(quote, "ris") == citations.ris(quote)
    # One of the 2,800 CSL styles, numbered: the number stands apart from the entry.
    assert citations.cite(quote, "nature").startswith("1. Lei, J. Lei Jun on focus.")
    assert citations.cite(quote, "chicago-notes") == citations.cite(
        quote, "chicago-notes-bibliography"
    )


@pytest.mark.parametrize(
    "style",
    ["", "APA", "csl_json", "no-such-style", "../../../etc/passwd", "csl:", "x" * 500, None],
)
def test_an_unknown_style_is_a_clear_error(style):
    quote, _, _ = make()
    with pytest.raises(citations.UnknownStyle) as error:
        citations.cite(quote, style)
    assert isinstance(error.value, ValueError)
    assert "Unknown style" in str(error.value) and "csl-json" in str(error.value)
    assert len(str(error.value)) < 300  # a hostile name is cut, not echoed whole


# --- citation_* meta tags -------------------------------------------------------------------


def test_citation_meta_of_a_quote_page():
    quote, _, _ = make(
        url="",
        publisher="Fortune China (machine translation)",
        published=datetime.date(2014, 3, 12),
    )
    assert citations.citation_meta(quote, absolute=absolute) == [
        ("citation_title", "Lei Jun on focus"),
        ("citation_author", "Lei, Jun"),
        ("citation_publication_date", "2014/03/12"),
        ("citation_date", "2014/03/12"),
        ("citation_publisher", "Fortune China"),
        ("citation_public_url", "https://kb.test/quotes/7/"),
        ("citation_language", "en"),
    ]


def test_citation_meta_of_a_source_page_with_an_original():
    _, _, source = make()
    tags = dict(citations.citation_meta(source, absolute=absolute))
    assert tags["citation_author"] == "Reporter, A." and tags["citation_date"] == "2014"
    assert tags["citation_public_url"] == "https://kb.test/sources/lei-jun-on-focus/"
    assert tags["citation_fulltext_html_url"] == "https://example.com/fortune/lei-jun"
    assert "citation_author" not in dict(citations.citation_meta(bare()[2]))


def test_the_citation_meta_include_writes_escaped_tags():
    from django.template.loader import render_to_string

    _, _, source = make(title='Focus"><script>alert(1)</script>')
    html = render_to_string(
        "includes/citation_meta.html",
        {"citation_meta": citations.citation_meta(source, absolute=absolute)},
    )
    assert '<meta name="citation_title" content="Focus&quot;&gt;&lt;script&gt;' in html
    assert "<script>" not in html
    assert html.count("<meta ") == len(citations.citation_meta(source, absolute=absolute))


# --- the citations on a page ----------------------------------------------------------------


def test_a_quote_page_shows_every_style_and_the_csl_locator(client, small_corpus):
    quote = small_corpus.q_focus
    html = unescape(client.get(f"/quotes/{quote.pk}/").content.decode())
    for key in ("apa", "chicago", "mla", "harvard", "bibtex", "ris", "csl-json", "csl-yaml"):
        assert f'id="cite-{key}"' in html, key
    cite_item = re.search(r'id="cite-csl-json-cite-item">(.*?)</code>', html).group(1)
    assert json.loads(cite_item)["locator"] == str(quote.passage.number)
    assert re.search(r'id="cite-mla-in-text">\(Lei, par\. \d+\)</span>', html)


def test_cite_body_is_what_the_api_answers():
    quote, _, source = make(url="")
    assert citations.cite_body(quote, "apa", absolute=absolute) == {
        "style": "apa",
        "citation": citations.apa(quote, absolute=absolute),
    }
    body = citations.cite_body(quote, "csl-json", absolute=absolute)
    assert body["citation"]["URL"] == "https://kb.test/quotes/7/"
    assert body["cite_item"] == {
        "id": "lei-jun-on-focus-p3-q7",
        "locator": "3",
        "label": "paragraph",
    }
    assert citations.cite_body(source, "csl-json")["cite_item"] == {"id": "lei-jun-on-focus"}
    body = citations.cite_body(quote, "mla", absolute=absolute)
    assert body["in_text"] == "(Lei, par. 3)" and body["citation"].startswith("Lei, Jun. “Lei")
    with pytest.raises(citations.UnknownStyle):
        citations.cite_body(quote, "MLA")


def test_csl_styles_write_an_authorless_works_title_once():
    # The title takes the author's place and is not repeated (CSL: a substituted variable is
    # left out of the rest of the entry). APA 7, 9.12; MLA 9, 5.6; Chicago 17, 15.50 (a
    # periodical without author: the periodical's name first).
    _, _, web = make(speaker=None, author="", kind=Source.Kind.ESSAY, publisher="", year=2011)
    assert citations.csl_render(web, "csl:apa").bibliography == (
        "Lei Jun on focus. (2011). https://example.com/fortune/lei-jun"
    )
    mla = citations.csl_render(web, "mla")
    assert mla.bibliography == "Lei Jun on Focus. 2011, https://example.com/fortune/lei-jun."
    assert mla.citation == "(Lei Jun on Focus)"
    _, _, article = make(speaker=None, author="", kind=Source.Kind.PROFILE)
    assert citations.csl_render(article, "mla").bibliography == (
        "“Lei Jun on Focus.” Fortune, 2014, https://example.com/fortune/lei-jun."
    )
    assert citations.csl_render(article, "csl:apa").citation == "(“Lei Jun on Focus,” 2014)"
    assert citations.csl_render(article, "chicago-author-date").bibliography == (
        "Fortune. 2014. “Lei Jun on Focus.” https://example.com/fortune/lei-jun."
    )


def test_a_csl_style_citeproc_py_cannot_render_is_a_clear_error_too():
    # 90 of the package's 2,851 styles fail in citeproc-py 0.11 (AttributeError, IndexError);
    # the reader is told, as for an unknown name (the API answers 400, never 500).
    quote, _, _ = make()
    with pytest.raises(citations.UnsupportedStyle) as error:
        citations.cite(quote, "associacao-brasileira-de-normas-tecnicas")
    assert isinstance(error.value, citations.UnknownStyle)
    assert "cannot be rendered here" in str(error.value) and "mla" in str(error.value)
    # The longest names of the package are style names too (not cut as hostile input).
    long = "azr-abkurzungs-und-zitierregeln-der-osterreichischen-rechtssprache-und-europarechtlicher-rechtsquellen"
    assert citations.csl_style(long) == long
