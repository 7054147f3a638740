"""The segments that pages mark up: exact offsets, overlaps, trimmed context."""

from types import SimpleNamespace

from kb.views.highlight import Segment, Span, segments, trimmed


def passage(text, start=100):
    return SimpleNamespace(text=text, start=start)


def test_it_cuts_a_passage_at_the_span_offsets():
    p = passage("He said: be focused. Then left.")
    at = p.text.index("be focused.")
    segs = segments(p, [Span(100 + at, 100 + at + len("be focused."), url="/q/1/")])
    assert [(s.text, s.marked) for s in segs] == [
        ("He said: ", False),
        ("be focused.", True),
        (" Then left.", False),
    ]
    assert "".join(s.text for s in segs) == p.text


def test_it_clips_overlapping_spans_and_keeps_the_text_whole():
    p = passage("abcdefghij", start=0)
    segs = segments(p, [Span(5, 9), Span(2, 6), Span(3, 4)])
    assert [(s.text, s.marked) for s in segs] == [
        ("ab", False),
        ("cdef", True),
        ("ghi", True),
        ("j", False),
    ]


def test_it_ignores_spans_outside_the_passage():
    p = passage("abc", start=10)
    assert segments(p, [Span(0, 5), Span(20, 30)]) == [Segment("abc")]


def test_it_trims_long_context_around_the_mark():
    before = " ".join(f"b{i}" for i in range(40))
    after = " ".join(f"a{i}" for i in range(40))
    segs = trimmed([Segment(before + " "), Segment("EVIDENCE", Span(0, 1)), Segment(" " + after)])
    assert segs[0].text.startswith("… ") and len(segs[0].text.split()) <= 27
    assert segs[1].text == "EVIDENCE"
    assert segs[2].text.endswith(" …") and "a0" in segs[2].text and "a39" not in segs[2].text
