"""Recognise what is not the source's own text: page metadata lines and page chrome.

Web copies of articles arrive with the page around them: ``Source: Internet`` lines
above the text, and "Related Article", "Contact Us", disclaimers, sales blurbs and
support menus below it.  They are kept as passages (the text is never rewritten) but
flagged as boilerplate so nobody cites them.  The patterns are deliberately narrow:
flagging real prose would hide it, missing a menu item only costs a glance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# `Key: value` lines of page metadata.  "Reporter" is missing on purpose: `Reporter :`
# is a speaker turn in Q&A transcripts.
_METADATA_KEYS = (
    r"source|sources|author|authors|by|keywords?|key\s+words|date|dated|time|editor|editors|"
    r"responsible\s+editor|tags?|translator|translated\s+by|published(?:\s+on|\s+at)?|"
    r"posted(?:\s+on|\s+at|\s+by)?|updated|last\s+updated|category|categories|views?|"
    r"reads|clicks|comments|origin|original|photo|photos|image|credit|copy\s*editor|"
    r"release\s+time|release\s+date|"
    # The same on pages that were not translated: source, author, editor, keywords...
    r"来源|作者|编辑|责任编辑|关键词|关键字|日期|时间|发布时间|标签|译者"
)
_METADATA_WITH_COLON = re.compile(rf"(?i:{_METADATA_KEYS})\s*[:：]\s*\S.{{0,150}}")
# A few keys are also written without a colon ("Keywords Internet Lei", "By Jane Doe").
_METADATA_WITHOUT_COLON = re.compile(r"(?i:keywords?|tags?)\s+\S.{0,100}|By\s+[A-Z].{0,60}")
_DATE_ONLY = re.compile(
    r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|(?i:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4})"
)

# After one of these, the rest of the page is chrome.
_STRONG_MARKER = re.compile(
    r"(?i:related\s+(?:articles?|posts?|stories|news|reading|content|links?)|"
    r"contact\s+us|you\s+(?:may|might)\s+also\s+like|recommended(?:\s+(?:for\s+you|articles?|"
    r"reading|stories))?|more\s+(?:from|articles|stories|news)(?:\s+[\w ]{0,30})?|"
    r"popular\s+(?:posts|articles|stories)|most\s+(?:read|popular|viewed)|"
    r"leave\s+a\s+(?:comment|reply)|(?:\d+\s+)?comments?|read\s+more|see\s+also|"
    r"previous\s+(?:article|post)|next\s+(?:article|post))"
    r"\s*[:：.>»]*"
)

# Chrome anywhere in a paragraph, whatever its length: disclaimers and legal lines.
_CHROME_ANY_LENGTH = re.compile(
    r"(?i:content\s+source\s+of\s+this\s+page|"
    r"does(?:n't|n’t|\s+not)\s+represent\s+[\w\s']{0,40}(?:opinion|views?|position)|"
    r"instances\s+of\s+plagiarism|all\s+rights\s+reserved|"
    r"reproduc\w+\s+(?:is\s+)?(?:prohibited|without\s+permission)|"
    r"please\s+(?:send|write)\s+(?:us\s+)?an\s+email)"
)
# Chrome when it is (nearly) the whole of a short paragraph.
_CHROME_SHORT = re.compile(
    r"(?i:share\s+(?:this|on)\b|advertisement|sponsored\b|subscribe\b|sign\s+up\b|log\s*in\b|"
    r"print\s+this|email\s+this|follow\s+us\b|copyright\b|©|\(c\)\s*\d{4}|"
    r"a\s+free\s+trial\b|free\s+trial\b|start\s+building\b|"
    r"[•·▪●■◦*-]?\s*(?:sales|after-sales|pre-?sales|technical|customer)\s+support\b|"
    r"1\s+on\s+1\s+presale|24/7\s+technical|"
    r"[•·▪●■◦*-]?\s*[\w ]{0,40}offers\s+highly\s+flexible\s+support|"
    r"home\s*[>»/]|back\s+to\s+top|click\s+here|privacy\s+policy|terms\s+of\s+(?:use|service)|"
    r"cookie)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SHORT_PARAGRAPH = 160


def is_metadata_line(line: str) -> bool:
    """``Source: Internet``, ``Author: User``, ``Keywords Internet Lei``, a lone date..."""
    line = line.strip()
    return bool(
        _METADATA_WITH_COLON.fullmatch(line)
        or _METADATA_WITHOUT_COLON.fullmatch(line)
        or _DATE_ONLY.fullmatch(line)
    )


def is_chrome_marker(paragraph: str) -> bool:
    """A heading after which the rest of a web page is navigation: "Related Article"."""
    return len(paragraph) <= 60 and bool(_STRONG_MARKER.fullmatch(paragraph.strip()))


def looks_like_chrome(paragraph: str) -> bool:
    """Disclaimers, sales blurbs, support menus, sharing buttons, e-mail lines."""
    paragraph = paragraph.strip()
    if len(paragraph) <= 800 and _CHROME_ANY_LENGTH.search(paragraph):
        return True
    if len(paragraph) > _SHORT_PARAGRAPH:
        return False
    if _CHROME_SHORT.match(paragraph):
        return True
    email = _EMAIL.search(paragraph)
    # A line that is mostly an e-mail address ("Email: info@example.com").
    return email is not None and len(paragraph) - (email.end() - email.start()) <= 40


def flag_boilerplate(paragraphs: Sequence[str]) -> list[bool]:
    """Which of the body's paragraphs are page chrome.

    Everything from a strong marker ("Related Article", "Contact Us"...) on is chrome,
    provided real text came before it - a marker at the very top is a menu, not the end.
    """
    flags = []
    body_seen = False
    in_tail = False
    for paragraph in paragraphs:
        if not in_tail and body_seen and is_chrome_marker(paragraph):
            in_tail = True
        chrome = in_tail or looks_like_chrome(paragraph) or is_chrome_marker(paragraph)
        body_seen = body_seen or not chrome
        flags.append(chrome)
    return flags
