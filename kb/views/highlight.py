"""Cut a passage's text into segments so that spans (quotes, evidence) can be marked.

Offsets are string indices into ``Source.text``; a span inside a passage is shifted by
``passage.start``. The segments are plain text: templates escape them and wrap the marked
ones in ``<mark>``, so nothing here builds HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: int  # offset into Source.text
    end: int
    url: str = ""
    title: str = ""
    draft: bool = False


@dataclass(frozen=True)
class Segment:
    text: str
    span: Span | None = None

    @property
    def marked(self) -> bool:
        return self.span is not None


def segments(passage, spans: Iterable[Span]) -> list[Segment]:
    """The passage text as segments; overlapping spans are clipped, the earlier one wins."""
    text = passage.text
    out: list[Segment] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        start = max(span.start - passage.start, cursor, 0)
        end = min(span.end - passage.start, len(text))
        if start >= end:
            continue
        if start > cursor:
            out.append(Segment(text[cursor:start]))
        out.append(Segment(text[start:end], span))
        cursor = end
    if cursor < len(text) or not out:
        out.append(Segment(text[cursor:]))
    return out


def quote_span(quote, *, link: bool = True) -> Span:
    return Span(
        quote.start,
        quote.end,
        url=quote.get_absolute_url() if link else "",
        title="Quote" if link else "",
        draft=not quote.is_published,
    )


def claim_span(claim) -> Span:
    return Span(claim.start, claim.end)


def trimmed(segs: list[Segment], words: int = 25) -> list[Segment]:
    """Segments with the unmarked text before the first and after the last mark cut short."""
    if not any(s.marked for s in segs):
        return segs
    out = list(segs)
    if not out[0].marked:
        head = out[0].text.split(" ")
        if len(head) > words:
            out[0] = Segment("… " + " ".join(head[-words:]))
    if not out[-1].marked:
        tail = out[-1].text.split(" ")
        if len(tail) > words:
            out[-1] = Segment(" ".join(tail[:words]) + " …")
    return out
