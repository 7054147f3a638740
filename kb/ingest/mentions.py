"""Who has been named so far in one source: the mention tracker that attribution resolves to.

Attribution is a small model of the narration, per source: every person the text names
("Xiaomi's chief executive Lei Jun", "IDC analyst Will Wong") is a *mention* at its
offset, with the role written around the name; unnamed sources ("a person familiar with
the plans") are mentions without a name.  A pronoun ("he wrote") is the nearest mention
before it that fits; a bare surname ("Wong said") is the nearest full name in this source
that has that word.  A surname alone never reaches a person the source does not name,
even when it is an alias of a known person (two articles, two different Lius).

Name versus role: companies, job titles and places before or after a name are its role,
kept in the attribution as written; a Person is only ever made from something shaped
like a person's name (:func:`looks_like_person_name`).  Plain functions over ``str``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

from kb.ingest.speakers import looks_like_chinese_name, normalise_name

# Words that make a capitalised phrase an organisation, a place or a thing, not a person.
ORGANISATION_WORDS = frozenset(
    """inc corp corporation co ltd llc plc group holdings securities capital research bank
    partners company technologies technology tech motors university college institute
    ministry agency association council committee commission board daily times news post
    journal media press reuters bloomberg network networks labs lab studio studios fund funds
    ventures investments management consulting consultancy exchange market markets street
    office department bureau government city province county district state republic kingdom
    union international global asia europe america africa china india japan korea hong kong
    beijing shanghai shenzhen guangzhou wuhan taipei singapore london paris madrid berlin tokyo
    york san francisco valley the of and for mobile phone phones store stores mall centre
    center hotel airport station weekly monthly magazine review channel tv radio online app
    apps android ios windows google apple samsung huawei xiaomi tesla microsoft amazon alibaba
    tencent baidu oppo vivo idc canalys counterpoint gartner bernstein jefferies nomura""".split()
)
# Honorifics and the words a text puts before a name that are not part of it.
_HONORIFIC = re.compile(r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Sir|Madam)\.?$")
_NOT_NAME_WORDS = frozenset(
    """the this that these those but and so then when while if as at in on for with from to of
    it its we i you our my his her their there here what why how yes no after before also
    still now later however meanwhile he she they shares investors analysts some many most
    one two three another every each last next today yesterday monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august
    september october november december""".split()
)
# A run of capitalised words in narration, possibly a person's name.
_CAPITALISED_RUN = re.compile(
    r"(?<![\w’'\-])(?:(?:Mr|Mrs|Ms|Dr|Prof)\.?\s+)?[A-Z][a-zà-ÿ’'\-]*[a-zà-ÿ]"
    r"(?:\s+[A-Z][a-zà-ÿ’'\-]*[a-zà-ÿ]){0,2}(?![\w’'\-])"
)
_PREPOSITION_BEFORE = re.compile(
    r"(?i:(?<![\w’'])(?:in|at|from|to|of|for|near|into|across|onto|via|with|outside|inside|"
    r"between|around|toward|towards|about|like|than|by|under|over|through))\s+$"
)
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”]*”|「[^」]*」|『[^』]*』")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[\w’'\-]+")


@lru_cache(maxsize=16384)
def looks_like_person_name(name: str) -> bool:
    """Two or three capitalised words that are not an organisation, a place or a title
    ("Will Wong", "Mr. Lei Jun"), or a Chinese name (a family name and one or two more)."""
    name = " ".join(name.split())
    if _HAN.search(name):
        return looks_like_chinese_name(name)
    words = name.split()
    if words and _HONORIFIC.fullmatch(words[0]):
        words = words[1:]
    if not 2 <= len(words) <= 3:
        return False
    for word in words:
        bare = word.replace("-", "").replace("’", "").replace("'", "").replace(".", "")
        if not bare.isalpha() or not word[0].isupper():
            return False
        if len(bare) > 1 and bare.isupper():  # "IDC", "CEO": an acronym, not a name
            return False
        if word.endswith(("’s", "'s")) or "-" in word and not word.split("-")[-1][:1].isupper():
            return False  # "Xiaomi's", "Kong-based"
        if word.casefold() in ORGANISATION_WORDS or word.casefold() in _NOT_NAME_WORDS:
            return False
    return True


@dataclass
class Mention:
    position: int
    name: str | None  # canonical; None for an unnamed source
    written: str  # as the text writes it


@dataclass
class MentionTracker:
    """The mentions of one source in text order, and how pronouns have used them."""

    mentions: list[Mention] = field(default_factory=list)
    _positions: list[int] = field(default_factory=list)
    # Each word of a named mention (normalised) -> (positions, names) of those mentions,
    # so that a surname finds its full name without a walk over the whole text.
    _by_word: dict[str, tuple[list[int], list[str]]] = field(default_factory=dict)
    # "he"/"she" seen resolved to a name: a "she" then skips a "he".
    _genders: dict[str, str] = field(default_factory=dict)

    def add(self, position: int, name: str | None, written: str) -> None:
        # Mentions mostly come in text order: insort is an append then.
        index = bisect.bisect_right(self._positions, position)
        self._positions.insert(index, position)
        self.mentions.insert(index, Mention(position, name, written))
        if name:
            key_name = normalise_name(name)
            for word in {normalise_name(w) for w in (*re_words(written), *re_words(name))}:
                if word == key_name:
                    continue  # a one-word name is not its own full name
                positions, names = self._by_word.setdefault(word, ([], []))
                at = bisect.bisect_right(positions, position)
                positions.insert(at, position)
                names.insert(at, name)

    def for_word(self, word: str, position: int) -> str | None:
        """The nearest named mention before ``position`` with ``word`` as one of its words
        ("Wong" -> "Will Wong"); else the first one after it; else None."""
        found = self._by_word.get(normalise_name(word))
        if not found:
            return None
        positions, names = found
        index = bisect.bisect_left(positions, position) - 1
        return names[index] if index >= 0 else names[0]

    def for_pronoun(self, pronoun: str, position: int) -> Mention | None:
        """The nearest mention before ``position`` that a pronoun can stand for."""
        gender = {"he": "m", "him": "m", "his": "m", "他": "m"}.get(pronoun.casefold(), "")
        gender = gender or {"she": "f", "her": "f", "她": "f"}.get(pronoun.casefold(), "")
        index = bisect.bisect_left(self._positions, position)
        for mention in reversed(self.mentions[max(0, index - 50) : index]):
            if mention.name and gender and self._genders.get(mention.name, gender) != gender:
                continue
            if mention.name and gender:
                self._genders[mention.name] = gender
            return mention
        return None


def re_words(name: str) -> list[str]:
    return _WORD.findall(name)


def narration_names(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """``(offset, name)`` of person-shaped names in ``text[start:end]`` outside quotation
    marks and not right after a preposition ("in Hong Kong", "at Wuhan University")."""
    outside = _QUOTED.sub(lambda m: " " * len(m.group()), text[start:end])
    found = []
    for match in _CAPITALISED_RUN.finditer(outside):
        if not looks_like_person_name(match.group()):
            continue
        before = outside[max(0, match.start() - 14) : match.start()]
        if _PREPOSITION_BEFORE.search(before) and not before.casefold().endswith("according to "):
            continue
        found.append((start + match.start(), " ".join(match.group().split())))
    return found
