"""From a decoded text (or raw bytes) to an :class:`ImportPlan`, without touching the database.

``plan_import`` runs the steps in order: lines -> title and page metadata at the top ->
speaker turns -> chrome lines (menus, links, bylines, comments, repeated lines) ->
paragraphs (a line broken inside a sentence stays with the next; a metadata prefix is cut
off as its own) -> page chrome -> roles and speakers (headings are nobody's; a speech's
lead-in is not its speaker's) -> passages (long paragraphs cut between sentences) ->
quotes (attributed through the mentions of the narration) -> the people referenced.  The
text itself is never modified; everything in the plan is an offset into it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from kb.ingest.boilerplate import (
    chrome_lines,
    flag_boilerplate,
    is_chrome_marker,
    is_metadata_line,
    is_page_metadata,
    looks_like_chrome,
    metadata_prefix_end,
)
from kb.ingest.decode import DEFAULT_MAX_BYTES, decode_text
from kb.ingest.frontmatter import build_metadata, split_front_matter
from kb.ingest.passages import (
    CLOSING_MARKS,
    PASSAGE_LIMIT,
    Line,
    Paragraph,
    split_into_paragraphs,
    split_lines,
    split_long_paragraph,
)
from kb.ingest.plan import ImportPlan, KnownPerson, PlannedPassage, SourceMetadata, check_plan
from kb.ingest.quotes import QuoteSource, extract_quotes
from kb.ingest.speakers import (
    ParagraphTurn,
    PeopleDirectory,
    TurnLabel,
    assign_roles,
    find_speaker_turns,
    find_turn_label,
    is_heading,
    is_question,
)

TITLE_MAX_CHARS = 200
# Page metadata is only looked for in the first lines after the title.
METADATA_MAX_LINES = 12


def plan_from_bytes(
    data: bytes,
    options: dict,
    known_people: Iterable[KnownPerson] = (),
    *,
    name: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
    passage_limit: int = PASSAGE_LIMIT,
) -> ImportPlan:
    """decode -> front matter -> metadata (``options`` win) -> :func:`plan_import` ->
    :func:`check_plan` (what the database would refuse, reported before anything is written).

    ``plan.decoding`` says how the bytes were decoded: when the encoding was guessed,
    ``plan.decoding_warning`` is what the preview and the command show the editor.
    """
    text, decoding = decode_text(data, name=name, max_bytes=max_bytes)
    front, body = split_front_matter(text)
    metadata = build_metadata(front, options)
    plan = plan_import(
        body,
        metadata,
        known_people,
        passage_limit=passage_limit,
        front_matter_title=front.get("title", ""),
    )
    plan.decoding = decoding
    check_plan(plan)
    return plan


def plan_import(
    text: str,
    metadata: SourceMetadata,
    known_people: Iterable[KnownPerson] = (),
    *,
    passage_limit: int = PASSAGE_LIMIT,
    front_matter_title: str = "",
) -> ImportPlan:
    """Plan the import of ``text`` (the body, after any front matter).

    ``front_matter_title`` is the title the text's own front matter gives, if any: the
    body then starts with its first passage, not with a title line (see
    :func:`find_title_line`).  A title given only by the caller (``metadata.title``) does
    not say that: the seed texts come with one and still begin with their title line.
    """
    people = PeopleDirectory(known_people, metadata)
    lines = split_lines(text)

    stripped = [text[line.lstart : line.rend] for line in lines]
    # Chrome before anything else is known (no title, no turns yet): a menu above the
    # title is skipped when looking for it.
    early_chrome = set(chrome_lines(stripped, [True] * len(lines), by_context=False))
    title_line = find_title_line(
        text, lines, front_matter_title=front_matter_title, chrome=early_chrome
    )
    metadata_lines = find_metadata_lines(text, lines, after=title_line)
    header = metadata_lines | ({title_line} if title_line is not None else set())
    marker_lines = {
        i for i, line in enumerate(lines) if i not in header and _is_marker_line(text, line)
    }
    # Page metadata anywhere ("Editor: Wang Fang", "Photo: …") is never a speaker turn.
    page_metadata = {
        i for i, line in enumerate(stripped) if i not in header and line and is_page_metadata(line)
    }
    # Turns are looked for everywhere but in the header: both seed titles look like
    # labels ("Lei jun: millet international ...").
    turn_lines = find_speaker_turns(
        text,
        [
            (0, 0) if i in header or i in page_metadata else (line.lstart, line.rend)
            for i, line in enumerate(lines)
        ],
        people.label_names,
    )
    label_only = {i for i, label in turn_lines.items() if label.content_start >= lines[i].rend}
    chrome = set(
        chrome_lines(stripped, [i not in header and i not in turn_lines for i in range(len(lines))])
    )
    paragraphs = split_into_paragraphs(
        text,
        lines,
        own_paragraph=header | marker_lines | chrome,
        starts_paragraph=set(turn_lines),
        joins_next=label_only | _unfinished_lines(stripped, header | chrome),
    )
    paragraphs, prefixes = _split_metadata_prefixes(text, paragraphs, header | chrome)

    turns = _describe_paragraphs(
        text,
        paragraphs,
        title_line,
        metadata_lines,
        turn_lines,
        chrome=chrome,
        prefixes=prefixes,
        # Only a speech or an essay has narration around its speaker's words.
        subject_names=people.subject_names() if metadata.kind in ("essay", "speech") else (),
    )
    roles = assign_roles(turns, metadata, people)
    speech = (
        metadata.kind in ("essay", "speech") and metadata.subject.strip() and people.subject_name()
    )

    passages: list[PlannedPassage] = []
    sources: list[QuoteSource] = []
    label_as_written = ""
    answer_speaker: str | None = None
    for paragraph, turn, (role, speaker) in zip(paragraphs, turns, roles, strict=True):
        if paragraph.end - paragraph.start > passage_limit:
            spans = split_long_paragraph(text, paragraph.start, paragraph.end, passage_limit)
        else:
            spans = [(paragraph.start, paragraph.end)]
        numbered = []
        for start, end in spans:
            number = len(passages) + 1
            passages.append(
                PlannedPassage(
                    number=number,
                    start=start,
                    end=end,
                    speaker=speaker,
                    is_boilerplate=role in ("metadata", "chrome"),
                    role=role,
                )
            )
            numbered.append((number, start, end))
        label = turn.label
        if label is not None:
            label_as_written = text[label.start : label.end]
        elif role != "answer" or speaker != answer_speaker:
            label_as_written = ""
        # else: an unlabelled paragraph continuing a labelled answer keeps its label.
        answer_speaker = speaker if role == "answer" else None
        if role in ("body", "answer"):
            if speech and role == "body" and speaker == speech and not turn.heading:
                # A speech's or essay's own words: candidate quotes as from answers.
                role, label_as_written = "speech", f"{metadata.kind} by {metadata.subject}"
            sources.append(
                QuoteSource(
                    start=label.content_start if label else paragraph.start,
                    end=paragraph.end,
                    role=role,
                    speaker=speaker,
                    label=label_as_written,
                    passages=numbered,
                )
            )
    quotes = extract_quotes(text, sources, people)

    referenced = sorted(
        [(p.start, p.speaker) for p in passages if p.speaker]
        + [(q.start, q.speaker) for q in quotes if q.speaker]
    )
    if not metadata.title.strip() and title_line is not None:
        line = lines[title_line]
        metadata = replace(metadata, title=text[line.lstart : line.rend])
    return ImportPlan(
        text=text,
        metadata=metadata,
        passages=passages,
        people=people.planned_people(name for _, name in referenced),
        quotes=quotes,
    )


def find_title_line(
    text: str, lines: list[Line], *, front_matter_title: str = "", chrome: set[int] = frozenset()
) -> int | None:
    """Index of the first non-blank, non-chrome line when it looks like a title, else None.

    A title is short, has no sentence-final period, is not a Q/A or interviewer label,
    and is followed by a blank line or by page metadata lines.  When the front matter
    gives the title, the first line is the title only if it repeats that title.
    """
    # Skip a breadcrumb or similar chrome line above the title ("Home > News").
    first = next(
        (
            i
            for i, line in enumerate(lines)
            if not line.is_blank
            and i not in chrome
            and not looks_like_chrome(text[line.lstart : line.rend])
        ),
        None,
    )
    if first is None or first + 1 >= len(lines):
        return None
    line = lines[first]
    title = text[line.lstart : line.rend]
    # A sentence is not a title, closing quotation marks or not ('… ready."').
    if len(title) > TITLE_MAX_CHARS or title.rstrip(CLOSING_MARKS).endswith((".", "。")):
        return None
    if not any(character.isalnum() for character in title):
        return None
    label = find_turn_label(text, line.lstart, line.rend)
    if label is not None and label.kind in ("question", "answer", "role"):
        return None
    # The front matter's title wins.  A line labelled with a known name passes the tests
    # above (seed titles look like "Lei jun: ..."), so without this a first turn such as
    # "Wang Li: What do you think ...?" would be taken as the title and lose its speaker.
    if front_matter_title and not _same_title(title, front_matter_title):
        return None
    following = lines[first + 1]
    if following.is_blank or is_metadata_line(text[following.lstart : following.rend]):
        return first
    if first + 1 in chrome and not chrome.issuperset(range(first, first + 2)):
        return first  # a title right above the page's byline or menu
    return None


def _same_title(line: str, title: str) -> bool:
    # Ignoring case and spacing: a title repeated as a heading may be re-cased or re-spaced.
    return " ".join(line.split()).casefold() == " ".join(title.split()).casefold()


def find_metadata_lines(text: str, lines: list[Line], *, after: int | None) -> set[int]:
    """Page metadata lines (``Source: Internet``...) right at the top, after the title."""
    found: set[int] = set()
    start = 0 if after is None else after + 1
    for index in range(start, min(len(lines), start + METADATA_MAX_LINES)):
        line = lines[index]
        if line.is_blank:
            continue
        if not is_metadata_line(text[line.lstart : line.rend]):
            break
        found.add(index)
    return found


def _is_marker_line(text: str, line: Line) -> bool:
    # Cheap length test first: markers are short, most lines are not.
    return 0 < line.rend - line.lstart <= 60 and is_chrome_marker(text[line.lstart : line.rend])


def _unfinished_lines(lines: list[str], excluded: set[int]) -> set[int]:
    """Lines broken inside a sentence, kept with the next line in one paragraph: ending
    with a comma ("…创业公司，" / "…, and"), or with a word when the next line goes on in
    lower case.  A heading or a list item ends without punctuation too, so a bare end of
    line only joins when what follows plainly continues the sentence."""
    found = set()
    for index in range(len(lines) - 1):
        line, following = lines[index], lines[index + 1]
        if not line or not following or index in excluded or index + 1 in excluded:
            continue
        last = line[-1]
        if last in "，、,；;" or (last.isalpha() and following[0].islower()):
            found.add(index)
        elif len(line) >= 15 and _HAN.match(last) and _HAN.match(following[0]):
            found.add(index)
    return found


_HAN = re.compile(r"[\u3400-\u9fff]")
_FIRST_PERSON = re.compile(
    r"(?<![\w’'])(?:I|I['’](?:m|ve|d|ll)|(?i:me|my|mine|we|we['’](?:re|ve|d|ll)|our|ours)|us)"
    r"(?![\w’'])|我"
)
_THIRD_PERSON = r"(?<![\w’'])(?i:he|she|his|her|him)(?![\w’'])|他|她"
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|「[^」]*」")


def _split_metadata_prefixes(
    text: str, paragraphs: list[Paragraph], excluded: set[int]
) -> tuple[list[Paragraph], set[int]]:
    """Page metadata glued to the start of one of the first paragraphs ("date 2019-05-01
    source Tech Weekly Xiaomi's founder …") becomes a paragraph of its own (flagged), so
    the rest stays the text's.  Returns the paragraphs and the starts of the prefixes."""
    result, prefixes = [], set()
    looked = 0
    for paragraph in paragraphs:
        if looked < 3 and paragraph.first_line not in excluded:
            looked += 1
            cut = metadata_prefix_end(text, paragraph.start, paragraph.end)
            if cut is not None:
                rest = cut
                while rest < paragraph.end and text[rest].isspace():
                    rest += 1
                first, last = paragraph.first_line, paragraph.last_line
                result.append(Paragraph(paragraph.start, cut, first, first))
                result.append(Paragraph(rest, paragraph.end, first, last))
                prefixes.add(paragraph.start)
                continue
        result.append(paragraph)
    return result, prefixes


def _is_narration(words: str, subject_names: Iterable[str]) -> bool:
    outside = _QUOTED.sub(" ", words)
    if _FIRST_PERSON.search(outside):
        return False
    if re.search(_THIRD_PERSON, outside):
        return True
    for name in subject_names:
        # Chinese is written without spaces: a Han name has no word boundary to look for.
        pattern = (
            re.escape(name) if _HAN.search(name) else rf"(?<![\w’']){re.escape(name)}(?![\w’'])"
        )
        if name and re.search(pattern, outside):
            return True
    return False


def _describe_paragraphs(
    text: str,
    paragraphs: list[Paragraph],
    title_line: int | None,
    metadata_lines: set[int],
    turn_lines: dict[int, TurnLabel],
    *,
    chrome: set[int] = frozenset(),
    prefixes: set[int] = frozenset(),
    subject_names: Iterable[str] = (),
) -> list[ParagraphTurn]:
    subject_names = sorted(set(subject_names), key=len, reverse=True)
    turns: list[ParagraphTurn] = []
    body_indexes = []
    for index, paragraph in enumerate(paragraphs):
        if paragraph.first_line == title_line:
            turns.append(ParagraphTurn("title"))
        elif paragraph.first_line in metadata_lines or paragraph.start in prefixes:
            turns.append(ParagraphTurn("metadata"))
        elif paragraph.first_line in chrome:
            turns.append(ParagraphTurn("chrome"))
            body_indexes.append(index)  # a marker among them still ends the page
        else:
            label = turn_lines.get(paragraph.first_line)
            content_start = label.content_start if label else paragraph.start
            tail_start = max(content_start, paragraph.end - 20)
            question = is_question(text[tail_start : paragraph.end])
            words = text[paragraph.start : paragraph.end]
            heading = label is None and is_heading(words)
            narration = (
                bool(subject_names) and label is None and _is_narration(words, subject_names)
            )
            turns.append(ParagraphTurn("text", label, question, heading, narration))
            body_indexes.append(index)
    chrome = flag_boilerplate(
        [text[paragraphs[i].start : paragraphs[i].end] for i in body_indexes],
        [turns[i].kind == "chrome" for i in body_indexes],
    )
    for index, is_chrome in zip(body_indexes, chrome, strict=True):
        if is_chrome:
            turns[index] = ParagraphTurn("chrome")
    return turns
