"""Re-anchoring a quote after its source text changed (kb.ingest.reanchor): no database."""

import pytest

from kb.ingest.reanchor import CONFIDENT, GONE, UNCERTAIN, reanchor, selector

OLD = (
    "We started Xiaomi in 2010. At first nobody believed us. "
    "I told the team that we would spend the money on components, not on advertising. "
    "That choice made the first phone cheap. Later we built a whole ecosystem."
)
QUOTE = "we would spend the money on components, not on advertising."


def span(text=OLD, words=QUOTE):
    start = text.index(words)
    return start, start + len(words)


def test_it_keeps_an_unchanged_text_exactly():
    start, end = span()
    anchor = reanchor(OLD, start, end, OLD)
    assert (anchor.start, anchor.end, anchor.verdict) == (start, end, CONFIDENT)
    assert anchor.method == "exact"


def test_it_follows_the_quote_when_text_is_added_before_it():
    new = "Preface by the editor. " + OLD
    start, end = span()
    anchor = reanchor(OLD, start, end, new)
    assert new[anchor.start : anchor.end] == QUOTE
    assert anchor.verdict == CONFIDENT


def test_a_doubled_space_inside_the_quote_keeps_it_confidently():
    new = OLD.replace("spend the money", "spend the  money")
    anchor = reanchor(OLD, *span(), new)
    assert anchor.verdict == CONFIDENT
    assert (
        new[anchor.start : anchor.end]
        == "we would spend the  money on components, not on advertising."
    )


def test_a_changed_punctuation_mark_keeps_it_confidently():
    new = OLD.replace("components, not", "components; not")
    anchor = reanchor(OLD, *span(), new)
    assert anchor.verdict == CONFIDENT
    assert (
        new[anchor.start : anchor.end]
        == "we would spend the money on components; not on advertising."
    )


def test_a_reworded_neighbouring_sentence_keeps_it_confidently():
    new = OLD.replace("At first nobody believed us.", "In the beginning, no one trusted us at all.")
    anchor = reanchor(OLD, *span(), new)
    assert anchor.verdict == CONFIDENT
    assert new[anchor.start : anchor.end] == QUOTE


def test_a_changed_word_inside_the_quote_is_uncertain():
    new = OLD.replace("spend the money", "spend the cash")
    anchor = reanchor(OLD, *span(), new)
    assert anchor.verdict == UNCERTAIN
    assert anchor.method == "approximate"
    assert (
        new[anchor.start : anchor.end]
        == "we would spend the cash on components, not on advertising."
    )
    assert 0 < anchor.confidence < 1


def test_deleted_words_are_gone():
    new = OLD.replace("I told the team that " + QUOTE + " ", "")
    anchor = reanchor(OLD, *span(), new)
    assert anchor.verdict == GONE
    assert anchor.start is None and anchor.end is None


def test_the_context_picks_the_right_one_of_two_occurrences():
    old = "First: we ship it. Then the board met. Second: we ship it. Done."
    start = old.rindex("we ship it.")
    new = "Prologue. " + old
    anchor = reanchor(old, start, start + len("we ship it."), new)
    assert anchor.start == new.rindex("we ship it.")
    assert anchor.verdict == CONFIDENT


def test_two_occurrences_the_context_cannot_tell_apart_are_uncertain():
    old = "go on. go on. go on."
    new = "go on.go on. go on.  go on."
    anchor = reanchor(old, 7, 13, new)
    assert anchor.verdict == UNCERTAIN


def test_a_word_is_not_found_inside_a_longer_word():
    anchor = reanchor("spend on it", 6, 8, "the money went")
    assert anchor.verdict == GONE


def test_a_span_outside_the_text_is_refused():
    with pytest.raises(ValueError):
        reanchor("short", 3, 99, "short")


def test_the_selector_holds_the_context_either_side():
    sel = selector("abcdefghij", 4, 6, context=2)
    assert (sel.prefix, sel.exact, sel.suffix) == ("cd", "ef", "gh")
