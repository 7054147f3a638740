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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from kb.ingest.mentions import MentionTracker, looks_like_person_name, narration_names
from kb.ingest.passages import CLOSING_MARKS, ends_sentence, pack_sentences, strip_span
from kb.ingest.plan import PlannedQuote
from kb.ingest.speakers import (
    UNLABELLED_ANSWER_ATTRIBUTION,
    PeopleDirectory,
    fold_chinese,
    tidy_name,
)

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
_CAPITALISED_WORD = re.compile(rf"(?<![\w’']){_CAPITALISED}(?![\w’'])")
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
# Lower-case words between a company and a name are the role ("IDC analyst Will Wong",
# "Xiaomi's regional manager, Claire Dubois"); these never are.
_FUNCTION_WORD = (
    r"(?:the|a|an|and|or|but|that|this|on|in|at|to|for|with|of|from|by|after|before|during|"
    r"when|while|who|which|as|is|was|were|are|has|had|have|will|would|not|also|then|so)"
)
_ROLE_WORD = rf"(?!{_FUNCTION_WORD}(?![\w\-]))[a-z][\w\-]*"
_ROLE_WORDS = rf"(?:{_ROLE_WORD}\s+){{1,4}}"
# After a name: its role and the real name ("IDC" + " analyst Will Wong").
_ROLE_TAIL = re.compile(
    rf"(?:’s|'s)?\s+(?P<role>{_ROLE_WORD}(?:\s+{_ROLE_WORD}){{0,3}})\s*,?\s+"
    rf"(?P<name>{_CAPITALISED}(?:\s+{_CAPITALISED}){{1,2}})(?![\w’'])"
)
# Before a name: "Counterpoint analyst Neil Shah said", "Xiaomi co-founder Lin Bin said".
_ROLE_BEFORE = rf"(?:{_CAPITALISED}(?:’s|'s)?\s+)?{_ROLE_WORDS}"
_ADVERB = r"(?:\s+(?:[a-z]+ly|later|also|then|once|again|often|still|now|too|soon))?"

_NOT_NAME_WORDS = frozenset(
    """the this that these those but and so then when while if as at in on for with from to of
    it its we i you our my his her their there here what why how yes no after before also
    still now later however meanwhile he she they mr mrs ms miss dr prof sir""".split()
)
_SENTENCE_BOUNDARY = re.compile(r"[.!?。！？]+[\"'”’)]*\s+")
# Chinese: "小米创始人雷军在发布会上表示：" / "他还说：" / "王磊说：" before the quote.
_ZH_VERB = (
    r"(?:表示|说道|說道|说|說|称|稱|指出|认为|認為|强调|強調|写道|寫道|透露|坦言|回应|回應|"
    r"介绍|介紹|提到|直言|感慨|笑称|笑稱)"
)
_ZH_INTRO = re.compile(
    rf"(?P<who>[\u4e00-\u9fff]{{1,16}}?)(?:在[^，。：“”]{{1,15}}?[上中时里])?[还也则曾又]?"
    rf"(?P<verb>{_ZH_VERB})[：:，,]?\s*$"
)
_ZH_ROLE_SUFFIXES = (
    "联合创始人",
    "创始人",
    "董事长",
    "首席执行官",
    "总裁",
    "副总裁",
    "总经理",
    "经理",
    "分析师",
    "主任",
    "教授",
    "合伙人",
    "负责人",
    "发言人",
    "总监",
    "工程师",
    "研究员",
    "记者",
    "CEO",
)
_ZH_PRONOUNS = ("他", "她")
_ZH_ADVERBS = (
    "最后",
    "最後",
    "随后",
    "隨後",
    "接着",
    "接著",
    "此前",
    "当时",
    "當時",
    "今天",
    "日前",
    "再次",
    "进一步",
    "進一步",
    "还",
    "還",
    "也",
    "则",
    "則",
    "曾",
    "又",
    "更",
)


def _who(known: str, bounded: bool, role_before: bool = False) -> str:
    unnamed = _UNNAMED_BEFORE_VERB if bounded else _UNNAMED_TO_PUNCTUATION
    named = f"(?i:{known}){_END_OF_WORD}|{_NAME}" if known else _NAME
    role = rf"(?P<role>{_ROLE_BEFORE})?" if role_before else ""
    # Pronouns and unnamed sources first: "He" and "A person" are capitalised too.
    return rf"(?:(?P<pronoun>{_PRONOUN})|(?P<unnamed>{unnamed})|{role}(?P<name>{named}))"


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
    speaks_anywhere: re.Pattern  # Lin added that Xiaomi "...", Lei Jun told reporters ...
    known_names: re.Pattern | None  # any known name or alias, in narration

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
                rf"{lead}(?P<attr>{_who(known, bounded=True, role_before=True)}{_APPOSITIVE}"
                rf"{_ADVERB}\s+(?P<verb>{_VERB}))"
                r"(?![\w’'])(?P<ends>(?=\s*(?:[.!?]|$)))?"
            ),
            according_after=re.compile(
                rf"{lead}(?P<attr>according\s+to\s+{_who(known, bounded=False)})(?![\w’'])"
            ),
            intro=re.compile(
                rf"(?P<attr>{_who(known, bounded=True)}{_APPOSITIVE}{_ADVERB}\s+(?P<verb>{_VERB}))"
                r"(?:\s+[\w’'\-]+){0,5}?\s*[:,，：]\s*$"
            ),
            according_intro=re.compile(
                rf"(?P<attr>(?i:according)\s+to\s+{_who(known, bounded=True)})\s*[:,，：]\s*$"
            ),
            according_anywhere=re.compile(
                rf"(?P<attr>(?i:according)\s+to\s+{_who(known, bounded=False)})(?![\w’'])"
            ),
            speaks_anywhere=re.compile(
                rf"(?<![\w’'])(?P<attr>{_who(known, bounded=True)}{_APPOSITIVE}{_ADVERB}\s+"
                rf"(?P<verb>{_VERB}))(?![\w’'])"
            ),
            known_names=re.compile(rf"(?<![\w’'])(?:{known})(?![\w’'])") if known else None,
        )


@dataclass
class FoundQuote:
    start: int
    end: int
    speaker: str | None
    attribution: str
    reason: str = ""


# (speaker, attribution as written, why: the words that named them)
Attribution = tuple[str | None, str, str]


@dataclass
class QuoteFinder:
    """Finds attributed quotes paragraph by paragraph, with a :class:`MentionTracker` of the
    people the narration names, so that "he added" is the nearest fitting mention and a
    surname is a full name used in the same text."""

    text: str
    people: PeopleDirectory
    mentions: MentionTracker = field(default_factory=MentionTracker)
    _patterns: _Patterns = field(init=False)
    _scanned_to: int = field(init=False, default=0)
    _full_names: dict[str, str | None] = field(init=False, default_factory=dict)
    _unread: list[tuple[int, int]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        # Compiling the patterns costs more than matching a short text: reuse them while the
        # known names stay the same (a batch import sees the same people again and again).
        self._patterns = _patterns_for(frozenset(self.people.known_names))

    def find(self, start: int, end: int) -> list[FoundQuote]:
        """Attributed quotes inside ``text[start:end]`` (one paragraph)."""
        # The narration is read only when a quotation needs it: paragraphs without one
        # wait, so an essay or an interview without quotation marks costs nothing here.
        self._unread.append((start, end))
        if _QUOTE_MARK.search(self.text, start, end) is None:
            return []
        for unread_start, unread_end in self._unread:
            self._scan_narration(unread_start, unread_end)
        self._unread.clear()
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
            # A short phrase in quotes is a scare quote or a title, unless it is a sentence
            # of its own ("We are excited.", "Are you OK?").
            short = len(content.split()) <= SCARE_QUOTE_MAX_WORDS and not _is_sentence(content)
            if attribution is None and not short:
                attribution = self._according_before(boundary, open_at)
                if attribution is None and previous is not None:
                    attribution = (
                        previous.speaker,
                        previous.attribution,
                        "the quote before it in the paragraph: " + previous.reason,
                    )
                if attribution is None:
                    attribution = self._speaker_before(start, open_at)
            if attribution is not None:
                quote = FoundQuote(content_start, content_end, *attribution)
                found.append(quote)
                previous = quote
            boundary = close_at + 1
        return found

    def unclosed_opening(self, start: int, end: int) -> tuple[int, int] | None:
        """The words of a quote that opens this paragraph and runs on into the next one
        (a quotation over several paragraphs repeats the opening mark on each)."""
        if start >= end or self.text[start] not in '"“':
            return None
        spans = find_quoted_spans(self.text, start, end)
        if spans and spans[0][0] == start:
            return None
        content_start, content_end = _quote_content(self.text, start + 1, end)
        return (content_start, content_end) if content_start < content_end else None

    # -- the narration's mentions -------------------------------------------------------

    def _scan_narration(self, start: int, end: int) -> None:
        """Record the people this paragraph's narration names, once per paragraph."""
        if start < self._scanned_to:
            return
        self._scanned_to = end
        covered = []  # the full names recorded here: their words are not surnames alone
        for position, name in narration_names(self.text, start, end):
            person = self.people.known_person(name)
            self.mentions.add(position, person.name if person else tidy_name(name), name)
            covered.append((position, position + len(name)))
        pattern = self._patterns.known_names
        if pattern is not None:
            for match in pattern.finditer(self.text, start, end):
                written = " ".join(match.group().split())
                person = self.people.known_person(written)
                # A bare surname in narration counts only as a name this text already used.
                if person is None or (" " not in written and not _HAN_NAME.fullmatch(written)):
                    continue
                self.mentions.add(match.start(), person.name, written)
                covered.append((match.start(), match.end()))
        # A surname alone ("Wong pointed to …") is a mention of the full name it belongs to.
        for match in _CAPITALISED_WORD.finditer(self.text, start, end):
            word = match.group()
            if word.casefold() in _NOT_NAME_WORDS or len(word) < 2:
                continue
            position = match.start()
            if any(low <= position < high for low, high in covered):
                continue
            full = self.mentions.for_word(word, position)
            if full is not None and full != word:
                self.mentions.add(position, full, word)

    # -- attributions -----------------------------------------------------------------

    def _own_attribution(
        self, content: str, before_start: int, open_at: int, after_start: int, end: int
    ) -> Attribution | None:
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
            chinese = self._chinese_intro(before_start, open_at)
            if chinese is not None:
                return chinese
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

    def _chinese_intro(self, before_start: int, open_at: int) -> Attribution | None:
        """``小米创始人雷军在发布会上表示：“…”``: the name before the verb, without its role."""
        clause_start = before_start
        for mark in "。！？；\n":
            clause_start = max(clause_start, self.text.rfind(mark, before_start, open_at) + 1)
        clause = self.text[clause_start:open_at]
        match = _ZH_INTRO.search(clause)
        if match is None:
            return None
        who = match["who"]
        # Matched simplified (分析師 is 分析师), cut in the text as written when folding
        # kept the length (it does for names and titles).
        folded = fold_chinese(who)
        if len(folded) != len(who):
            folded = who
        # Time words between the name and the verb: "雷军最后说", "雷軍隨後表示".
        trimmed = True
        while trimmed:
            trimmed = False
            for adverb in _ZH_ADVERBS:
                if folded.endswith(adverb) and len(folded) > len(adverb):
                    who, folded, trimmed = who[: -len(adverb)], folded[: -len(adverb)], True
        for suffix in _ZH_ROLE_SUFFIXES:
            cut = folded.rfind(suffix)
            if cut >= 0:
                who, folded = who[cut + len(suffix) :], folded[cut + len(suffix) :]
        attribution = clause.strip().rstrip("：:，, ")
        position = clause_start + match.start("who")
        if who.endswith(_ZH_PRONOUNS) or who[:1] in _ZH_PRONOUNS:
            pronoun = "她" if "她" in who else "他"
            return self._pronoun(pronoun, position, attribution)
        for length in (3, 2, 4):  # the name is at the end, right before the verb
            candidate = who[-length:]
            person = self.people.known_person(candidate)
            if person is not None:
                self.mentions.add(position, person.name, candidate)
                return person.name, attribution, f"named: {candidate} ({attribution})"
        for length in (3, 2):
            candidate = who[-length:]
            if len(candidate) == length and looks_like_person_name(candidate):
                canonical = self.people.resolve(candidate)
                self.mentions.add(position, canonical, candidate)
                return canonical, attribution, f"named: {candidate} ({attribution})"
        return None

    def _according_before(self, boundary: int, open_at: int) -> Attribution | None:
        """``according to X`` in this sentence or the one before the quote."""
        prefix_start, window_start = self._window_before(boundary, open_at)
        prefix = self.text[prefix_start:open_at]
        last = None
        for match in self._patterns.according_anywhere.finditer(prefix, window_start):
            if self._plausible(match):
                last = match
        return self._resolve(last, prefix_start) if last else None

    def _speaker_before(self, boundary: int, open_at: int) -> Attribution | None:
        """A quote with no attribution of its own, after narration where someone speaks in
        this sentence or the one before: ``Lin added that Xiaomi would "…"``, ``Lei Jun told
        reporters that … . "A sedan is harder …"``."""
        prefix_start, window_start = self._window_before(boundary, open_at)
        prefix = self.text[prefix_start:open_at]
        last = None
        for match in self._patterns.speaks_anywhere.finditer(prefix, window_start):
            if self._plausible(match):
                last = match
        if last is None:
            return None
        speaker, attribution, reason = self._resolve(last, prefix_start)
        return speaker, attribution, f"the sentence before it: {reason}"

    def _window_before(self, boundary: int, open_at: int) -> tuple[int, int]:
        prefix_start = max(boundary, open_at - 400)
        stripped = self.text[prefix_start:open_at].rstrip()
        ends = [m.end() for m in _SENTENCE_BOUNDARY.finditer(stripped)]
        # A quote opening a sentence looks one sentence back; a quote inside a sentence
        # looks at that sentence's beginning and the sentence before it.
        back = 1 if ends_sentence(stripped) else 2
        return prefix_start, ends[-back] if len(ends) >= back else 0

    @staticmethod
    def _plausible(match: re.Match) -> bool:
        name = match["name"]
        if name is None:
            return True
        return name.split()[0].casefold() not in _NOT_NAME_WORDS

    def _resolve(self, match: re.Match, offset: int) -> Attribution:
        attribution = " ".join(match["attr"].split())
        if match["pronoun"]:
            return self._pronoun(match["pronoun"], offset + match.start("pronoun"), attribution)
        if match["unnamed"]:
            unnamed = " ".join(match["unnamed"].split())
            self.mentions.add(offset + match.start("unnamed"), None, unnamed)
            return None, unnamed, f"an unnamed source: {unnamed!r}"
        written = " ".join(match["name"].split())
        position = offset + match.start("name")
        role = " ".join((match.groupdict().get("role") or "").split())
        # "said IDC analyst Will Wong": the company and the title are the role.
        tail = _ROLE_TAIL.match(self.text, offset + match.end("name"))
        if (
            tail is not None
            and not self.people.known_person(written)
            and not looks_like_person_name(written)
        ):
            role = " ".join(f"{written} {tail['role']}".split())
            written, position = " ".join(tail["name"].split()), tail.start("name")
            attribution = " ".join(
                f"{attribution}{self.text[offset + match.end('name') : tail.end()]}".split()
            )
        speaker, how = self.resolve_name(written, position)
        if speaker is not None:
            self.mentions.add(position, speaker, written)
        reason = f"named: {written!r}" + (f" (role: {role})" if role else "") + how
        if speaker is None:
            reason = f"{written!r} is not a person named in this text: no speaker"
        return speaker, attribution, reason

    def _pronoun(self, pronoun: str, position: int, attribution: str) -> Attribution:
        mention = self.mentions.for_pronoun(pronoun, position)
        if mention is None:
            return None, attribution, f"{pronoun!r} with nobody named before it"
        if mention.name is None:
            return (
                None,
                attribution,
                f"{pronoun!r}: the unnamed source before it ({mention.written})",
            )
        self.mentions.add(position, mention.name, pronoun)
        return (
            mention.name,
            attribution,
            f"{pronoun!r}: the nearest person named before it, {mention.written!r}",
        )

    def resolve_name(self, written: str, position: int) -> tuple[str | None, str]:
        """A name as written to a canonical name, and how: known people first (names,
        aliases), a single word through the full names this text uses, else None when it
        is not shaped like a person's name (a company, a title, a place)."""
        written = " ".join(written.split())
        bare = re.sub(rf"^{_HONORIFIC}", "", written)
        single = " " not in bare and not _HAN_NAME.fullmatch(bare)
        if single:
            # A surname or given name: only a person this text names in full (before it,
            # or else later on: "…," Mr. Lei said. / Lei Jun, 54, has …).
            full = self.mentions.for_word(bare, position) or self._full_name_in_text(bare)
            if full is not None:
                self.people.resolve_as(written, full)
                return full, f", the {full} named in this text"
            return None, ""
        for form in (written, bare):
            if self.people.known_person(form):
                return self.people.resolve(form), ""
        if looks_like_person_name(bare):
            return self.people.resolve(written), ""
        return None, ""

    def _full_name_in_text(self, word: str) -> str | None:
        """The first person-shaped full name with ``word`` anywhere in the text (once per
        word: a long text says "Zhu said" many times)."""
        if word not in self._full_names:
            self._full_names[word] = self._find_full_name(word)
        return self._full_names[word]

    def _find_full_name(self, word: str) -> str | None:
        pattern = re.compile(
            rf"(?<![\w’'])(?:{re.escape(word)}(?:\s+{_CAPITALISED}){{1,2}}|"
            rf"{_CAPITALISED}(?:\s+{_CAPITALISED})?\s+{re.escape(word)})(?![\w’'])"
        )
        for match in pattern.finditer(self.text):
            name = " ".join(match.group().split())
            person = self.people.known_person(name)
            if person is not None:
                return person.name
            if looks_like_person_name(name):
                return self.people.resolve(name)
        return None


def _is_sentence(content: str) -> bool:
    content = content.strip()
    return bool(content) and content[0].isupper() and content.rstrip(CLOSING_MARKS)[-1:] in ".!?"


_HAN_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")


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
    sentence groups of answers and speeches.  Questions, titles, metadata and chrome
    yield nothing."""
    finder = QuoteFinder(text, people)
    quotes: list[PlannedQuote] = []
    # Paragraphs of a quotation running over several paragraphs, waiting for the one that
    # closes it (and says who speaks).
    pending: list[tuple[FoundQuote, Sequence[tuple[int, int, int]]]] = []
    for paragraph in paragraphs:
        if paragraph.role in ("answer", "speech") and paragraph.speaker is not None:
            pending = []
            attribution = paragraph.label or UNLABELLED_ANSWER_ATTRIBUTION
            if paragraph.role == "speech":
                reason = f"the {attribution}: the source's subject speaks"
            elif paragraph.label:
                reason = f"answer labelled {paragraph.label!r}"
            else:
                reason = "an unlabelled answer, after the interviewer's question"
            for number, passage_start, passage_end in paragraph.passages:
                low = max(passage_start, paragraph.start)
                for left, right in group_answer_sentences(text, low, passage_end):
                    quotes.append(
                        PlannedQuote(
                            left,
                            right,
                            number,
                            paragraph.speaker,
                            attribution,
                            reason,
                            origin=paragraph.role,
                        )
                    )
        elif paragraph.role == "body":
            found = finder.find(paragraph.start, paragraph.end)
            continues = paragraph.start < len(text) and text[paragraph.start] in '"“'
            if pending and continues and found and found[0].start <= paragraph.start + 1:
                closing = found[0]
                for part, passages in pending:
                    part.speaker, part.attribution = closing.speaker, closing.attribution
                    part.reason = f"a quotation over several paragraphs: {closing.reason}"
                    quotes.extend(_clip_to_passages(text, part, passages))
            if not continues or found:
                pending = []
            for quote in found:
                quotes.extend(_clip_to_passages(text, quote, paragraph.passages))
            opening = finder.unclosed_opening(paragraph.start, paragraph.end)
            if opening is not None and not found:
                pending.append((FoundQuote(*opening, None, ""), paragraph.passages))
        else:
            pending = []
    return sorted(quotes, key=lambda quote: (quote.start, quote.end))


def _clip_to_passages(
    text: str, quote: FoundQuote, passages: Sequence[tuple[int, int, int]]
) -> list[PlannedQuote]:
    """A quote inside one passage, or its pieces when a long paragraph was cut inside it."""
    pieces = []
    for number, passage_start, passage_end in passages:
        left, right = strip_span(text, max(quote.start, passage_start), min(quote.end, passage_end))
        if left < right:
            pieces.append(
                PlannedQuote(left, right, number, quote.speaker, quote.attribution, quote.reason)
            )
    return pieces
