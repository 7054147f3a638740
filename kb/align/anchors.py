"""Anchors: the things a sentence and its translation share whatever the language —
numbers (Arabic digits, Chinese numerals, 万/亿 scales), Latin-script tokens (MIUI,
CyberDog) and the caller's alias pairs (雷军 ⇄ Lei Jun). Each segment gets a Counter of
anchor keys; the aligner rewards shared keys and penalises keys left unmatched."""

import re
from collections import Counter
from collections.abc import Iterable

from kb.align.text import fold

_ZH_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10_000, "亿": 100_000_000}
_ZH_NUMERAL = re.compile(
    r"[〇零一二两三四五六七八九十百千万亿]{2,}|[一二两三四五六七八九十][百千万亿]"
)
_ARABIC_ZH = re.compile(r"(\d+(?:\.\d+)?)\s*([万亿]*)")
_ARABIC_EN = re.compile(
    r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(thousand|million|billion|trillion)\b)?", re.I
)
_EN_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_LATIN = re.compile(r"[a-z][a-z0-9]+(?:[-'][a-z0-9]+)*")
# Frequent English words say nothing about a sentence; they also appear in Chinese text
# (an English phrase quoted) often enough to mislead.
_STOP = frozenset(
    "the and of to in a is it for on with as at by an be this that from or are".split()
)


def _zh_numeral_value(run: str) -> float | None:
    """一九九二 → 1992 (digit by digit); 三千五百 → 3500; 十二万 → 120000; None if unreadable."""
    if all(c in _ZH_DIGITS for c in run):
        return float("".join(str(_ZH_DIGITS[c]) for c in run))
    total, section, digit = 0, 0, None
    for c in run:
        if c in _ZH_DIGITS:
            digit = _ZH_DIGITS[c]
        elif c in _ZH_UNITS:
            section += (1 if digit is None else digit) * _ZH_UNITS[c]
            digit = None
        elif c in _ZH_BIG:
            section += digit or 0
            total = (total + section) * _ZH_BIG[c] if c == "亿" else total + section * _ZH_BIG[c]
            section, digit = 0, None
    return float(total + section + (digit or 0)) or None


def _number_key(value: float) -> str:
    return f"#{value:.6g}"


def numbers_zh(text: str) -> list[str]:
    keys = []
    for match in _ARABIC_ZH.finditer(text):
        value = float(match.group(1))
        for scale in match.group(2):
            value *= _ZH_BIG[scale]
        keys.append(_number_key(value))
    for match in _ZH_NUMERAL.finditer(text):
        value = _zh_numeral_value(match.group())
        if value is not None:
            keys.append(_number_key(value))
    return keys


def numbers_en(text: str) -> list[str]:
    keys = []
    for match in _ARABIC_EN.finditer(text):
        value = float(match.group(1).replace(",", ""))
        if match.group(2):
            value *= _EN_SCALE[match.group(2).lower()]
        keys.append(_number_key(value))
    return keys


class AliasTable:
    """The caller's alias pairs (Chinese form, English form), folded: traditional and
    simplified forms match alike, English forms match as whole words, any case. Several
    pairs can share a Chinese form (小米 ⇄ Xiaomi, 小米 ⇄ Millet)."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()):
        by_zh: dict[str, set[str]] = {}
        for zh, en in pairs:
            zh_f, en_f = fold(zh).strip(), fold(en).strip()
            if zh_f and en_f:
                by_zh.setdefault(zh_f, set()).add(en_f)
        # Longest forms first, so that 雷军 is read before a shorter alias inside it.
        self.zh_forms = sorted(by_zh, key=len, reverse=True)
        self.en_patterns = [
            (
                zh,
                re.compile(
                    r"\b(?:"
                    + "|".join(re.escape(e) for e in sorted(ens, key=len, reverse=True))
                    + r")\b"
                ),
            )
            for zh, ens in by_zh.items()
        ]

    def keys_zh(self, folded: str) -> list[str]:
        keys = []
        for zh in self.zh_forms:
            count = folded.count(zh)
            if count:
                keys.extend([f"@{zh}"] * count)
                folded = folded.replace(zh, " ")
        return keys

    def keys_en(self, folded: str) -> list[str]:
        keys = []
        for zh, pattern in self.en_patterns:
            keys.extend([f"@{zh}"] * len(pattern.findall(folded)))
        return keys


def anchors_zh(text: str, aliases: AliasTable) -> Counter:
    folded = fold(text)
    latin = [f"w:{w}" for w in _LATIN.findall(folded) if w not in _STOP]
    return Counter(numbers_zh(folded) + latin + aliases.keys_zh(folded))


def anchors_en(text: str, aliases: AliasTable, zh_vocabulary: frozenset[str]) -> Counter:
    """English anchors; Latin tokens count only if the Chinese text has them at all
    (every English word would otherwise be an unmatched anchor)."""
    folded = fold(text)
    latin = [f"w:{w}" for w in _LATIN.findall(folded) if f"w:{w}" in zh_vocabulary]
    return Counter(numbers_en(folded) + latin + aliases.keys_en(folded))
