"""Find quotations: attributed text in quotation marks, and interview answers.

Two sources of quotes:

* In narrative text (news, profiles), text in quotation marks with an attribution:
  ``"...," said Wang Chuan``, ``Lei Jun said: "..."``, ``"...," according to Li Na``,
  ``he added`` (the previous quote's speaker), unnamed sources ("a person close to the
  company": no speaker, attribution kept).  A short phrase in quotes with no attribution
  is a scare quote or a title (“Fortune”) and is skipped.
* In interviews, each answer of the interviewee, cut into sentence groups of about 300
  characters (pysbd); never from questions.

Quote spans exclude the quotation marks and any turn label.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from kb.ingest.passages import ends_sentence, pack_sentences, strip_span
from kb.ingest.plan import PlannedQuote
from kb.ingest.speakers import UNLABELLED_ANSWER_ATTRIBUTION, PeopleDirectory

ANSWER_QUOTE_CHARS = 300
SCARE_QUOTE_MAX_WORDS = 4

_OPENERS = {"“": "”", "«": "»", "「": "」", "『": "』"}
_QUOTE_MARK = re.compile(r"[\"“”«»「」『』]")

_VERB = (
    r"(?:said|says|added|adds|explained|explains|noted|notes|asked|asks|recalled|recalls|"
    r"continued|continues|wrote|writes|argued|argues|stated|states|insisted|insists|"
    r"admitted|admits|replied|replies|answered|answers|remarked|remarks|observed|observes|"
    r"commented|comments|declared|declares|joked|jokes|quipped|quips|concluded|concludes|"
    r"emphasi[sz]ed|emphasi[sz]es|stressed|stresses|acknowledged|acknowledges|recounted|"
    r"recounts|pointed\s+out|points\s+out|warned|warns|predicted|predicts|conceded|concedes|"
    r"boasted|boasts|announced|announces|confirmed|confirms|claimed|claims|put\s+it|puts\s+it|"
    r"(?:told|tells)(?:\s+(?:the\s+)?[\w’']+)?)"
)
_HONORIFIC = r"(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Sir)\.?\s+)"
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][\w’'\-]*"
_NAME = rf"(?:{_HONORIFIC}?{_CAPITALISED}(?:\s+{_CAPITALISED}){{0,3}}|[\u4e00-\u9fff]{{2,4}})"
_END_OF_WORD = r"(?![\w’'])"
_PRONOUN = rf"(?i:he|she|they){_END_OF_WORD}"
_UNNAMED_HEAD = (
    r"(?i:an?|the|one|another|some|several|many|two|three|other|people|sources|analysts|"
    r"officials|insiders|experts|critics|observers|executives|employees|users|investors|"
    rf"someone|somebody){_END_OF_WORD}"
)
# An unnamed source running up to the verb (lazy) or up to punctuation (greedy).
_UNNAMED_BEFORE_VERB = rf"{_UNNAMED_HEAD}(?:\s+[\w’'\-]+){{0,7}}?"
_UNNAMED_TO_PUNCTUATION = rf"{_UNNAMED_HEAD}(?:\s+[\w’'\-]+){{0,7}}"
_APPOSITIVE = r"(?:,\s*[^,\"“”\n]{1,80},)?"

_NOT_NAME_WORDS = frozenset(
    """the this that these those but and so then when while if as at in on for with from to of
    it its we i you our my his her their there here what why how yes no after before also
    still now later however meanwhile he she they mr mrs ms miss dr prof sir""".split()
)
_SENTENCE_BOUNDARY = re.compile(r"[.!?。！？]+[\"'”’)]*\s+")


def _who(known: str, bounded: bool) -> str:
    unnamed = _UNNAMED_BEFORE_VERB if bounded else _UNNAMED_TO_PUNCTUATION
    named = f"(?i:{known}){_END_OF_WORD}|{_NAME}" if known else _NAME
    # Pronouns and unnamed sources first: "He" and "A person" are capitalised too.
    return rf"(?:(?P<pronoun>{_PRONOUN})|(?P<unnamed>{unnamed})|(?P<name>{named}))"


@lru_cache(maxsize=8)
def _patterns_for(known_names: frozenset[str]) -> _Patterns:
    return _Patterns.build(known_names)


@dataclass
class _Patterns:
    verb_first: re.Pattern  # "...," said Wang Chuan
    who_first: re.Pattern  # "...," Wang Chuan said
    according_after: re.Pattern  # "...," according to Li Na
    intro: re.Pattern  # Lei Jun said: "..."
    according_intro: re.Pattern  # According to Li Na, "..."
    according_anywhere: re.Pattern  # according to Li Na (in the sentence before)

    @classmethod
    def build(cls, known_names: Iterable[str]) -> _Patterns:
        # Known names and aliases match whatever their case ("lei jun said").
        known = "|".join(
            r"\s+".join(re.escape(word) for word in name.split())
            for name in sorted(set(known_names), key=len, reverse=True)
            if name.strip()
        )
        lead = r"\s*[,，]?\s*"
        return cls(
            verb_first=re.compile(
                rf"{lead}(?P<attr>(?P<verb>{_VERB})\s+{_who(known, bounded=False)})(?![\w’'])"
            ),
            who_first=re.compile(
                rf"{lead}(?P<attr>{_who(known, bounded=True)}{_APPOSITIVE}\s+(?P<verb>{_VERB}))"
                r"(?![\w’'])(?P<ends>(?=\s*(?:[.!?]|$)))?"
            ),
            according_after=re.compile(
                rf"{lead}(?P<attr>according\s+to\s+{_who(known, bounded=False)})(?![\w’'])"
            ),
            intro=re.compile(
                rf"(?P<attr>{_who(known, bounded=True)}{_APPOSITIVE}\s+(?P<verb>{_VERB}))"
                r"(?:\s+[\w’'\-]+){0,5}?\s*[:,，：]\s*$"
            ),
            according_intro=re.compile(
                rf"(?P<attr>(?i:according)\s+to\s+{_who(known, bounded=True)})\s*[:,，：]\s*$"
            ),
            according_anywhere=re.compile(
                rf"(?P<attr>(?i:according)\s+to\s+{_who(known, bounded=False)})(?![\w’'])"
            ),
        )


@dataclass
class FoundQuote:
    start: int
    end: int
    speaker: str | None
    attribution: str


@dataclass
class QuoteFinder:
    """Finds attributed quotes paragraph by paragraph, remembering the last speaker (for
    "he added") and resolving surnames to full names seen elsewhere in the same text."""

    text: str
    people: PeopleDirectory
    last_speaker: str | None = None
    _patterns: _Patterns = field(init=False)
    _full_names: dict[str, tuple[list[int], list[str]]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        # Compiling the patterns costs more than matching a short text: reuse them while the
        # known names stay the same (a batch import sees the same people again and again).
        self._patterns = _patterns_for(frozenset(self.people.known_names))

    def find(self, start: int, end: int) -> list[FoundQuote]:
        """Attributed quotes inside ``text[start:end]`` (one paragraph)."""
        found: list[FoundQuote] = []
        previous: FoundQuote | None = None  # last attributed quote of this paragraph
        boundary = start  # where the text before the next quote begins
        for open_at, close_at in find_quoted_spans(self.text, start, end):
            content_start, content_end = _quote_content(self.text, open_at + 1, close_at)
            if content_start >= content_end:
                boundary = close_at + 1
                continue
            content = self.text[content_start:content_end]
            attribution = self._own_attribution(content, boundary, open_at, close_at + 1, end)
            short = len(content.split()) <= SCARE_QUOTE_MAX_WORDS
            if attribution is None and not short:
                attribution = self._according_before(boundary, open_at)
                if attribution is None and previous is not None:
                    attribution = (previous.speaker, previous.attribution)
            if attribution is not None:
                quote = FoundQuote(content_start, content_end, *attribution)
                found.append(quote)
                previous = quote
                if quote.speaker is not None:
                    self.last_speaker = quote.speaker
            boundary = close_at + 1
        return found

    def _own_attribution(
        self, content: str, before_start: int, open_at: int, after_start: int, end: int
    ) -> tuple[str | None, str] | None:
        text = self.text
        before_start = max(before_start, open_at - 200)
        before = text[before_start:open_at]
        # Introductions end with a colon or comma; checking that first skips a costly
        # end-anchored search for most quotes.
        if before.rstrip()[-1:] in (":", ",", "，", "："):
            for pattern in (self._patterns.intro, self._patterns.according_intro):
                match = pattern.search(before)
                if match and self._plausible(match):
                    return self._resolve(match, before_start)
        after_end = min(end, after_start + 160)
        next_mark = _QUOTE_MARK.search(text, after_start, after_end)
        after = text[after_start : next_mark.start() if next_mark else after_end]
        # "...we will win." followed by a capitalised word starts a new sentence; only a
        # bare "Wang said." there is still this quote's attribution.
        new_sentence = (
            content.rstrip(" \"'”’").endswith(".") and not after.lstrip(" ,")[:1].islower()
        )
        for pattern in (
            self._patterns.verb_first,
            self._patterns.who_first,
            self._patterns.according_after,
        ):
            match = pattern.match(after)
            if match is None or not self._plausible(match):
                continue
            ends_sentence = pattern is self._patterns.who_first and match["ends"] is not None
            if new_sentence and not ends_sentence:
                continue
            return self._resolve(match, after_start)
        return None

    def _according_before(self, boundary: int, open_at: int) -> tuple[str | None, str] | None:
        """``according to X`` in this sentence or the one before the quote."""
        prefix_start = max(boundary, open_at - 400)
        prefix = self.text[prefix_start:open_at]
        stripped = prefix.rstrip()
        ends = [m.end() for m in _SENTENCE_BOUNDARY.finditer(stripped)]
        # A quote opening a sentence looks one sentence back; a quote inside a sentence
        # looks at that sentence's beginning and the sentence before it.
        back = 1 if ends_sentence(stripped) else 2
        window_start = ends[-back] if len(ends) >= back else 0
        last = None
        for match in self._patterns.according_anywhere.finditer(prefix, window_start):
            if self._plausible(match):
                last = match
        return self._resolve(last, prefix_start) if last else None

    @staticmethod
    def _plausible(match: re.Match) -> bool:
        name = match["name"]
        if name is None:
            return True
        return name.split()[0].casefold() not in _NOT_NAME_WORDS

    def _resolve(self, match: re.Match, offset: int) -> tuple[str | None, str]:
        attribution = " ".join(match["attr"].split())
        if match["pronoun"]:
            return self.last_speaker, attribution
        if match["unnamed"]:
            return None, " ".join(match["unnamed"].split())
        return self.resolve_name(match["name"], offset + match.start("name")), attribution

    def resolve_name(self, written: str, position: int) -> str:
        """A name as written to a canonical name: known people first (names, aliases),
        then a surname or given name completed from a full name used in the text."""
        written = " ".join(written.split())
        if self.people.known_person(written):
            return self.people.resolve(written)
        bare = re.sub(rf"^{_HONORIFIC}", "", written)
        if bare != written and self.people.known_person(bare):
            return self.people.resolve(bare)
        if " " not in bare:
            full_name = self._full_name_for(bare, position)
            if full_name is not None:
                canonical = self.people.resolve(full_name)
                self.people.resolve_as(written, canonical)
                return canonical
        return self.people.resolve(written)

    def _full_name_for(self, token: str, position: int) -> str | None:
        if token not in self._full_names:
            positions, names = [], []
            word = re.escape(token)
            pattern = re.compile(
                rf"(?<![\w’'])(?:{word}\s+{_CAPITALISED}|{_CAPITALISED}\s+{word})(?![\w’'])"
            )
            for match in pattern.finditer(self.text):
                words = match.group().split()
                if any(w.casefold() in _NOT_NAME_WORDS for w in words):
                    continue
                positions.append(match.start())
                names.append(" ".join(words))
            self._full_names[token] = (positions, names)
        positions, names = self._full_names[token]
        if not names:
            return None
        # The nearest full name before this mention, else the first one after it.
        index = bisect.bisect_right(positions, position) - 1
        return names[max(index, 0)]


def find_quoted_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``(open, close)`` offsets of the quotation marks of each quote in ``text[start:end]``.

    Curly quotes pair by kind; straight quotes alternate.  Marks of the other kind
    inside an open quote are nested quotes and ignored; an unclosed quote is dropped.
    """
    spans = []
    opened_with = None
    opened_at = -1
    for match in _QUOTE_MARK.finditer(text, start, end):
        mark = match.group()
        position = match.start()
        if opened_with is None:
            if mark == '"' or mark in _OPENERS:
                opened_with, opened_at = mark, position
        elif opened_with == '"':
            if mark == '"':
                spans.append((opened_at, position))
                opened_with = None
        elif mark == _OPENERS[opened_with]:
            spans.append((opened_at, position))
            opened_with = None
        elif mark == opened_with:
            # A second opener before any closer: the first one was never closed.
            opened_at = position
    return spans


def _quote_content(text: str, start: int, end: int) -> tuple[int, int]:
    """The quoted words without surrounding spaces or a trailing comma/colon."""
    start, end = strip_span(text, start, end)
    while end > start and text[end - 1] in ",，;:：":
        end -= 1
        start, end = strip_span(text, start, end)
    return start, end


def group_answer_sentences(
    text: str, start: int, end: int, max_chars: int = ANSWER_QUOTE_CHARS
) -> list[tuple[int, int]]:
    """Consecutive sentences of ``text[start:end]`` packed into groups of at most
    ``max_chars`` characters; a longer sentence is a group of its own."""
    return pack_sentences(text, start, end, max_chars, split_long_sentences=False)


@dataclass
class QuoteSource:
    """One paragraph as quote extraction sees it."""

    start: int  # after any turn label
    end: int
    role: str
    speaker: str | None
    label: str  # the turn label as written ("lei jun:"), "" when unlabelled
    passages: Sequence[tuple[int, int, int]]  # (number, start, end) of its passages


def extract_quotes(
    text: str, paragraphs: Iterable[QuoteSource], people: PeopleDirectory
) -> list[PlannedQuote]:
    """Quotes of a whole text, in order: attributed quotations in body paragraphs and
    sentence groups of answers.  Questions, titles, metadata and chrome yield nothing."""
    finder = QuoteFinder(text, people)
    quotes: list[PlannedQuote] = []
    for paragraph in paragraphs:
        if paragraph.role in ("answer", "speech") and paragraph.speaker is not None:
            attribution = paragraph.label or UNLABELLED_ANSWER_ATTRIBUTION
            for number, passage_start, passage_end in paragraph.passages:
                low = max(passage_start, paragraph.start)
                for left, right in group_answer_sentences(text, low, passage_end):
                    quotes.append(PlannedQuote(left, right, number, paragraph.speaker, attribution))
        elif paragraph.role == "body":
            for found in finder.find(paragraph.start, paragraph.end):
                quotes.extend(_clip_to_passages(text, found, paragraph.passages))
    return quotes


def _clip_to_passages(
    text: str, quote: FoundQuote, passages: Sequence[tuple[int, int, int]]
) -> list[PlannedQuote]:
    """A quote inside one passage, or its pieces when a long paragraph was cut inside it."""
    pieces = []
    for number, passage_start, passage_end in passages:
        left, right = strip_span(text, max(quote.start, passage_start), min(quote.end, passage_end))
        if left < right:
            pieces.append(PlannedQuote(left, right, number, quote.speaker, quote.attribution))
    return pieces
