"""Hostile input (issue #10): markup, scripts and template syntax are always shown as text.

One interview full of XSS payloads is imported through ``import_source`` (the command
editors use), and themes, people, a principle and quote notes are named with payloads
through the models and ``kb.curation``. Every public page, feed, the sitemap, the JSON-LD
blocks, the exports and the API must carry them as text: escaped in HTML and XML, encoded
in JSON, never as live markup. Source URLs are http(s) only, at every door: the model, the
database, the import pipeline, the admin forms. Search syntax, SQL, NUL and odd unicode
(``HOSTILE_STRINGS``) go once through ``search()`` and the FilterSets, where they are
handled, and once through a page and the API.

The data is built once for the module (a transaction rolled back at the end): importing
and rendering every page once per test would cost more than the checks.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from types import SimpleNamespace
from xml.sax.saxutils import escape as xml_escape

import pytest
from api_factories import PATHS, fresh_throttle_fixture  # noqa: F401
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.http import QueryDict

from kb import curation, search
from kb.admin.importing import ImportSourceForm
from kb.filters import QuoteFilter, SourceFilter
from kb.ingest.frontmatter import build_metadata, split_front_matter
from kb.ingest.plan import ImportPlan, IngestError, SourceMetadata
from kb.ingest.store import store_plan
from kb.models import (
    URL_SCHEME_MESSAGE,
    Claim,
    Person,
    Principle,
    Quote,
    Source,
    Status,
    Theme,
)

pytestmark = pytest.mark.django_db

# In the imported text: each one is a way a page could be made to run a script.
TEXT_PAYLOADS = [
    "<script>alert('q')</script>",
    "<script>alert('xss')</script>",
    '<img src=x onerror="alert(2)">',
    "<svg/onload=alert(3)>",
    '<a href="javascript:alert(4)">click</a>',
    '<iframe src="data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg=="></iframe>',
    "<b onmouseover=alert(7)>unclosed",
    "</script><script>alert(6)</script>",
]
# Template syntax is data too: shown as written, never evaluated.
TEMPLATE_PAYLOADS = ["{{ settings.SECRET_KEY }}", "{% debug %}"]

TITLE = "Hostile <script>alert('title')</script> interview"
# A source's address must be a URI (kb.models.uri_character_problem): no raw '"', '<' or
# '>'; what a URI may hold still tries to end an attribute (the single quote) or a script.
URL = "https://example.com/hostile?q=';alert('url');'&r=%22%3E%3Cscript%3Ealert('url')"
AUTHOR = "<img src=x onerror=alert('author')>"
PUBLISHER = "</script><script>alert('publisher')</script>"

THEME = "<script>alert('theme')</script> & \"focus\""
THEME_DESCRIPTION = "<img src=x onerror=alert('theme-description')>"
PERSON = "<svg onload=alert('person')>"
PERSON_DESCRIPTION = "</script><b>bold 'speaker'"
PRINCIPLE = "<script>alert('principle')</script>"
SUMMARY = "<a href=\"javascript:alert('summary')\">x</a>"
CLAIM = "<img src=x onerror=alert('claim')>"
NOTE = "<iframe src=javascript:alert('note')></iframe>"
# A spreadsheet would run it as a formula: the CSV export must neutralise it.
FORMULA = '=HYPERLINK("https://evil.example/","click")'

CURATED_PAYLOADS = [
    TITLE,
    URL,
    AUTHOR,
    PUBLISHER,
    THEME,
    THEME_DESCRIPTION,
    PERSON,
    PERSON_DESCRIPTION,
    PRINCIPLE,
    SUMMARY,
    CLAIM,
    NOTE,
]
HTML_PAYLOADS = TEXT_PAYLOADS + CURATED_PAYLOADS

INTERVIEW = f"""---
title: {TITLE}
url: {URL}
author: {AUTHOR}
publisher: {PUBLISHER}
published: 2015-03-02
kind: interview
subject: Lei Jun
interviewer: Fortune interviewer
---
Q: What do you say to people who write {TEXT_PAYLOADS[0]} to you?

Lei Jun: We say {TEXT_PAYLOADS[1]} is just text. Users wrote {TEXT_PAYLOADS[2]} and {TEXT_PAYLOADS[3]} to us.

Lei Jun: A link like {TEXT_PAYLOADS[4]} or {TEXT_PAYLOADS[5]} does nothing here.

Lei Jun: Broken tags like {TEXT_PAYLOADS[6]} and {TEXT_PAYLOADS[7]} stay text.

Lei Jun: Templates like {TEMPLATE_PAYLOADS[0]} and {TEMPLATE_PAYLOADS[1]} are not run. "Quotes" and 'apostrophes' too.
"""


def build_hostile(tmp_dir) -> SimpleNamespace:
    """The interview imported with ``import_source --publish``, then curated with payloads."""
    path = tmp_dir / "hostile.txt"
    path.write_text(INTERVIEW, encoding="utf-8")
    call_command("import_source", str(path), "--publish", stdout=io.StringIO())
    source = Source.objects.get(title=TITLE)
    assert source.url == URL and source.author == AUTHOR and source.publisher == PUBLISHER
    quotes = list(source.quotes.order_by("start"))
    assert len(quotes) == 4 and all(q.status == Status.PUBLISHED for q in quotes)

    theme = Theme(name=THEME, description=THEME_DESCRIPTION)
    theme.full_clean(exclude=["slug"])
    theme.save()
    person = Person(name=PERSON, description=PERSON_DESCRIPTION)
    person.full_clean(exclude=["slug"])
    person.save()
    curation.add_theme(quotes, theme)
    curation.set_speaker(quotes[:2], person)
    quotes[0].note = NOTE
    quotes[0].featured = True
    quotes[3].attribution = FORMULA
    for quote in (quotes[0], quotes[3]):
        quote.full_clean()
        quote.save()

    principle = Principle(title=PRINCIPLE, summary=SUMMARY)
    principle.full_clean(exclude=["slug"])
    principle.save()
    principle.themes.add(theme)
    passage = quotes[0].passage
    at = passage.text.index("We say")
    claim = Claim(
        principle=principle,
        position=1,
        text=CLAIM,
        passage=passage,
        start=passage.start + at,
        end=passage.start + at + len("We say"),
    )
    claim.full_clean()
    claim.save()
    curation.set_status(principle, Status.PUBLISHED)
    return SimpleNamespace(
        source=source,
        quotes=[Quote.objects.get(pk=q.pk) for q in quotes],
        passages=list(source.passages.order_by("number")),
        theme=theme,
        person=person,
        lei=Person.objects.get(name="Lei Jun"),
        principle=principle,
    )


@pytest.fixture(scope="module")
def hostile(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once; each test runs in a savepoint inside this transaction, rolled back last."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_hostile(tmp_path_factory.mktemp("hostile"))
        transaction.set_rollback(True)


# --- what "shown as text" means --------------------------------------------------------------


class TagCollector(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's tokenizer sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


LIVE_TAGS = {"iframe", "svg", "img", "object", "embed"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc"}


def assert_no_live_markup(html: str, where: str) -> None:
    """No payload as markup: no raw payload, no handler, no script but the site's own."""
    for payload in HTML_PAYLOADS:
        assert payload not in html, (where, payload)
    parser = TagCollector()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in LIVE_TAGS, (where, tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (where, tag, name)
            if name in URL_ATTRIBUTES and value:
                scheme = value.strip().lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (where, value)
        if tag == "script":
            # The site's own: JSON-LD (or the browsable API's JSON data), a static file, or
            # an inline script carrying the page's CSP nonce (which no payload can know).
            own = (
                attrs.get("type") in ("application/ld+json", "application/json")
                or attrs.get("src", "").startswith(settings.STATIC_URL)
                or "nonce" in attrs
            )
            assert own, (where, attrs)
    assert settings.SECRET_KEY not in html, where


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith("text/html"), url
    html = response.content.decode()
    assert_no_live_markup(html, url)
    # Search marks the words it found: <mark> is the only markup inside the text.
    return html.replace("<mark>", "").replace("</mark>", "")


def django_escaped(payload: str) -> str:
    # Django's escape(): & < > " ' as &amp; &lt; &gt; &quot; &#x27;
    return (
        payload.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def ld_blocks(html: str) -> list[str]:
    return re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)


# --- the reading pages -----------------------------------------------------------------------


def test_it_shows_every_page_of_the_hostile_source_as_text(client, hostile):
    source = hostile.source
    html = page(client, source.get_absolute_url())
    for payload in [TITLE, AUTHOR, PUBLISHER, *TEXT_PAYLOADS]:
        assert django_escaped(payload) in html, payload
    # The address is a link (it is http), its quotes and brackets escaped in the attribute.
    assert f'href="{django_escaped(URL)}"' in html
    for template_syntax in TEMPLATE_PAYLOADS:
        assert template_syntax in html  # shown as written, not evaluated
    for passage in hostile.passages:
        html = page(client, f"{source.get_absolute_url()}p/{passage.number}/")
        assert django_escaped(TITLE) in html
    assert django_escaped(TEXT_PAYLOADS[7]) in html or django_escaped(TEXT_PAYLOADS[0]) in html


def test_it_shows_every_quote_page_as_text_with_unbreakable_json_ld(client, hostile):
    for quote in hostile.quotes:
        html = page(client, quote.get_absolute_url())
        assert django_escaped(quote.text) in html
        (block,) = ld_blocks(html)
        # Nothing in the block can close the <script> element or open a comment.
        assert "<" not in block and ">" not in block and "&" not in block
        data = json.loads(block)
        assert data["text"] == quote.text
        assert json.dumps(data, ensure_ascii=False).count(TITLE) >= 1
    first = page(client, hostile.quotes[0].get_absolute_url())
    for payload in (NOTE, PERSON, THEME, TITLE):
        assert django_escaped(payload) in first, payload
    # The breakout payload of the fourth answer is in a JSON-LD block, encoded.
    fourth = page(client, hostile.quotes[2].get_absolute_url())
    assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert(6)" in ld_blocks(fourth)[0]


@pytest.mark.parametrize(
    "url, payloads",
    [
        ("/", [PERSON]),
        ("/sources/", [TITLE, PUBLISHER]),
        ("/quotes/", [TEXT_PAYLOADS[1], PERSON]),
        ("/themes/", [THEME, THEME_DESCRIPTION]),
        ("/people/", [PERSON]),
        ("/principles/", [PRINCIPLE, SUMMARY]),
        ("/search/?q=alert", [PRINCIPLE]),
        ("/search/?q=alert&type=quote", [PERSON]),
        ("/search/?q=alert&type=passage", [TITLE]),
        ("/search/?q=alert&type=source", [TITLE]),
        ("/quotes/?q=alert", [TEXT_PAYLOADS[6]]),
    ],
)
def test_it_shows_every_list_and_search_page_as_text(client, hostile, url, payloads):
    html = page(client, url)
    for payload in payloads:
        assert django_escaped(payload) in html, payload


def test_it_shows_theme_person_and_principle_pages_as_text(client, hostile):
    html = page(client, hostile.theme.get_absolute_url())
    assert django_escaped(THEME) in html and django_escaped(THEME_DESCRIPTION) in html
    html = page(client, hostile.person.get_absolute_url())
    assert django_escaped(PERSON) in html and django_escaped(PERSON_DESCRIPTION) in html
    html = page(client, hostile.lei.get_absolute_url())
    assert django_escaped(TEXT_PAYLOADS[7]) in html
    html = page(client, hostile.principle.get_absolute_url())
    for payload in (PRINCIPLE, SUMMARY, CLAIM, THEME):
        assert django_escaped(payload) in html, payload
    for block in ld_blocks(html):
        assert "<" not in block


@pytest.mark.parametrize("payload", [*HTML_PAYLOADS, *TEMPLATE_PAYLOADS, "&lt;b&gt;x"])
def test_it_echoes_a_hostile_query_and_filter_as_text(client, hostile, payload):
    html = page(client, "/search/?" + _query(q=payload))
    assert django_escaped(payload) in html
    # Unknown filter values are shown back, next to their error.
    html = page(client, "/quotes/?" + _query(speaker=payload, theme=payload, year=payload))
    assert django_escaped(payload) in html
    page(client, "/search/?" + _query(q="alert", theme=payload, speaker=payload))


def _query(**params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


# --- search syntax, SQL and odd text: tested once where they are handled ---------------------

# Query syntax of the engines, SQL, NUL, huge and odd unicode: each goes through the search and
# the FilterSets here (the layer that handles it), then once through a page and the API. The
# hypothesis suites (test_fuzz.py, test_search_fuzz.py) draw thousands more.
HOSTILE_STRINGS = [
    "",
    " ",
    '"',
    '"unbalanced phrase',
    "*",
    "users*",
    "NEAR(",
    "NEAR(users templates, 3)",
    "^users",
    "title:users",
    "((users",
    "users))",
    "OR",
    "- -users",
    "AND OR NOT",
    "' OR 1=1; --",
    "1; DROP TABLE kb_quote; --",
    "%_\\",
    "\x00",
    "users\x00templates",
    "x" * 10_000,
    "users " * 2_000,
    "🙂 雷军 小米 ñandú",
    "\u202e\ufeff\u200b\ud7ff",
    "<script>alert(1)</script>",
]
# What the search makes of some of them on the hostile interview: the words around the syntax
# are searched ("users" is in one answer), syntax alone finds nothing. The others ("OR", SQL,
# NEAR with two words of different quotes) are only held to what every string is.
FINDS_QUOTES = {"users*", "^users", "((users", "users))", "users " * 2_000}
FINDS_NOTHING = {
    "",
    " ",
    '"',
    "*",
    "NEAR(",
    "- -users",
    "%_\\",
    "\x00",
    "x" * 10_000,
    "🙂 雷军 小米 ñandú",
    "\u202e\ufeff\u200b\ud7ff",
}


def expected_found(raw: str) -> bool | None:
    return True if raw in FINDS_QUOTES else False if raw in FINDS_NOTHING else None


NUL_MESSAGE = "Null characters are not allowed."


def short_id(raw: str) -> str:
    return repr(raw[:24]) + (f"…({len(raw)})" if len(raw) > 24 else "")


def query_dict(**values) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in values.items():
        data[name] = value
    return data


def assert_messages(errors: dict, where: str) -> None:
    """Every refusal is a sentence for a reader, never an exception's text."""
    for field, messages in errors.items():
        for message in messages:
            assert message.endswith(".") and "Traceback" not in message, (where, field, message)


@pytest.mark.parametrize("raw", HOSTILE_STRINGS, ids=short_id)
def test_the_search_reads_any_string_as_words(hostile, raw):
    results = search.search(raw, types=("quote",), limit=100)
    found = {hit.id for hit in results.groups.get("quote", [])}
    public = set(Quote.objects.published().values_list("pk", flat=True))
    assert found <= public
    assert expected_found(raw) in (None, bool(found)), found
    # The quote list's words search the same way (QuoteFilter's q), or say why they cannot.
    words = QuoteFilter(query_dict(q=raw), queryset=Quote.objects.published())
    if "\x00" in raw:
        assert words.errors == {"q": [NUL_MESSAGE]}
        return
    assert words.is_valid(), words.errors
    listed = set(words.qs.values_list("pk", flat=True))
    if results.parsed.is_empty:
        # No word to look for: the list is not narrowed, but for the words it excludes.
        with_users = set(Quote.objects.filter(text__icontains="users").values_list("pk", flat=True))
        assert listed == public - (with_users if raw == "- -users" else set())
    else:
        assert listed == found


@pytest.mark.parametrize("raw", HOSTILE_STRINGS, ids=short_id)
def test_the_filtersets_apply_a_hostile_value_or_refuse_it_with_a_message(hostile, raw):
    published = Quote.objects.published()
    names = ["theme", "speaker", "source", "kind", "year", "year_min", "featured", "ordering"]
    quotes = QuoteFilter(query_dict(**dict.fromkeys(names, raw)), queryset=published)
    sources = SourceFilter(
        query_dict(**dict.fromkeys(["kind", "year_min", "speaker", "title"], raw)),
        queryset=Source.objects.all(),
    )
    if raw == "":
        # An empty value is no filter.
        assert quotes.is_valid() and quotes.qs.count() == published.count()
        assert sources.is_valid() and sources.qs.count() == Source.objects.count()
        return
    # No hostile string names a theme, a person, a source or a kind, nor is it a year.
    assert_messages(quotes.errors, "QuoteFilter")
    assert_messages(sources.errors, "SourceFilter")
    if raw.strip():
        assert {"theme", "speaker", "source", "kind", "year"} <= set(quotes.errors)
        assert {"kind", "year_min", "speaker"} <= set(sources.errors)
    if "\x00" in raw:
        assert NUL_MESSAGE in sources.errors["title"]
    else:
        # Words in a title are words: nothing matches, nothing breaks.
        title_only = SourceFilter(query_dict(title=raw), queryset=Source.objects.all())
        assert title_only.is_valid(), title_only.errors
        assert title_only.qs.count() == Source.objects.filter(title__icontains=raw.strip()).count()


def test_the_pages_answer_any_string_with_the_list_or_a_message(client, hostile):
    for raw in HOSTILE_STRINGS:
        search_page = client.get("/search/", {"q": raw})
        assert search_page.status_code == 200, short_id(raw)
        found = search_page.context["results"].counts["quote"] > 0
        assert expected_found(raw) in (None, found), short_id(raw)
        listing = client.get("/quotes/", {"q": raw, "speaker": raw})
        assert listing.status_code == 200, short_id(raw)
        html = listing.content.decode()
        if "\x00" in raw:
            assert NUL_MESSAGE in html, short_id(raw)
        elif raw.strip():  # an unknown speaker is named back, beside its error
            assert "Select a valid choice" in html, short_id(raw)


def test_the_api_answers_any_string_with_json_or_a_400_that_says_why(client, hostile):
    for raw in HOSTILE_STRINGS:
        for path in ("/api/search/", "/api/quotes/"):
            response = client.get(path, {"q": raw})
            body = response.json()
            if "\x00" in raw:
                # A NUL is refused by every API endpoint, in a message naming the parameter.
                assert response.status_code == 400, (path, short_id(raw))
                assert body == {"q": [NUL_MESSAGE]}, body
                continue
            assert response.status_code == 200, (path, short_id(raw), body)
            if path == "/api/search/":
                assert expected_found(raw) in (None, body["count"] > 0), short_id(raw)
            else:  # the list with the page's FilterSet
                listed = QuoteFilter(query_dict(q=raw), queryset=Quote.objects.published()).qs
                assert body["count"] == listed.count(), short_id(raw)


# --- feeds, sitemap, exports ------------------------------------------------------------------


def assert_xml_text_only(body: bytes, where: str) -> ET.Element:
    text = body.decode()
    for payload in HTML_PAYLOADS:
        assert payload not in text, (where, payload)
    return ET.fromstring(body)  # well formed: no payload broke the structure


def test_it_writes_the_feeds_as_escaped_xml(client, hostile):
    atom = "{http://www.w3.org/2005/Atom}"
    for url in ("/feeds/quotes.atom", f"/feeds/themes/{hostile.theme.slug}.atom"):
        response = client.get(url)
        assert response.status_code == 200
        root = assert_xml_text_only(response.content, url)
        contents = " ".join(e.text or "" for e in root.iter(f"{atom}summary"))
        # A summary is type="html": feed readers parse it as HTML, where the words are
        # escaped, so they show as text (and no tag of theirs is markup).
        assert "<script" not in contents and "<img" not in contents
        for quote in hostile.quotes:
            assert quote.text in html.unescape(contents)  # the words themselves
        assert xml_escape(TEXT_PAYLOADS[7]) in response.content.decode()
        categories = {c.get("term") for c in root.iter(f"{atom}category")}
        assert THEME in categories
    theme_feed = client.get(f"/feeds/themes/{hostile.theme.slug}.atom").content
    root = ET.fromstring(theme_feed)
    assert THEME in root.find(f"{atom}title").text
    assert root.find(f"{atom}subtitle").text == THEME_DESCRIPTION


def test_it_writes_the_sitemap_as_escaped_xml(client, hostile):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = assert_xml_text_only(response.content, "/sitemap.xml")
    locations = {e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    for obj in (hostile.source, hostile.theme, hostile.person, hostile.principle):
        assert f"http://testserver{obj.get_absolute_url()}" in locations


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_it_exports_text_and_neutralises_formulas(client, hostile, prefix):
    response = client.get(f"{prefix}/quotes/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    # The CSV starts with a BOM (for Excel): read it as spreadsheets do.
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(body))}
    for quote in hostile.quotes:
        row = rows[str(quote.pk)]
        assert row["text"] == quote.text and row["source"] == TITLE
        assert row["original_url"] == URL
    assert rows[str(hostile.quotes[3].pk)]["attribution"] == "'" + FORMULA
    assert rows[str(hostile.quotes[0].pk)]["speaker"] == PERSON

    response = client.get(f"{prefix}/quotes/export.jsonl")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jsonl")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    by_id = {line["id"]: line for line in lines}
    assert {q.pk for q in hostile.quotes} <= set(by_id)
    assert by_id[hostile.quotes[2].pk]["text"] == hostile.quotes[2].text


def test_the_page_citations_are_text(client, hostile):
    html = page(client, hostile.quotes[0].get_absolute_url())
    # APA, Chicago and BibTeX citations name the title and the publisher, escaped.
    cites = re.findall(r'class="citation[^"]*" id="cite-[\w-]+">(.*?)</(?:p|pre)>', html, re.S)
    # casefold: a CSL style (MLA, Harvard) writes the title in title case.
    assert cites and all(django_escaped(TITLE).casefold() in c.casefold() for c in cites)


# --- the API -----------------------------------------------------------------------------------


def api_paths(h) -> list[str]:
    """Every path of PATHS with this module's objects in it."""
    out = []
    for path in PATHS:
        if "/sources/" in path:
            values = {"{slug}": h.source.slug}
        elif "/passages/" in path:
            values = {"{id}": str(h.passages[2].pk)}
        elif "/quotes/" in path:
            values = {"{id}": str(h.quotes[2].pk)}
        elif "/themes/" in path:
            values = {"{slug}": h.theme.slug}
        elif "/people/" in path:
            values = {"{slug}": h.person.slug}
        elif "/principles/" in path:
            values = {"{slug}": h.principle.slug}
        else:
            values = {}
        for key, value in values.items():
            path = path.replace(key, value)
        out.append(path + ("?q=alert" if path == "/api/search/" else ""))
    return out


def strings(data) -> list[str]:
    """Every string in a decoded JSON document."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, list):
        return [text for item in data for text in strings(item)]
    return []


def test_it_answers_every_api_endpoint_with_json_holding_the_payloads_as_text(client, hostile):
    expected = {
        "/api/sources/": TITLE,
        "/api/passages/": TEXT_PAYLOADS[4],
        "/api/quotes/": TEXT_PAYLOADS[7],
        "/api/themes/": THEME,
        "/api/people/": PERSON,
        "/api/principles/": PRINCIPLE,
        "/api/search/": TITLE,
    }
    checked = 0
    for path in api_paths(hostile):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response["X-Content-Type-Options"] == "nosniff"
        if "/export." in path:
            continue  # text/csv and application/jsonl: test_it_exports_text_…
        if path.endswith("/text/"):  # a source's text: plain text, never HTML
            assert response["Content-Type"] == "text/plain; charset=utf-8", path
            assert TEXT_PAYLOADS[4] in b"".join(response.streaming_content).decode(), path
            checked += 1
            continue
        assert response["Content-Type"] == "application/json", path
        prefix = next(p for p in expected if path.startswith(p))
        words = TITLE if path.endswith("/cite/") else expected[prefix]  # cites name the source
        if path.endswith("/passages/"):  # a source's passages
            words = TEXT_PAYLOADS[4]
        assert any(words in text for text in strings(response.json())), path
        checked += 1
    assert checked == len(PATHS) - 2
    for style in ("csl-json", "bibtex", "apa", "chicago"):
        for obj in (hostile.source, hostile.quotes[0]):
            url = f"/api/{'sources' if obj is hostile.source else 'quotes'}/"
            key = obj.slug if obj is hostile.source else obj.pk
            response = client.get(f"{url}{key}/cite/", {"style": style})
            assert response["Content-Type"] == "application/json"
            assert any("alert('title')" in text for text in strings(response.json()))


def test_the_browsable_api_escapes_too(client, hostile):
    for path in ("/api/quotes/", f"/api/principles/{hostile.principle.slug}/", "/api/search/"):
        response = client.get(
            path, {"q": "alert"} if "search" in path else {}, HTTP_ACCEPT="text/html"
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert_no_live_markup(response.content.decode(), path)


# --- source URLs: http and https only, at every door -----------------------------------------

BAD_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "ftp://example.com/interview.txt",
    "file:///etc/passwd",
    "//example.com/no-scheme",
    "mailto:lei@example.com",
]
GOOD_URLS = ["https://example.com/a", "http://example.com/b?x=1#y", "HTTPS://EXAMPLE.COM/C"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_model_refuses_a_url_that_is_not_http(url):
    source = Source(title="Bad address", text=f"Text for {url}", url=url)
    with pytest.raises(ValidationError) as refused:
        source.full_clean(exclude=["sha256", "slug"])
    assert URL_SCHEME_MESSAGE in refused.value.message_dict["url"]


@pytest.mark.parametrize("url", [u for u in BAD_URLS if not u.startswith("//")])
def test_the_database_refuses_a_url_that_is_not_http(url):
    # No full_clean: objects.create and update() go straight to the database.
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(title="Bad address", text=f"Text for {url}", url=url)
    source = Source.objects.create(title="Good address", text=f"Other text {url}", url="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.filter(pk=source.pk).update(url=url)


@pytest.mark.parametrize("url", GOOD_URLS)
def test_the_model_and_the_database_accept_http_urls(url):
    source = Source(title="Good address", text=f"Text for {url}", url=url)
    source.full_clean(exclude=["sha256", "slug"])
    source.save()
    assert Source.objects.get(pk=source.pk).url == url


@pytest.mark.parametrize("url", [*BAD_URLS, "http://under_score/a", "https://" + "a" * 500])
def test_the_importer_refuses_a_url_that_is_not_http(url, tmp_path):
    front, _ = split_front_matter(f"---\ntitle: T\nurl: {url}\n---\nBody.\n")
    with pytest.raises(IngestError, match="bad URL"):
        build_metadata(front, {})
    path = tmp_path / "bad.txt"
    path.write_text(f"---\ntitle: Bad\nurl: {url}\n---\nSome words.\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad URL .*nothing was imported") as failed:
        call_command("import_source", str(path), stdout=io.StringIO())
    assert failed.value.returncode == 2
    assert not Source.objects.filter(title="Bad").exists()


def test_storing_a_plan_with_a_bad_url_is_an_ingest_error():
    # A plan made without build_metadata still gets a one-line error, never a traceback.
    plan = ImportPlan(text="Some words.", metadata=SourceMetadata(title="T", url="ftp://x/a"))
    with pytest.raises(IngestError, match="bad metadata: url: .*http:// or https://"):
        store_plan(plan)
    assert not Source.objects.filter(title="T").exists()


@pytest.mark.parametrize("url", BAD_URLS[:7])
def test_the_admin_forms_refuse_a_url_that_is_not_http(admin_client, url):
    form = ImportSourceForm(data={"text": "Some words.", "url": url}, max_bytes=10_000)
    assert not form.is_valid()
    assert "http:// or https://" in " ".join(form.errors["url"])
    source = Source.objects.create(title="Edited", text="Some edited words.")
    change = f"/admin/kb/source/{source.pk}/change/"
    response = admin_client.post(
        change,
        {
            "title": "Edited",
            "slug": source.slug,
            "kind": "other",
            "url": url,
            "language": "en",
            "passages-TOTAL_FORMS": "0",
            "passages-INITIAL_FORMS": "0",
            "passages-MIN_NUM_FORMS": "0",
            "passages-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert URL_SCHEME_MESSAGE in response.content.decode()
    assert Source.objects.get(pk=source.pk).url == ""
