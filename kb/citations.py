"""Citations of a quote, a passage or a whole source: APA, Chicago, BibTeX, CSL-JSON.

Pure functions over model instances that are already loaded (no queries of their own,
and never ``Source.text``, which pages defer). They return plain text: templates escape
it. A quote or a passage is cited with its passage locator: "para. n" in APA (APA 7 has
no "¶"), "¶ n" in Chicago and BibTeX; in CSL it is the cite's ``locator``
(``csl_cite_item``), not the item's. A missing author, date or URL is left out or written
``n.d.``, as the styles say.

Who is the author, in every style: the speaker of the cited words (a quote's or a
passage's speaker), else the source's author. When the source's author is someone else (the
journalist of an interview), they are named as who quoted the words: "quoted in" (APA,
Chicago, BibTeX's ``note``), CSL's ``interviewer`` for an interview, else its ``note``.
A whole source is cited by its own author.

The URL cited is the original's (``Source.url``): a citation names the work the words come
from. The site's own permalink to a quote is shown next to its citations
(``includes/citation.html``) and is the ``url`` of its JSON-LD.

``text_fragment_url`` links to the exact words on the original page with a Text
Fragment (https://wicg.github.io/scroll-to-text-fragment/).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote as percent_encode
from urllib.parse import urlsplit

NO_DATE = "n.d."
SITE_NAME = "Lei Jun knowledge base"

# CSL item types for Source.Kind (https://docs.citationstyles.org/en/stable/specification.html).
CSL_TYPES = {
    "interview": "interview",
    "article": "article-magazine",
    # Not CSL's "article": CSL 1.0.2 defines it as a preprint ("Preprint, …" in Chicago).
    "essay": "webpage",
    "profile": "article-magazine",
    "speech": "speech",
}
# Types whose publisher is where the work appears (the magazine, the website): CSL's
# container-title. Others name it as the publisher only (both printed it twice in APA).
CSL_CONTAINED = {"article-magazine", "webpage"}


@dataclass(frozen=True)
class Cited:
    """What a citation needs, whatever is cited: a source, and maybe a passage and speaker."""

    source: object
    number: int | None = None  # the passage's ¶ number
    speaker: str = ""
    quote: int | None = None  # the quote's id, when a quote is cited

    @property
    def locator(self) -> str:
        return f"¶ {self.number}" if self.number is not None else ""

    @property
    def author(self) -> str:
        """Who the cited words are by: their speaker, else the source's author."""
        return (self.speaker or self.source.author).strip()

    @property
    def quoted_in(self) -> str:
        """The source's author when someone else spoke the words (who quoted them), else ""."""
        author = self.source.author.strip()
        return author if self.speaker and author and author != self.author else ""


def cited(obj) -> Cited:
    """A Quote, a Passage or a Source, read as a ``Cited``."""
    if hasattr(obj, "passage"):  # a quote
        speaker = obj.speaker.name if obj.speaker_id else ""
        return Cited(obj.source, obj.passage.number, speaker, obj.pk)
    if hasattr(obj, "number"):  # a passage
        speaker = obj.speaker.name if obj.speaker_id else ""
        return Cited(obj.source, obj.number, speaker)
    return Cited(obj)


def http_url(url: str) -> str:
    """``url`` if it is an http(s) URL, else "" (never a ``javascript:`` link on a page)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def _sentence(text: str) -> str:
    """``text`` ending with a full stop (unless it already ends with punctuation)."""
    text = text.strip()
    return text if not text or text[-1] in ".?!" else text + "."


def apa_date(source) -> str:
    """``2014, March 12``, ``2014`` or ``n.d.``."""
    day = source.published
    if day:
        return f"{day.year}, {day:%B} {day.day}"
    return str(source.year) if source.year else NO_DATE


def chicago_date(source) -> str:
    """``March 12, 2014``, ``2014`` or ``n.d.``."""
    day = source.published
    if day:
        return f"{day:%B} {day.day}, {day.year}"
    return str(source.year) if source.year else NO_DATE


def apa(obj) -> str:
    """APA 7 reference and passage locator: ``Author. (Date). Title. Publisher. Para. n. URL``.

    The author is the speaker (``Cited.author``); a source's author who quoted them is a
    bracketed description after the title (``Title [Quoted in Author].``). Without an
    author the title takes the author's place (APA 7, 9.12).
    """
    c = cited(obj)
    source = c.source
    title = source.title.strip()
    if c.quoted_in:
        title += f" [Quoted in {c.quoted_in}]"
    title = _sentence(title)
    if c.author:
        parts = [_sentence(c.author), f"({apa_date(source)}).", title]
    else:
        parts = [title, f"({apa_date(source)})."]
    if source.publisher:
        parts.append(_sentence(source.publisher))
    if c.number is not None:
        # APA 7 (8.28) locates words in a work without page numbers by paragraph, written
        # "para. n"; the "¶" that APA 6 (6.05) also allowed is gone from the 7th edition.
        parts.append(f"Para. {c.number}.")  # a new element: capitalized after the period
    if http_url(source.url):
        parts.append(http_url(source.url))
    return " ".join(parts)


def chicago(obj) -> str:
    """Chicago (17th ed.) note: ``Speaker, quoted in Author, “Title,” Publisher, Date, ¶ n, URL.``"""
    c = cited(obj)
    source = c.source
    who = f"{c.author}, quoted in {c.quoted_in}" if c.quoted_in else c.author
    rest = ", ".join(
        p for p in (source.publisher, chicago_date(source), c.locator, http_url(source.url)) if p
    )
    head = f"{who}, " if who else ""
    title = _inner_quotes(source.title.strip())
    # The comma goes inside the quotation marks, unless the title ends a question or an
    # exclamation ("“Why?” Fortune, …", not "“Why?,”").
    end = "" if rest.endswith(".") else "."  # "n.d." ends with its own period
    if title.endswith(("?", "!")):
        return f"{head}“{title}” {rest}{end}" if rest else f"{head}“{title}”"
    return f"{head}“{title},” {rest}{end}" if rest else f"{head}“{title}.”"


def _inner_quotes(title: str) -> str:
    """Double quotation marks inside a quoted title become single ones (Chicago 13.30)."""
    out, opening = [], True
    for ch in title.replace("“", '"').replace("”", '"'):
        if ch == '"':
            out.append("‘" if opening else "’")
            opening = not opening
        else:
            out.append(ch)
    return "".join(out)


BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def bibtex_escape(text: str) -> str:
    return "".join(BIBTEX_SPECIAL.get(ch, ch) for ch in " ".join(text.split()))


def bibtex_key(c: Cited) -> str:
    """One key per cited thing: quotes of the same ¶ differ by their id (a bibliography or
    Zotero keeps one entry per key)."""
    key = re.sub(r"[^A-Za-z0-9-]", "", c.source.slug) or "source"
    if c.number is not None:
        key += f"-p{c.number}"
    if c.quote is not None:
        key += f"-q{c.quote}"
    return key


def bibtex(obj) -> str:
    """A BibTeX ``@misc`` entry (``note`` holds the ¶ locator of a quote or a passage, and
    who quoted its speaker)."""
    c = cited(obj)
    source = c.source
    fields = []
    if c.author:
        # Braces keep a name BibTeX would otherwise split ("Lei Jun" is not "Jun, Lei").
        fields.append(("author", "{" + bibtex_escape(c.author) + "}"))
    fields.append(("title", "{" + bibtex_escape(source.title) + "}"))
    if source.publisher:
        fields.append(("howpublished", bibtex_escape(source.publisher)))
    fields.append(("year", str(source.year) if source.year else NO_DATE))
    if source.published:
        fields.append(("month", f"{source.published:%b}".lower()))
    if http_url(source.url):
        # Verbatim: biblatex and the url package read this field as is (an escaped "%"
        # would keep its backslash in the link); only what would unbalance it is encoded.
        url = http_url(source.url)
        url = url.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")
        fields.append(("url", url))
    if source.language:
        fields.append(("language", bibtex_escape(source.language)))
    if c.locator:
        note = c.locator
        if c.quoted_in:
            note += f"; quoted in {c.quoted_in}"
        fields.append(("note", bibtex_escape(note)))
    lines = [f"@misc{{{bibtex_key(c)},"]
    for name, value in fields:
        # Month macros (``mar``) go unbraced; everything else is a braced value.
        braced = value if name == "month" else "{" + value + "}"
        lines.append(f"  {name} = {braced},")
    lines.append("}")
    return "\n".join(lines)


def csl_item(obj, *, item_id: str = "") -> dict:
    """A CSL-JSON item (the format Zotero, Pandoc and citeproc read): the cited work's data.

    The paragraph is not the work's data but the cite's: CSL's ``locator`` and ``label`` go
    in a cite-item (``csl_cite_item``). csl-data.json allows no ``label`` on an item
    (``additionalProperties: false``), citeproc-py warns about one and leaves an item's
    ``locator`` out of the cite.
    """
    c = cited(obj)
    source = c.source
    item: dict = {
        "id": item_id or bibtex_key(c),
        "type": CSL_TYPES.get(source.kind, "document"),
        "title": source.title.strip(),
    }
    if c.author:
        item["author"] = [{"literal": c.author}]
    if c.quoted_in and source.kind == "interview":
        # CSL's interview: the author is who is interviewed, the journalist the interviewer.
        item["interviewer"] = [{"literal": c.quoted_in}]
    elif c.quoted_in:
        item["note"] = f"Quoted in {c.quoted_in}"  # CSL has no role for who quoted an author
    if source.publisher:
        where = "container-title" if item["type"] in CSL_CONTAINED else "publisher"
        item[where] = source.publisher
    if source.published:
        day = source.published
        item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    elif source.year:
        item["issued"] = {"date-parts": [[source.year]]}
    if http_url(source.url):
        item["URL"] = http_url(source.url)
    if source.language:
        item["language"] = source.language
    return item


def csl_cite_item(obj, *, item_id: str = "") -> dict:
    """The CSL cite-item of ``obj``: its item's ``id``, with the paragraph of a quote or a
    passage as ``locator`` and ``label`` (``{"id": …, "locator": "3", "label": "paragraph"}``).

    What a processor is given for one cite beside the items (citeproc-js ``citationItems``,
    citeproc-py ``CitationItem``; Pandoc writes it ``[@id, para. 3]``).
    """
    c = cited(obj)
    cite: dict = {"id": item_id or bibtex_key(c)}
    if c.number is not None:
        cite["locator"] = str(c.number)
        cite["label"] = "paragraph"
    return cite


def csl_json(obj) -> str:
    """``csl_item`` as a CSL-JSON document (a list of one item), one field a line."""
    fields = [
        f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}"
        for name, value in csl_item(obj).items()
    ]
    return "[{\n" + ",\n".join(fields) + "\n}]"


# Text Fragments: besides what is never safe in a URL, ``-``, ``&`` and ``,`` must be
# percent-encoded inside a text directive (they are its syntax).
FRAGMENT_WORDS = 5  # words at each end of a long text (textStart,textEnd)


def fragment_encode(text: str) -> str:
    return percent_encode(text, safe="").replace("-", "%2D")


def text_fragment_url(url: str, text: str, *, words: int = FRAGMENT_WORDS) -> str:
    """``url#:~:text=start,end``: a link that scrolls to ``text`` and highlights it.

    A short text is the whole directive; a long one its first and last ``words`` words
    (the browser matches everything between). Whitespace is collapsed as browsers
    collapse it when they match. An empty URL gives an empty string.
    """
    url = http_url(url).split(":~:", 1)[0]
    if not url:
        return ""  # drop any directive the URL already carries
    tokens = text.split()
    if not tokens:
        return url
    if len(tokens) <= words * 2:
        directive = fragment_encode(" ".join(tokens))
    else:
        start, end = " ".join(tokens[:words]), " ".join(tokens[-words:])
        directive = f"{fragment_encode(start)},{fragment_encode(end)}"
    separator = ":~:" if "#" in url else "#:~:"
    return f"{url}{separator}text={directive}"


@dataclass(frozen=True)
class Style:
    key: str  # apa, chicago, bibtex, csl-json
    label: str
    text: str
    block: bool = False  # shown as preformatted code (BibTeX, CSL-JSON)


def styles(obj) -> list[Style]:
    """Every citation style of ``obj``, in the order a page shows them."""
    return [
        Style("apa", "APA", apa(obj)),
        Style("chicago", "Chicago", chicago(obj)),
        Style("bibtex", "BibTeX", bibtex(obj), block=True),
        Style("csl-json", "CSL-JSON", csl_json(obj), block=True),
    ]


def quotation_jsonld(quote, absolute) -> dict:
    """schema.org ``Quotation`` of a quote; ``absolute(path)`` makes an absolute URL."""
    source = quote.source
    work: dict = {
        "@type": "CreativeWork",
        "name": source.title.strip(),
        "url": absolute(source.get_absolute_url()),
    }
    if source.author:
        work["author"] = {"@type": "Person", "name": source.author}
    if source.publisher:
        work["publisher"] = {"@type": "Organization", "name": source.publisher}
    if source.published:
        work["datePublished"] = source.published.isoformat()
    elif source.year:
        work["datePublished"] = str(source.year)
    if http_url(source.url):
        work["sameAs"] = http_url(source.url)
    if source.language:
        work["inLanguage"] = source.language
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Quotation",
        "@id": absolute(quote.get_absolute_url()),
        "url": absolute(quote.get_absolute_url()),
        "text": quote.text,
        "isBasedOn": absolute(f"{source.get_absolute_url()}#{quote.passage.anchor}"),
        "citation": work,
    }
    if quote.speaker_id:
        data["creator"] = {
            "@type": "Person",
            "name": quote.speaker.name,
            "url": absolute(quote.speaker.get_absolute_url()),
        }
    themes = [theme.name for theme in quote.themes.all()]
    if themes:
        data["keywords"] = themes
    return data
