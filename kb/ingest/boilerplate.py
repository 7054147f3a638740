"""Recognise what is not the source's own text: page metadata lines and page chrome.

Web copies of articles arrive with the page around them: ``Source: Internet`` lines
above the text, and "Related Article", "Contact Us", disclaimers, sales blurbs and
support menus below it.  They are kept as passages (the text is never rewritten) but
flagged as boilerplate so nobody cites them.  The patterns are deliberately narrow:
flagging real prose would hide it, missing a menu item only costs a glance.
"""

from __future__ import annotations

import re
from collections import Counter
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
    r"(?:(?i:related\s+(?:articles?|posts?|stories|news|reading|content|links?)|"
    r"contact\s+us|you\s+(?:may|might)\s+also\s+like|recommended(?:\s+(?:for\s+you|articles?|"
    r"reading|stories))?|more\s+(?:from|articles|stories|news)(?:\s+[\w ]{0,30})?|"
    r"popular\s+(?:posts|articles|stories)|most\s+(?:read|popular|viewed)|"
    r"leave\s+a\s+(?:comment|reply)|(?:\d+\s+)?comments?|read\s+more|see\s+also|"
    r"previous\s+(?:article|post)|next\s+(?:article|post))"
    # The same on Chinese pages (simplified and traditional): related articles, further
    # reading, recommended, most read, "comments (2)", leave a comment.
    r"|(?:相关|相關|延伸|推荐|推薦|热门|熱門)(?:文章|阅读|閱讀|新闻|新聞|推荐|推薦)|猜你喜欢|猜你喜歡"
    r"|(?:网友|網友|最新|全部)?(?:评论|評論|留言)(?:\s*[（(]\d+[)）])?|发表评论|發表評論)"
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
    r"|分享(?:到|至)|分享："
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
    if is_navigation_line(paragraph):
        return True
    if len(paragraph) > _SHORT_PARAGRAPH:
        return False
    if _CHROME_SHORT.match(paragraph):
        return True
    email = _EMAIL.search(paragraph)
    # A line that is mostly an e-mail address ("Email: info@example.com").
    return email is not None and len(paragraph) - (email.end() - email.start()) <= 40


def flag_boilerplate(paragraphs: Sequence[str], known: Sequence[bool] = ()) -> list[bool]:
    """Which of the body's paragraphs are page chrome.

    Everything from a strong marker ("Related Article", "Contact Us"...) on is chrome,
    provided real text came before it - a marker at the very top is a menu, not the end.
    ``known[i]`` says paragraph i is chrome already (found by :func:`chrome_lines`).
    """
    flags = []
    body_seen = False
    in_tail = False
    known = list(known) or [False] * len(paragraphs)
    for paragraph, already in zip(paragraphs, known, strict=True):
        if not in_tail and body_seen and is_chrome_marker(paragraph):
            in_tail = True
        chrome = already or in_tail or looks_like_chrome(paragraph) or is_chrome_marker(paragraph)
        body_seen = body_seen or not chrome
        flags.append(chrome)
    return flags


# -- line-level features ---------------------------------------------------------------
# A page's chrome is recognised line by line, by what the line looks like and where it
# stands, rather than by a list of phrases: a menu of short items, a "Previous: <title>"
# link, a comment block (a name line, a date line, the comment), a line the page repeats
# (a caption, a banner), a list of short unpunctuated lines (links), a byline or a date.

_NAVIGATION = re.compile(
    r"(?i:previous|prev|next|related|read\s+more|see\s+also|also\s+read|more\s+on|up\s+next|"
    r"上一篇|下一篇|相关阅读|延伸阅读|推荐阅读)"
    r"(?:\s+(?i:article|post|story|stories))?\s*[:：»>|\-–—]\s*\S.{0,150}"
)
# "Home | News | Phones", "Home > Tech > Phones": three or more short items.
_MENU_SEPARATOR = re.compile(r"\s+[|>»/·•]\s+|\s*[|»·•]\s*")
_EDITORIAL_NOTE = re.compile(
    r"(?i:(?:this|the)\s+(?:interview|conversation|transcript|article|q&a)\s+has\s+been\s+"
    r"(?:edited|condensed|lightly\s+edited|translated))"
    # "本文由编辑部整理", "本文来源：…", "(责任编辑：…)" in either script.
    r"|[(（]?本文(?:由|来源|來源|转载|轉載|系|為|为)"
)
_BYLINE = re.compile(
    r"(?i:(?:posted|written|reported|words|text|story|photos?)\s+by|by)\s+"
    r"[A-Z][\w’'.\-]*(?:\s+[A-Z][\w’'.\-]*){0,3}(?:\s*(?:,|and|&)\s*[A-Z][\w’'.\-]*"
    r"(?:\s+[A-Z][\w’'.\-]*){0,3})*"
)
_DATE = (
    r"(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?"
    r"|(?i:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4})"
    r"|\d{1,2}\s+(?i:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?),?\s+\d{4})"
)
_TIME = r"(?:\s*(?:at\s+|,\s*)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?i:am|pm))?)"
_DATED_LINE = re.compile(
    rf"(?i:(?:updated|posted|published|last\s+updated|released|发布于|更新于)(?:\s+on)?\s*[:：]?\s*)?"
    rf"(?i:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?{_DATE}{_TIME}?(?:\s*\(?[A-Z]{{2,4}}\)?)?"
    r"(?:\s*(?:,|\|)?\s*(?i:by)\s+\S.{0,40})?"
    # "2024-02-20 10:30 来源：科技日报": a date line with the page's source or author.
    r"(?:\s+(?:(?i:source|author)|来源|來源|作者|编辑|編輯)\s*[:：]\s*\S.{0,40})?"
)
# "Posted in Phones", "Filed under: Reviews": the page's category line.
_CATEGORY_LINE = re.compile(r"(?i:posted\s+in|filed\s+(?:in|under))\s*[:：]?\s*\S.{0,60}")
_COMMENT_DATE = re.compile(rf"{_DATE}{_TIME}|\d+\s+(?i:minutes?|hours?|days?|weeks?)\s+ago")
_SENTENCE_PUNCTUATION = '.!?。！？…:：,，;；"”’)'
_SHORT_LINE = 60
_REPEATED_MIN_CHARS = 20


def is_navigation_line(line: str) -> bool:
    """``Previous: <title>``, ``Read more: <title>``, or a menu ``Home | News | Phones``."""
    line = line.strip()
    if len(line) > 200:
        return False
    if _NAVIGATION.fullmatch(line):
        return True
    if not any(separator in line for separator in "|>»/·•"):
        return False
    items = [item for item in _MENU_SEPARATOR.split(line) if item.strip()]
    return len(items) >= 3 and all(len(item) <= 25 for item in items) and len(line) <= 120


def is_byline_or_date(line: str) -> bool:
    """``By Jane Doe``, ``Posted by Tom Baker``, ``Updated 12 January 2022``, a lone date."""
    line = line.strip()
    return len(line) <= 100 and bool(
        _BYLINE.fullmatch(line) or _DATED_LINE.fullmatch(line) or _CATEGORY_LINE.fullmatch(line)
    )


def is_page_metadata(line: str) -> bool:
    """A metadata line wherever it stands: ``Photo: …``, ``责任编辑：李明``, a byline, a date."""
    line = line.strip()
    if is_byline_or_date(line):
        return True
    # The colon form only: "By …" and "Keywords …" without one are too easily prose.
    return len(line) <= 160 and bool(_METADATA_WITH_COLON.fullmatch(line))


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _width(line: str) -> int:
    """Length with each Han character counted twice: a Chinese line of 25 characters says
    as much as an English line of 50."""
    return len(line) if line.isascii() else len(line) + len(_HAN.findall(line))


def _unpunctuated_short(line: str) -> bool:
    return (
        0 < _width(line) <= _SHORT_LINE
        and len(line.split()) <= 10
        and line[-1] not in _SENTENCE_PUNCTUATION
        and any(character.isalnum() for character in line)
    )


def chrome_lines(
    lines: Sequence[str], content: Sequence[bool], *, by_context: bool = True
) -> dict[int, str]:
    """Which lines (stripped texts, "" when blank) are page chrome, with the feature that
    said so: "metadata", "navigation", "note", "repeated", "links", "comment", "before chrome".

    ``content[i]`` is False for lines that are never chrome here (the title, speaker turns):
    a turn "A: Yes." is an answer however short, and a heading is the text's own.
    Without ``by_context``, only what a line shows by itself (and a list of links): what
    finding the title may skip.
    """
    found: dict[int, str] = {}
    counts = Counter(line for line, ok in zip(lines, content, strict=True) if ok and line)
    body_seen = False
    for index, line in enumerate(lines):
        if not line or not content[index]:
            body_seen = body_seen or bool(line)
            continue
        if is_page_metadata(line):
            found[index] = "metadata"
        elif is_navigation_line(line):
            found[index] = "navigation"
        elif _EDITORIAL_NOTE.match(line) and len(line) <= 200:
            found[index] = "note"
        elif len(line) >= _REPEATED_MIN_CHARS and counts[line] >= 2 and '"' not in line:
            found[index] = "repeated"
        elif not _unpunctuated_short(line):
            body_seen = True
    # A run of two or more short unpunctuated lines with no blank line between: a list of
    # links ("Trending now" and two titles), not a heading followed by its paragraph.
    run: list[int] = []
    for index, line in enumerate([*lines, ""]):
        if line and index < len(lines) and content[index] and _unpunctuated_short(line):
            if not _LIST_MARK.match(line) and index not in found:
                run.append(index)
                continue
        if len(run) >= 2:
            for member in run:
                found.setdefault(member, "links")
        run = []
    _comment_blocks(lines, content, found)
    if not by_context:
        return found
    # Sharing and marker lines ("Share this:", "Leave a Reply") are chrome here too, so
    # that what stands between them is seen between chrome.
    for index, line in enumerate(lines):
        if line and content[index] and index not in found:
            if len(line) <= 60 and (looks_like_chrome(line) or is_chrome_marker(line)):
                found[index] = "marker"
    # Short lines standing between chrome lines are more of it ("Like this:", "Related"
    # between the sharing buttons and the comment form).
    short = [bool(line) and _width(line) <= 40 and len(line.split()) <= 6 for line in lines]
    index = 0
    while index < len(lines):
        if lines[index] and content[index] and index not in found and short[index]:
            run_end = index
            while run_end + 1 < len(lines) and (
                not lines[run_end + 1]
                or (short[run_end + 1] and run_end + 1 not in found and content[run_end + 1])
            ):
                run_end += 1
            before = next((j for j in range(index - 1, -1, -1) if lines[j]), None)
            after = next((j for j in range(run_end + 1, len(lines)) if lines[j]), None)
            if before in found and after in found:
                for member in range(index, run_end + 1):
                    if lines[member]:
                        found[member] = "between chrome"
            index = run_end + 1
        else:
            index += 1
    # A short unpunctuated line right before navigation or a list of links is their
    # heading ("News of the week", "Related stories").
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if index in found or not line or not content[index] or not _unpunctuated_short(line):
            continue
        following = next((j for j in range(index + 1, len(lines)) if lines[j]), None)
        if following is not None and found.get(following) in ("navigation", "links", "comment"):
            found[index] = "before chrome"
    return found


_LIST_MARK = re.compile(r"(?:[•·▪●■◦*+-]|\d{1,3}[.)])\s")
_NAME_AND_DATE = re.compile(rf"[^\s:：]{{1,20}}\s+(?:{_DATE}{_TIME}|\d+\s*(?:分钟|小时|天)前)")
_NAME_LINE = re.compile(
    r"[\w.’'\-@]+(?:\s+[\w.’'\-]+){0,2}(?:\s+(?i:says|said|wrote|replied|comments?))?\s*:?"
)


def _comment_blocks(lines: Sequence[str], content: Sequence[bool], found: dict[int, str]) -> None:
    """A reader's comment: a name line, then a date line with a time (or "2 hours ago"),
    then its text up to the next such block or the end of the page.  Only after the
    article's own text: a byline and a date above the article are not a comment."""
    starts = []
    first_text = next(
        (i for i, line in enumerate(lines) if line and content[i] and i not in found), None
    )
    for index in range(len(lines) - 1):
        name, date = lines[index], lines[index + 1]
        # "网友小明 2024-02-20 11:02": the name and the date on one line.
        together = _NAME_AND_DATE.fullmatch(name) if name else None
        if together and first_text is not None and index > first_text:
            if not _BYLINE.fullmatch(name) and not _DATED_LINE.fullmatch(name):
                starts.append(index)
                continue
        if (
            first_text is not None
            and index > first_text
            and name
            and _NAME_LINE.fullmatch(name)
            and len(name) <= 30
            and not _BYLINE.fullmatch(name)
            and _COMMENT_DATE.fullmatch(date)
        ):
            starts.append(index)
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(lines)
        for index in range(start, end):
            if lines[index] and content[index]:
                found[index] = "comment"


_PREFIX_KEY = re.compile(
    r"(?i:date|dated|source|author|by|posted|updated|published|editor|来源|作者|日期|时间|编辑)"
    r"(?=[\s:：])\s*[:：]?\s*"
)
_PREFIX_DATE = re.compile(rf"{_DATE}{_TIME}?\s*")
_PREFIX_WORD = re.compile(r"[A-Z][\w’'&.\-]*\s*")


def metadata_prefix_end(text: str, start: int, end: int) -> int | None:
    """Where page metadata glued to the start of a paragraph ends (``date 2019-05-01
    source Tech Weekly Xiaomi's founder …``), or None.  It needs a date, or two keys, so
    that a sentence beginning "By …" or "Source …" is left alone."""
    position, pairs, dated = start, 0, False
    while pairs < 4:
        key = _PREFIX_KEY.match(text, position, end)
        if key is None:
            break
        date = _PREFIX_DATE.match(text, key.end(), end)
        if date is not None:
            position, pairs, dated = date.end(), pairs + 1, True
            continue
        words = []
        cursor = key.end()
        while len(words) < 4 and (word := _PREFIX_WORD.match(text, cursor, end)):
            words.append(word)
            cursor = word.end()
        # The paragraph's first sentence begins with the last capitalised word when a
        # lower-case word follows it ("… Tech Weekly Xiaomi's founder answered").
        if len(words) >= 2 and cursor < end and text[cursor].islower():
            words.pop()
        if not words:
            break
        position, pairs = words[-1].end(), pairs + 1
    if not (dated or pairs >= 2) or position >= end:
        return None
    while position > start and text[position - 1].isspace():
        position -= 1
    return position
