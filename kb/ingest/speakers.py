"""Who speaks where: turn labels, the people they name, and question/answer roles.

A *turn label* is a name and a colon at the start of a line - ``Reporter :``, ``Q:``,
``LEI JUN:``, ``lei jun:`` - and starts a speaker turn.  Labels resolve to people
(known people first, by name or alias), and in interviews every paragraph gets a role:
the interviewer's questions, the interviewee's answers, narrative before the first
question.  Essays and speeches are spoken by their subject (not the narration around
them).  Chinese labels work the same way: full-width colons, ``记者`` / ``主持人`` / ``问`` /
``答`` roles, names compared with traditional characters folded to simplified (OpenCC), so
``雷軍`` is the known ``雷军``.  The guiding rule is that an interviewer's words are never
attributed to the interviewee.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from opencc import OpenCC

from kb.ingest.passages import CLOSING_MARKS
from kb.ingest.plan import KnownPerson, PlannedPerson, SourceMetadata

INTERVIEWER_ROLE_WORDS = frozenset(
    {"host", "reporter", "interviewer", "moderator", "journalist", "presenter", "anchor"}
    # Chinese (compared simplified: 記者 folds to 记者): reporter, host, editor asking.
    | {"记者", "主持人", "本报记者", "小编"}
)
ROLE_WORDS = INTERVIEWER_ROLE_WORDS | {"guest", "interviewee", "audience", "speaker", "嘉宾"}
# The person a Chinese role label stands for: the same placeholder as the English label.
ROLE_NAMES = {"记者": "Reporter", "本报记者": "Reporter", "主持人": "Host", "小编": "Reporter"}
ROLE_NAMES |= {"嘉宾": "Guest"}
QUESTION_LABELS = frozenset({"q", "question", "问"})
ANSWER_LABELS = frozenset({"a", "answer", "答"})
DEFAULT_INTERVIEWER = "Interviewer"
DEFAULT_INTERVIEWEE = "Interviewee"
UNLABELLED_ANSWER_ATTRIBUTION = "answer to the interviewer"

# Label text, optional space, colon (ASCII or full-width), at the start of a line.
_LABEL = re.compile(r"(?P<name>[^\s:：][^:：\r\n]{0,47}?)[ \t\u3000]*[:：]")
_PARENTHETICAL = re.compile(r"\s*[(（][^()（）]{1,40}[)）]$")
_HONORIFIC = re.compile(r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Madam)\.?$")
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
# A Chinese name starts with a family name: the common ones (simplified), or a compound
# one.  "关于未来" or "第一件事" before a colon is a heading, not a speaker.
_CJK_SURNAMES = frozenset(
    "".join(
        """王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏
    魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵
    万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘
    祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟
    艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞
    姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝""".split()
    )
)
_CJK_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "皇甫", "公孙")
# "关于…" (about …) opens a heading whatever follows.
_CJK_NOT_NAME_START = ("关于", "对于", "第")
_HAS_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Capitalised phrases that open lines with a colon but are not people.
_NOT_NAMES = frozenset(
    """note notes update updates source sources photo photos image video caption credit
    credits warning tip tips example examples summary conclusion background keywords tags
    date time author disclaimer copyright related translator title subject abstract location
    address email e-mail phone tel fax website url link links contact pros cons price specs
    bonus step chapter part lesson rule result results yes no ps p.s faq http https edit fact
    facts quote important attention reminder notice news breaking exclusive interview
    transcript watch listen read more see also editor's editor’s""".split()
)
_NOT_FIRST_WORDS = frozenset(
    """the this that these those in on at as but and so for with from to of a an my our your
    his her their its it we i you he she they what why how when where who which step part
    chapter note if because after before then now here there one two three""".split()
)


@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """Case- and spacing-insensitive key for names and aliases; traditional Chinese
    characters fold to simplified ones (雷軍 and 雷军 are one name)."""
    key = " ".join(name.split()).casefold()
    return fold_chinese(key) if _HAS_CJK.search(key) else key


@lru_cache(maxsize=4096)
def fold_chinese(text: str) -> str:
    """``text`` with traditional Chinese characters written simplified (OpenCC t2s)."""
    return _t2s().convert(text)


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def looks_like_chinese_name(name: str) -> bool:
    """Two to four Han characters starting with a family name (simplified or traditional)."""
    if not _CJK_NAME.fullmatch(name):
        return False
    folded = fold_chinese(name)
    if folded.startswith(_CJK_NOT_NAME_START):
        return False
    if folded.startswith(_CJK_COMPOUND_SURNAMES):
        return len(folded) >= 3
    return folded[0] in _CJK_SURNAMES and len(folded) <= 3


@dataclass(frozen=True)
class TurnLabel:
    """``name`` as written; ``start``..``content_start`` covers label, colon and spacing."""

    start: int
    end: int  # just after the colon
    content_start: int  # first character of what is said (== end of line when nothing)
    name: str
    kind: str  # "known", "question", "answer", "role" or "name" (a capitalised name)

    @property
    def is_strong(self) -> bool:
        """Labels that are turns even when they occur only once."""
        return self.kind != "name"


def find_turn_label(
    text: str, start: int, end: int, label_names: Iterable[str] = ()
) -> TurnLabel | None:
    """The turn label opening the line ``text[start:end]`` (``start`` at its first
    non-space character), or None.  ``label_names`` are normalised known names/aliases.
    """
    match = _LABEL.match(text, start, end)
    if match is None:
        return None
    after = match.end()
    if text.startswith("//", after):  # "Http://..." is an address, not a speaker
        return None
    name = " ".join(match.group("name").split())
    kind = classify_label(name, label_names)
    if kind is None:
        return None
    content_start = after
    while content_start < end and text[content_start].isspace():
        content_start += 1
    return TurnLabel(start, after, content_start, name, kind)


def classify_label(name: str, label_names: Iterable[str] = ()) -> str | None:
    """What kind of label ``name`` is, or None when it does not look like a speaker."""
    key = normalise_name(name)
    if key in label_names:
        return "known"
    if key in QUESTION_LABELS:
        return "question"
    if key in ANSWER_LABELS:
        return "answer"
    if key in ROLE_WORDS:
        return "role"
    if key in _NOT_NAMES or key.split()[0] in _NOT_FIRST_WORDS:
        return None
    return "name" if looks_like_name(name) else None


def looks_like_name(name: str) -> bool:
    """1-3 capitalised words (an honorific and a parenthetical allowed), ALL CAPS, or CJK."""
    name = _PARENTHETICAL.sub("", name)
    if _HAS_CJK.search(name):
        return looks_like_chinese_name(name)
    words = name.split()
    if words and _HONORIFIC.fullmatch(words[0]):
        words = words[1:]
    if not 1 <= len(words) <= 3:
        return False
    for word in words:
        letters = word.replace("-", "").replace("'", "").replace("’", "").replace(".", "")
        if not letters.isalpha() or not word[0].isupper():
            return False
    return True


def find_speaker_turns(
    text: str, line_spans: Sequence[tuple[int, int]], label_names: Iterable[str] = ()
) -> dict[int, TurnLabel]:
    """Turn labels by line index, for lines given as stripped ``(start, end)`` spans.

    A capitalised name followed by a colon ("Xiaomi Band: ...") is only a turn when the
    text is a dialogue: some label occurs twice, or the text has Q/A, role or known labels.  Pass only the lines that may hold turns (not the title, not page metadata).
    """
    label_names = frozenset(label_names)
    candidates: dict[int, TurnLabel] = {}
    alone: set[int] = set()  # a label with nothing after it on its line
    for index, (start, end) in enumerate(line_spans):
        if start < end:
            label = find_turn_label(text, start, end, label_names)
            if label is not None:
                candidates[index] = label
                if label.content_start >= end:
                    alone.add(index)
    counts = Counter(normalise_name(label.name) for label in candidates.values())
    # A capitalised phrase (or Chinese words) and a colon alone on a line, used once, is a
    # heading ("关于未来:", "Background:"), not a speaker whose answer follows.
    for index in alone:
        label = candidates[index]
        if label.kind == "name" and counts[normalise_name(label.name)] < 2:
            del candidates[index]
    counts = Counter(normalise_name(label.name) for label in candidates.values())
    dialogue = any(label.is_strong for label in candidates.values()) or any(
        count >= 2 for count in counts.values()
    )
    return {index: label for index, label in candidates.items() if label.is_strong or dialogue}


def is_heading(paragraph: str) -> bool:
    """One short line without sentence punctuation at its end ("On leadership",
    "关于未来:", "第一件事："): a heading of the text, nobody's words and no quote."""
    paragraph = paragraph.strip()
    if not paragraph or "\n" in paragraph or "\r" in paragraph or len(paragraph) > 60:
        return False
    if len(paragraph.split()) > 8 or paragraph[-1] in '.!?。！？…,，;；"”’)」':
        return False
    return any(character.isalnum() for character in paragraph)


def is_question(paragraph: str) -> bool:
    """A paragraph whose last sentence ends with a question mark."""
    stripped = paragraph.rstrip().rstrip(CLOSING_MARKS)
    return bool(stripped) and stripped[-1] in "?？"


class PeopleDirectory:
    """Resolves names as written to canonical names and remembers who was referenced."""

    def __init__(self, known_people: Iterable[KnownPerson], metadata: SourceMetadata):
        self._known: dict[str, KnownPerson] = {}
        self._written_names: list[str] = []
        for person in known_people:
            for written in (person.name, *person.aliases):
                if written.strip():
                    self._known.setdefault(normalise_name(written), person)
                    self._written_names.append(written.strip())
        self._metadata = metadata
        self._forms: dict[str, list[str]] = {}

    @property
    def label_names(self) -> frozenset[str]:
        """Names that make a label even when written in lower case ("lei jun:")."""
        extra = (self._metadata.subject, self._metadata.interviewer)
        return frozenset(self._known) | {normalise_name(n) for n in extra if n.strip()}

    @property
    def known_names(self) -> list[str]:
        """Names and aliases as written, plus the subject's and interviewer's names."""
        extra = [n.strip() for n in (self._metadata.subject, self._metadata.interviewer)]
        return [*self._written_names, *(n for n in extra if n)]

    def known_person(self, written: str) -> KnownPerson | None:
        person = self._known.get(normalise_name(written))
        if person is None and _PARENTHETICAL.search(written):
            # "雷军（小米创始人）", "Lei Jun (Xiaomi)": the role in brackets is not the name.
            person = self._known.get(normalise_name(_PARENTHETICAL.sub("", written)))
        return person

    def resolve(self, written: str) -> str:
        """Canonical name for ``written``: a known person's name, else a tidied spelling
        (without a role in brackets)."""
        written = " ".join(written.split())
        if not self.known_person(written):
            written = _PARENTHETICAL.sub("", written).strip() or written
        person = self.known_person(written)
        return self.resolve_as(written, person.name if person else tidy_name(written))

    def resolve_as(self, written: str, canonical: str) -> str:
        """Record ``written`` ("Wang") as another spelling of ``canonical`` ("Wang Chuan")."""
        written = " ".join(written.split())
        forms = self._forms.setdefault(canonical, [])
        if normalise_name(written) != normalise_name(canonical) and written not in forms:
            forms.append(written)
        return canonical

    @property
    def has_subject(self) -> bool:
        return bool(self._metadata.subject.strip())

    @property
    def has_interviewer(self) -> bool:
        return bool(self._metadata.interviewer.strip())

    def subject_names(self) -> list[str]:
        """How the text may name its subject in the third person: name, aliases, and the
        family name ("Lei Jun", "雷军", "Lei")."""
        subject = self._metadata.subject.strip()
        if not subject:
            return []
        names = {subject}
        person = self.known_person(subject)
        if person is not None:
            names |= {person.name, *person.aliases}
        for name in list(names):
            if " " in name.strip() and not _HAS_CJK.search(name):
                names.add(name.split()[0])  # Chinese order: "Lei Jun" is Mr. Lei
                names.add(name.split()[-1])
        return sorted(n.strip() for n in names if n.strip())

    def interviewer_name(self) -> str:
        return self.resolve(self._metadata.interviewer.strip() or DEFAULT_INTERVIEWER)

    def subject_name(self) -> str:
        return self.resolve(self._metadata.subject.strip() or DEFAULT_INTERVIEWEE)

    def speaker_of(self, label: TurnLabel) -> str:
        if label.kind == "question":
            return self.interviewer_name()
        if label.kind == "answer":
            return self.subject_name()
        if label.kind == "role":
            key = normalise_name(label.name)
            if key in INTERVIEWER_ROLE_WORDS and self._metadata.interviewer.strip():
                return self.interviewer_name()
            return self.resolve(ROLE_NAMES.get(key, label.name))
        return self.resolve(label.name)

    def is_interviewer_label(self, label: TurnLabel) -> bool:
        if label.kind == "question":
            return True
        if label.kind == "role":
            return normalise_name(label.name) in INTERVIEWER_ROLE_WORDS
        interviewer = self._metadata.interviewer.strip()
        return bool(interviewer) and self.speaker_of(label) == self.resolve(interviewer)

    def planned_people(self, names_in_order: Iterable[str]) -> list[PlannedPerson]:
        """One PlannedPerson per distinct name, with the other spellings seen as aliases."""
        people = []
        seen = set()
        for name in names_in_order:
            if name in seen:
                continue
            seen.add(name)
            known = self.known_person(name)
            known_keys = (
                {normalise_name(a) for a in (known.name, *known.aliases)} if known else set()
            )
            aliases = [
                form for form in self._forms.get(name, []) if normalise_name(form) not in known_keys
            ]
            people.append(PlannedPerson(name=name, aliases=aliases, existing=known is not None))
        return people


def tidy_name(written: str) -> str:
    """``LEI JUN`` and ``reporter`` become ``Lei Jun`` and ``Reporter``; mixed case is kept."""
    written = written.strip().rstrip(":：,")
    if written.islower() or written.isupper():
        return string.capwords(written)
    return written


@dataclass
class ParagraphTurn:
    """What role assignment needs to know about one paragraph of the text."""

    kind: str  # "title", "metadata", "chrome" or "text"
    label: TurnLabel | None = None
    question: bool = False  # the paragraph (without its label) ends with "?"
    # A short unlabelled line without sentence punctuation: a heading of the text itself.
    heading: bool = False
    # Outside its quotations: names the source's subject in the third person ("Lei",
    # "he", "他") and never speaks in the first person: an article's words about a speech.
    narration: bool = False


def assign_roles(
    paragraphs: Sequence[ParagraphTurn], metadata: SourceMetadata, people: PeopleDirectory
) -> list[tuple[str, str | None]]:
    """``(role, speaker)`` per paragraph: title/metadata/chrome pass through, the rest are
    body, question or answer.  Speakers are canonical names (see :class:`PeopleDirectory`).
    """
    text_indexes = [i for i, p in enumerate(paragraphs) if p.kind == "text"]
    results: list[tuple[str, str | None]] = [(p.kind, None) for p in paragraphs]
    if is_interview(paragraphs, metadata):
        _assign_interview_roles(paragraphs, text_indexes, people, results)
        return results
    labelled = [i for i in text_indexes if paragraphs[i].label is not None]
    default = None
    around: set[int] = set()
    if metadata.kind in ("essay", "speech") and metadata.subject.strip():
        default = people.subject_name()
        around = _narration_around(paragraphs, text_indexes)
    # In a dialogue, unlabelled paragraphs continue the last speaker's turn.
    dialogue = len(labelled) >= 2
    current = default
    for i in text_indexes:
        label = paragraphs[i].label
        if label is not None:
            speaker = people.speaker_of(label)
            if dialogue:
                current = speaker
        elif paragraphs[i].heading or i in around:
            speaker = None
        else:
            speaker = current
        results[i] = ("body", speaker)
    return results


def _narration_around(paragraphs: Sequence[ParagraphTurn], text_indexes: Sequence[int]) -> set[int]:
    """The article's lead-in before a speech and its closing words after it: the leading
    and trailing runs of narration (headings go with them).  When every paragraph reads as
    narration, none is taken out: the text is the subject's (an essay about themself)."""
    unlabelled = [i for i in text_indexes if paragraphs[i].label is None]

    def run(order):
        found = []
        for i in order:
            if not (paragraphs[i].narration or paragraphs[i].heading):
                return found
            found.append(i)
        return None  # all of them

    leading = run(unlabelled)
    if leading is None:
        return set()
    trailing = run(reversed(unlabelled)) or []
    return {i for i in leading + trailing if paragraphs[i].narration or paragraphs[i].heading}


def is_interview(paragraphs: Sequence[ParagraphTurn], metadata: SourceMetadata) -> bool:
    """Declared an interview, or has Q/A or interviewer labels, or a labelled turn
    followed by question paragraphs."""
    if metadata.kind == "interview":
        return True
    if _askers(paragraphs):
        return True
    seen_label = False
    for paragraph in paragraphs:
        if paragraph.kind != "text":
            continue
        label = paragraph.label
        if label is not None:
            if label.kind in ("question", "answer"):
                return True
            if label.kind == "role" and normalise_name(label.name) in INTERVIEWER_ROLE_WORDS:
                return True
            seen_label = True
        elif seen_label and paragraph.question:
            return True
    return False


def _askers(paragraphs: Sequence[ParagraphTurn]) -> set[str]:
    """Label names (normalised) whose turns are mostly questions, in a text of two or more
    named speakers: "Emily Park: … What surprised you most?" is the interviewer."""
    turns: dict[str, list[bool]] = {}
    for paragraph in paragraphs:
        if paragraph.kind == "text" and paragraph.label is not None:
            if paragraph.label.kind in ("name", "known"):
                key = normalise_name(paragraph.label.name)
                turns.setdefault(key, []).append(paragraph.question)
    if len(turns) < 2:
        return set()
    return {
        name
        for name, questions in turns.items()
        if len(questions) >= 2 and sum(questions) * 2 > len(questions)
    }


def _assign_interview_roles(
    paragraphs: Sequence[ParagraphTurn],
    text_indexes: Sequence[int],
    people: PeopleDirectory,
    results: list[tuple[str, str | None]],
) -> None:
    labels = {i: paragraphs[i].label for i in text_indexes if paragraphs[i].label is not None}
    asking = {i for i, label in labels.items() if people.is_interviewer_label(label)}
    if not asking:
        askers = _askers(paragraphs)
        asking = {i for i, label in labels.items() if normalise_name(label.name) in askers}
    # A third voice that only asks ("AUDIENCE MEMBER: … what about repairs?") asks.
    turns_by_name: dict[str, list[int]] = {}
    for i, label in labels.items():
        turns_by_name.setdefault(normalise_name(label.name), []).append(i)
    for indexes in turns_by_name.values():
        if not set(indexes) & asking and all(paragraphs[i].question for i in indexes):
            if labels[indexes[0]].kind not in ("answer", "known") and len(turns_by_name) > 2:
                asking |= set(indexes)
    # Named labels say who "Q:" and "A:" stand for when the metadata does not.
    interviewer_votes = Counter(
        people.speaker_of(labels[i]) for i in sorted(asking) if labels[i].kind != "question"
    ) or Counter(people.speaker_of(labels[i]) for i in sorted(asking))
    interviewee_votes = Counter(
        people.speaker_of(label)
        for i, label in sorted(labels.items())
        if i not in asking and label.kind != "answer"
    ) or Counter(people.speaker_of(label) for i, label in labels.items() if i not in asking)
    interviewer = (
        interviewer_votes.most_common(1)[0][0] if interviewer_votes else people.interviewer_name()
    )
    interviewee = (
        interviewee_votes.most_common(1)[0][0] if interviewee_votes else people.subject_name()
    )
    # When the text labels its questions, an unlabelled "?" paragraph is a rhetorical
    # question inside a turn, not a new question.
    questions_are_labelled = len(asking) >= 2

    def opens_question(i: int) -> bool:
        return paragraphs[i].question and i not in labels and not questions_are_labelled

    # For each paragraph: does the next turn change (a label or an unlabelled question)
    # hand the word to the interviewee?  Decides whether unlabelled text after a labelled
    # question is more of the question or already the answer.
    next_turn_is_interviewee: dict[int, bool] = {}
    upcoming = False
    for i in reversed(text_indexes):
        next_turn_is_interviewee[i] = upcoming
        if i in labels:
            upcoming = i not in asking
        elif opens_question(i):
            upcoming = False

    state = "intro"
    last_question_labelled = False
    asker = interviewer
    answerer = interviewee
    for i in text_indexes:
        if i in labels:
            speaker = people.speaker_of(labels[i])
            if labels[i].kind == "answer" and not people.has_subject:
                speaker = interviewee
            elif labels[i].kind == "question" and not people.has_interviewer:
                speaker = interviewer
            if i in asking:
                state, asker, last_question_labelled = "question", speaker, True
                results[i] = ("question", speaker)
            else:
                state, answerer = "answer", speaker
                results[i] = ("answer", speaker)
        elif paragraphs[i].heading:
            results[i] = ("body", None)  # a heading of the text: nobody's words
        elif opens_question(i):
            state, asker, last_question_labelled = "question", interviewer, False
            results[i] = ("question", interviewer)
        elif state == "intro":
            results[i] = ("body", None)
        elif state == "question":
            if last_question_labelled and next_turn_is_interviewee[i]:
                results[i] = ("question", asker)
            else:
                state, answerer = "answer", interviewee
                results[i] = ("answer", interviewee)
        else:
            results[i] = ("answer", answerer)
