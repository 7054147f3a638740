"""Splitting and folding for the aligner: sentence spans of Chinese and English text,
paragraph spans (blank-line separated, for the samples), and the folding of traditional
characters to simplified (opencc) so that both scripts score alike."""

import re
import unicodedata
from functools import lru_cache

Span = tuple[int, int]

# A Chinese sentence ends at 。！？ (full- or half-width ! ?), or an ellipsis (…… / ...),
# and keeps the closing quotes and brackets that follow its final mark.
_ZH_END = re.compile(r"(?:[。！？!?…]|\.{3,})+[”’」』）》\)\"']*")
# An English sentence ends at . ! ? (with closing quotes) followed by whitespace and
# something that can open a sentence; abbreviations below do not end one.
_EN_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9\u4e00-\u9fff])")
_EN_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr co corp inc ltd no vs etc e.g i.e u.s u.k approx fig jan feb "
    "mar apr jun jul aug sep sept oct nov dec".split()
)


def _spans_between(text: str, start: int, end: int, cuts: list[int]) -> list[Span]:
    """The non-blank pieces of text[start:end] between the cut offsets, trimmed of
    surrounding whitespace (spans stay exact slices)."""
    spans = []
    edges = [start, *cuts, end]
    for a, b in zip(edges, edges[1:], strict=False):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def split_sentences_zh(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of Chinese text[start:end], cut after 。！？ / … and the closing
    quotes that follow them. Line breaks also end a sentence (a heading, a list item)."""
    end = len(text) if end is None else end
    cuts = []
    for match in _ZH_END.finditer(text, start, end):
        cuts.append(match.end())
    for match in re.finditer(r"\n", text[start:end]):
        cuts.append(start + match.end())
    return _spans_between(text, start, end, sorted(set(cuts)))


def split_sentences_en(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of English text[start:end], cut after . ! ? before a capital or a
    digit, except after a common abbreviation or an initial ("Lei J. said")."""
    end = len(text) if end is None else end
    cuts = []
    for match in _EN_END.finditer(text, start, end):
        word = re.search(
            r"([A-Za-z.]+)\.$", text[max(start, match.start() - 12) : match.start() + 1]
        )
        if text[match.start()] == "." and word:
            token = word.group(1).lower().rstrip(".")
            if token in _EN_ABBREVIATIONS or len(token) == 1:
                continue
        cuts.append(match.end())
    for match in re.finditer(r"\n", text[start:end]):
        cuts.append(start + match.end())
    return _spans_between(text, start, end, sorted(set(cuts)))


def paragraph_spans(text: str) -> list[Span]:
    """Passages separated by blank lines (how the samples, like the importer, are cut)."""
    cuts = [m.end() for m in re.finditer(r"\n[ \t\r]*\n", text)]
    return _spans_between(text, 0, len(text), cuts)


@lru_cache(maxsize=1)
def _converter():
    # Either package named `opencc` will do: opencc-python-reimplemented (pinned) and the
    # official OpenCC binding both take "t2s" and offer .convert().
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Traditional to simplified, full-width to half-width (NFKC), case folded. opencc's
    t2s maps character for character here, so the length is kept in practice; callers
    that need offsets never rely on it (spans are always cut in the unfolded text)."""
    return _converter().convert(unicodedata.normalize("NFKC", text)).casefold()


def is_cjk(char: str) -> bool:
    return (
        "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\uf900" <= char <= "\ufaff"
    )


def zh_length(text: str) -> int:
    """The length the length model reads on the Chinese side: non-space characters."""
    return sum(1 for c in text if not c.isspace())


def en_length(text: str) -> int:
    """The length on the English side: non-space characters."""
    return sum(1 for c in text if not c.isspace())
