"""The alignment itself: a Gale–Church style dynamic programme over two lists of
segments (passages, then the sentences inside each aligned pair of passages), scored by
length ratio and shared anchors (numbers, Latin tokens, aliases). Pure functions: text
and spans in, links out; every span is an exact slice of its text."""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kb.align.anchors import AliasTable, anchors_en, anchors_zh
from kb.align.text import Span, en_length, split_sentences_en, split_sentences_zh, zh_length

# English non-space characters per Chinese non-space character, and the variance of the
# English length around C * Chinese length, per character (Gale–Church's s²). Both were
# measured on the 1–1 sentence links of tests/align_samples (docs/alignment.md): C = 2.80
# (each language's punctuation counts as characters), s² = 1.95 (34 links). 2.9 and 9.0 are used: machine translations
# run longer and looser than these samples; at C = 2.8 or s² = 4 the missing-paragraph
# sample fails (a known fragility, docs/alignment.md).
CHARS_RATIO = 2.9
VARIANCE = 9.0
# Prior probabilities of the link types (Gale–Church's, with 1–0 and 0–1 a little
# likelier: machine and human translators drop sentences more often than Hansard did).
PRIORS = {"1-1": 0.89, "1-2": 0.045, "2-1": 0.045, "1-0": 0.005, "0-1": 0.005}
SHARED_REWARD = 2.0  # cost removed for each anchor both sides of a link share
UNMATCHED_PENALTY = 1.0  # cost added for each anchor only one side has
STEPS = {(1, 1): "1-1", (1, 2): "1-2", (2, 1): "2-1", (1, 0): "1-0", (0, 1): "0-1"}
# Only cells this far from the diagonal are computed (the texts are translations of each
# other: a long run of skipped passages is not plausible), which keeps a book in reach.
MIN_BAND = 30


@dataclass(frozen=True)
class Link:
    """One link: original[original[0]:original[1]] is rendered by
    translation[translation[0]:translation[1]]. An empty span (start == end) is the
    missing side of a 1–0 or 0–1 link, placed where the missing words would be."""

    original: Span
    translation: Span
    kind: str
    confidence: float
    level: str = "passage"


@dataclass(frozen=True)
class Alignment:
    passages: list[Link]
    sentences: list[Link]


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _delta(zh_len: int, en_len: int) -> float:
    expected = CHARS_RATIO * zh_len
    return (en_len - expected) / math.sqrt(VARIANCE * max((expected + en_len) / 2.0, 1.0))


def _length_cost(zh_len: int, en_len: int) -> float:
    tail = 2.0 * (1.0 - _phi(abs(_delta(zh_len, en_len))))
    return -math.log(max(tail, 1e-300))


def _agreement(zh: Counter, en: Counter) -> tuple[int, int]:
    shared = sum((zh & en).values())
    unmatched = sum((zh - en).values()) + sum((en - zh).values())
    return shared, unmatched


def _confidence(kind: str, zh_len: int, en_len: int, zh: Counter, en: Counter) -> float:
    """How far to trust a link: a skipped segment is a guess (0.1); otherwise the length
    fit (1 at the expected ratio, ~0.6 two standard deviations off) times the share of
    anchors that agree (a neutral 0.8 when there are none), a little less for 1–2/2–1."""
    if kind in ("1-0", "0-1"):
        return 0.1
    delta = _delta(zh_len, en_len)
    fit = math.exp(-(delta**2) / 8.0)
    shared, unmatched = _agreement(zh, en)
    agree = 0.8 if shared + unmatched == 0 else 0.5 + 0.5 * shared / (shared + unmatched)
    value = fit * agree * (1.0 if kind == "1-1" else 0.9)
    return round(min(1.0, max(0.0, value)), 3)


def align_segments(
    original_text: str,
    original_spans: Sequence[Span],
    translation_text: str,
    translation_spans: Sequence[Span],
    aliases: Iterable[tuple[str, str]] | AliasTable = (),
    level: str = "passage",
    empty_at: tuple[int, int] = (0, 0),
) -> list[Link]:
    """Monotone alignment of the original's segments (spans into original_text, in
    order) to the translation's, with 1–1, 1–2, 2–1, 1–0 and 0–1 links. Every segment is
    in exactly one link; a link's span runs from its first segment's start to its last's
    end. `empty_at` places the empty side when a side has no segments at all."""
    _check_spans(original_spans, len(original_text), "original")
    _check_spans(translation_spans, len(translation_text), "translation")
    table = aliases if isinstance(aliases, AliasTable) else AliasTable(aliases)
    zh_texts = [original_text[a:b] for a, b in original_spans]
    en_texts = [translation_text[a:b] for a, b in translation_spans]
    zh_lens = [zh_length(t) for t in zh_texts]
    en_lens = [en_length(t) for t in en_texts]
    zh_anchors = [anchors_zh(t, table) for t in zh_texts]
    vocabulary = frozenset(k for c in zh_anchors for k in c if k.startswith("w:"))
    en_anchors = [anchors_en(t, table, vocabulary) for t in en_texts]
    n, m = len(zh_texts), len(en_texts)
    band = max(MIN_BAND, (n + m) // 10)

    def in_band(i: int, j: int) -> bool:
        return abs(j - (i * m / n if n else 0)) <= band + abs(n - m)

    def step_cost(i: int, j: int, di: int, dj: int) -> float:
        kind = STEPS[(di, dj)]
        zh = sum((zh_anchors[k] for k in range(i - di, i)), Counter())
        en = sum((en_anchors[k] for k in range(j - dj, j)), Counter())
        shared, unmatched = _agreement(zh, en)
        cost = -math.log(PRIORS[kind]) - SHARED_REWARD * shared + UNMATCHED_PENALTY * unmatched
        if di and dj:
            cost += _length_cost(sum(zh_lens[i - di : i]), sum(en_lens[j - dj : j]))
        return cost

    best: dict[tuple[int, int], tuple[float, tuple[int, int] | None]] = {(0, 0): (0.0, None)}
    for i in range(n + 1):
        for j in range(m + 1):
            if (i, j) == (0, 0) or not in_band(i, j):
                continue
            choice = None
            for di, dj in STEPS:
                prev = (i - di, j - dj)
                if prev in best:
                    cost = best[prev][0] + step_cost(i, j, di, dj)
                    if choice is None or cost < choice[0]:
                        choice = (cost, (di, dj))
            if choice is not None:
                best[(i, j)] = choice
    if (n, m) not in best:  # unreachable with the band above; kept as a guard
        raise ValueError("no alignment found inside the search band")

    steps = []
    i, j = n, m
    while (i, j) != (0, 0):
        di, dj = best[(i, j)][1]
        steps.append((i - di, j - dj, di, dj))
        i, j = i - di, j - dj
    steps.reverse()

    links = []
    for i, j, di, dj in steps:
        kind = STEPS[(di, dj)]
        zh_span = _cover(original_spans, i, di, empty_at[0])
        en_span = _cover(translation_spans, j, dj, empty_at[1])
        zh = sum((zh_anchors[k] for k in range(i, i + di)), Counter())
        en = sum((en_anchors[k] for k in range(j, j + dj)), Counter())
        confidence = _confidence(kind, sum(zh_lens[i : i + di]), sum(en_lens[j : j + dj]), zh, en)
        links.append(Link(zh_span, en_span, kind, confidence, level))
    return links


def _check_spans(spans: Sequence[Span], length: int, side: str) -> None:
    """Spans must be in order, not overlap, and lie inside their text."""
    previous_end = 0
    for number, (start, end) in enumerate(spans):
        if not (previous_end <= start <= end <= length):
            raise ValueError(
                f"{side} span {number} ({start}, {end}) is out of order or outside the text "
                f"(length {length})"
            )
        previous_end = end


def _cover(spans: Sequence[Span], first: int, count: int, empty_at: int) -> Span:
    """The span of spans[first:first + count]; for count 0, an empty span where the
    next segment starts (or at the end of the last one)."""
    if count:
        return (spans[first][0], spans[first + count - 1][1])
    if first < len(spans):
        return (spans[first][0], spans[first][0])
    position = spans[-1][1] if spans else empty_at
    return (position, position)


def align_texts(
    original_text: str,
    original_passages: Sequence[Span],
    translation_text: str,
    translation_passages: Sequence[Span],
    aliases: Iterable[tuple[str, str]] = (),
) -> Alignment:
    """Align the passages, then the sentences inside each aligned group of passages
    (Chinese cut at 。！？…, English at . ! ?). A skipped passage's sentences are all
    skipped. A sentence link's confidence is tempered by its passage link's."""
    table = AliasTable(aliases)
    passages = align_segments(
        original_text, original_passages, translation_text, translation_passages, table
    )
    sentences: list[Link] = []
    for link in passages:
        zh_sentences = split_sentences_zh(original_text, *link.original)
        en_sentences = split_sentences_en(translation_text, *link.translation)
        for sentence in align_segments(
            original_text,
            zh_sentences,
            translation_text,
            en_sentences,
            table,
            "sentence",
            (link.original[0], link.translation[0]),
        ):
            confidence = sentence.confidence
            if sentence.kind not in ("1-0", "0-1"):
                confidence = round(confidence * (0.7 + 0.3 * link.confidence), 3)
            sentences.append(
                Link(sentence.original, sentence.translation, sentence.kind, confidence, "sentence")
            )
    return Alignment(passages, sentences)
