"""Lines, paragraphs and passages: offsets into the unchanged text."""

from pathlib import Path

import pytest

from kb.ingest.passages import (
    looks_hard_wrapped,
    pack_sentences,
    split_into_paragraphs,
    split_into_passages,
    split_lines,
    split_long_paragraph,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "ingest_samples"
ESSAY = (ROOT / "kb/corpus/000_0c933901258e9bd6.txt").read_text(encoding="utf-8")
INTERVIEW = (ROOT / "kb/corpus/004_4a9b5807dcf964b5.txt").read_text(encoding="utf-8")


def texts(text, spans):
    return [text[span[0] : span[1]] for span in spans]


def test_it_splits_lines_at_crlf_cr_and_lf():
    text = "one\r\ntwo\rthree\n\n  four  "
    lines = split_lines(text)
    assert [text[line.start : line.end] for line in lines] == [
        "one",
        "two",
        "three",
        "",
        "  four  ",
    ]
    assert [text[line.lstart : line.rend] for line in lines] == ["one", "two", "three", "", "four"]
    assert [line.is_blank for line in lines] == [False, False, False, True, False]


def test_it_separates_paragraphs_at_blank_lines_and_strips_them():
    text = "  First paragraph.  \n\n\t\nSecond paragraph.\n"
    assert texts(text, split_into_passages(text)) == ["First paragraph.", "Second paragraph."]


def test_it_treats_single_line_breaks_as_paragraph_breaks_in_unwrapped_text():
    text = "Source: Internet\nAuthor: User\nA long body line that goes on. It ends here.\nEnd"
    assert texts(text, split_into_passages(text)) == [
        "Source: Internet",
        "Author: User",
        "A long body line that goes on. It ends here.",
        "End",
    ]


def test_it_joins_hard_wrapped_lines_into_one_paragraph():
    text = (SAMPLES / "hard_wrapped.txt").read_text(encoding="utf-8")
    lines = split_lines(text)
    assert looks_hard_wrapped(text, lines)
    paragraphs = texts(text, split_into_passages(text))
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith(
        "Lei Jun founded Xiaomi in 2010 with a small group of engineers\n"
    )
    assert paragraphs[0].endswith("each Friday.")
    assert paragraphs[1].startswith("In later years")
    assert paragraphs[1].endswith("it had invested in.")


def test_it_does_not_take_the_seed_texts_for_hard_wrapped_prose():
    assert not looks_hard_wrapped(ESSAY, split_lines(ESSAY))
    assert not looks_hard_wrapped(INTERVIEW, split_lines(INTERVIEW))


def test_it_keeps_list_items_apart_in_hard_wrapped_text():
    text = (SAMPLES / "hard_wrapped.txt").read_text(encoding="utf-8") + (
        "\n\nThe fans asked for three things:\n- lower prices\n- faster updates\n"
    )
    assert texts(text, split_into_passages(text))[-3:] == [
        "The fans asked for three things:",
        "- lower prices",
        "- faster updates",
    ]


def test_it_indexes_crlf_text_without_including_the_carriage_returns():
    text = "Title line\r\n\r\nFirst para.\r\nSecond para.\r\n"
    spans = split_into_passages(text)
    assert texts(text, spans) == ["Title line", "First para.", "Second para."]
    assert spans[1][:2] == (14, 25)


def test_it_honours_forced_paragraph_starts_and_label_only_lines():
    text = "Wrapped line number one which goes\non and on without any stop at all\nand again\n"
    lines = split_lines(text)
    paragraphs = split_into_paragraphs(text, lines, starts_paragraph={1}, hard_wrapped=True)
    assert [(p.first_line, p.last_line) for p in paragraphs] == [(0, 0), (1, 2)]
    text = "Reporter :\nWhat now?\nGuest : Nothing."
    paragraphs = split_into_paragraphs(text, joins_next={0}, starts_paragraph={0, 2})
    assert texts(text, [(p.start, p.end) for p in paragraphs]) == [
        "Reporter :\nWhat now?",
        "Guest : Nothing.",
    ]


def test_it_keeps_html_verbatim():
    text = "<p>Millet sold <b>26 million</b> phones.</p>\n<p>Sales hit 33 billion yuan.</p>"
    assert texts(text, split_into_passages(text)) == [
        "<p>Millet sold <b>26 million</b> phones.</p>",
        "<p>Sales hit 33 billion yuan.</p>",
    ]


def test_it_cuts_the_seed_essay_between_sentences_into_passages_of_at_most_700_chars():
    body = ESSAY.split("\n")[5]
    start = ESSAY.index(body)
    pieces = split_long_paragraph(ESSAY, start, start + len(body), 700)
    assert 9 <= len(pieces) <= 12
    assert all(end - begin <= 700 for begin, end in pieces)
    assert pieces[0][0] == start and pieces[-1][1] == start + len(body)
    for (_, end), (next_start, _) in zip(pieces, pieces[1:], strict=False):
        assert ESSAY[end - 1] in ".?!。"  # every cut follows a sentence end
        assert ESSAY[end:next_start] == " "  # and loses nothing but the space
    assert ESSAY[pieces[0][0] : pieces[0][1]].endswith("this is the industry law.")


def test_it_packs_whole_sentences_greedily():
    sentence = "This sentence is exactly forty chars. "  # 38 characters
    text = (sentence * 6).strip()
    pieces = texts(text, split_long_paragraph(text, 0, len(text), 100))
    assert pieces == [(sentence * 2).strip()] * 3


def test_it_does_not_cut_after_an_abbreviation():
    text = "We met Mr. Lei at the U.S. office today. " * 3 + "He said yes."
    pieces = texts(text, split_long_paragraph(text, 0, len(text), 90))
    assert (
        pieces[0]
        == "We met Mr. Lei at the U.S. office today. We met Mr. Lei at the U.S. office today."
    )


def test_it_cuts_an_overlong_sentence_at_the_last_space_before_the_limit():
    text = "word " * 30 + "end."
    pieces = split_long_paragraph(text, 0, len(text.strip()), 52)
    assert all(end - start <= 52 for start, end in pieces)
    assert texts(text, pieces)[0] == "word " * 9 + "word"


def test_it_cuts_hard_at_the_limit_when_there_is_no_space():
    text = "x" * 25
    assert split_long_paragraph(text, 0, 25, 10) == [(0, 10), (10, 20), (20, 25)]


def test_it_keeps_an_overlong_sentence_whole_when_asked_to():
    long_sentence = "This one sentence runs on " + "and on " * 20 + "until the end."
    text = f"Short one. {long_sentence} Short two."
    pieces = texts(text, pack_sentences(text, 0, len(text), 60, split_long_sentences=False))
    assert pieces == ["Short one.", long_sentence, "Short two."]


@pytest.mark.parametrize("limit", [1, 5, 50])
def test_it_covers_every_character_even_with_tiny_limits(limit):
    text = "A b. C d e f g h. Ijklmnopqrstuvwxyz!"
    pieces = split_long_paragraph(text, 0, len(text), limit)
    assert "".join(texts(text, pieces)).replace(" ", "") == text.replace(" ", "")
    assert [start for start, _ in pieces] == sorted({start for start, _ in pieces})
    assert all(end - start <= limit for start, end in pieces)
