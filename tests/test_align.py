"""The aligner (kb.align): exact spans, monotone full coverage, anchors, folding, the
gold score, and re-anchoring. No database."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.align import (
    StoredLink,
    align_segments,
    align_texts,
    find_span,
    paragraph_spans,
    reanchor_link,
    split_sentences_en,
    split_sentences_zh,
)
from kb.align.anchors import numbers_en, numbers_zh
from kb.align.evaluate import evaluate, main

SAMPLES = Path(__file__).parent / "align_samples"
ALIASES = [("雷军", "Lei Jun"), ("小米", "Xiaomi"), ("小米", "Millet")]


def _check_links(links, zh_text, zh_spans, en_text, en_spans):
    """Every link's spans are slices; links are monotone and cover each segment once."""
    zh_seen, en_seen = [], []
    last_zh = last_en = 0
    for link in links:
        for (a, b), text in ((link.original, zh_text), (link.translation, en_text)):
            assert 0 <= a <= b <= len(text)
        assert link.original[0] >= last_zh and link.translation[0] >= last_en
        last_zh, last_en = link.original[1], link.translation[1]
        assert 0.0 <= link.confidence <= 1.0
        zh_seen += [s for s in zh_spans if link.original[0] <= s[0] and s[1] <= link.original[1]]
        en_seen += [
            s for s in en_spans if link.translation[0] <= s[0] and s[1] <= link.translation[1]
        ]
    assert zh_seen == list(zh_spans) and en_seen == list(en_spans)


def test_it_meets_the_target_on_the_samples():
    scores = evaluate(SAMPLES)
    assert len(scores) >= 6
    correct = sum(s.correct for s in scores)
    total = sum(s.total for s in scores)
    assert correct / total >= 0.9, [f for s in scores for f in s.failures]


def test_it_prints_per_pair_and_overall(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "overall" in out and "traditional" in out


def test_it_refuses_a_missing_samples_directory(tmp_path, capsys):
    assert main(["--samples", str(tmp_path / "nowhere")]) == 2
    assert "no samples directory" in capsys.readouterr().err


def test_it_marks_a_missing_paragraph_as_one_to_zero_with_low_confidence():
    zh = (SAMPLES / "missing_paragraph" / "zh.txt").read_text()
    en = (SAMPLES / "missing_paragraph" / "en.txt").read_text()
    result = align_texts(zh, paragraph_spans(zh), en, paragraph_spans(en), ALIASES)
    kinds = [link.kind for link in result.passages]
    assert kinds == ["1-1", "1-0", "1-1"]
    skipped = result.passages[1]
    assert skipped.translation[0] == skipped.translation[1]
    assert (
        skipped.confidence < 0.3 < min(result.passages[0].confidence, result.passages[2].confidence)
    )
    assert zh[slice(*skipped.original)].startswith("这个承诺")


def test_it_aligns_traditional_and_simplified_alike():
    zh = (SAMPLES / "traditional" / "zh.txt").read_text()
    en = (SAMPLES / "traditional" / "en.txt").read_text()
    traditional = align_texts(zh, paragraph_spans(zh), en, paragraph_spans(en), ALIASES)
    assert {link.kind for link in traditional.sentences} == {"1-1"}
    # The simplified alias 雷军 matches 雷軍: the first link's confidence shows the anchor.
    without = align_texts(zh, paragraph_spans(zh), en, paragraph_spans(en), [])
    assert traditional.sentences[0].confidence > without.sentences[0].confidence


def test_it_reads_numbers_both_ways():
    assert set(numbers_zh("一九九二年，三千五百人，十二万台，1.5亿元")) == set(
        numbers_en("in 1992, 3,500 people, 120,000 units, 150 million yuan")
    )


def test_it_splits_chinese_after_closing_quotes_and_ellipses():
    text = "他说：“我们要赢！”然后走了。真的吗？……好吧"
    assert [text[a:b] for a, b in split_sentences_zh(text)] == [
        "他说：“我们要赢！”",
        "然后走了。",
        "真的吗？……",
        "好吧",
    ]


def test_it_keeps_abbreviations_inside_english_sentences():
    text = 'Mr. Lei said: "We will win!" Then he left.'
    assert [text[a:b] for a, b in split_sentences_en(text)] == [
        'Mr. Lei said: "We will win!"',
        "Then he left.",
    ]


def test_it_trusts_a_link_more_when_latin_tokens_and_numbers_agree():
    zh = "2015年他们做了MIUI。"

    def confidence(en):
        (link,) = align_segments(zh, [(0, len(zh))], en, [(0, len(en))])
        return link.confidence

    agreeing, clashing = (
        confidence("In 2015 they made MIUI."),
        confidence("In 2016 they made YUIM."),
    )
    assert agreeing > 0.8 > clashing


zh_chunks = st.text(alphabet="雷军小米手机。！？，一二三1 \n", min_size=0, max_size=40)
en_chunks = st.text(alphabet="Lei Jun Xiaomi phone.!? ,123\n", min_size=0, max_size=80)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(zh_parts=st.lists(zh_chunks, max_size=6), en_parts=st.lists(en_chunks, max_size=6))
def test_property_links_are_exact_monotone_and_cover_everything(zh_parts, en_parts):
    zh = "\n\n".join(zh_parts)
    en = "\n\n".join(en_parts)
    zh_spans, en_spans = paragraph_spans(zh), paragraph_spans(en)
    result = align_texts(zh, zh_spans, en, en_spans, ALIASES)
    _check_links(result.passages, zh, zh_spans, en, en_spans)
    zh_sentences = [s for link in result.passages for s in split_sentences_zh(zh, *link.original)]
    en_sentences = [
        s for link in result.passages for s in split_sentences_en(en, *link.translation)
    ]
    _check_links(result.sentences, zh, zh_sentences, en, en_sentences)


def test_reanchor_finds_exact_then_normalised_then_approximate():
    old = "雷军说：“做产品要专注。”后来他又说了一遍。"
    link = StoredLink((0, 12), old[0:12], (0, 10), "Lei Jun sa")
    moved = "前言。" + old
    assert reanchor_link(link, moved, "original").span == (3, 15)
    assert reanchor_link(link, moved, "original").method == "exact"
    traditional = "前言。雷軍說：「做產品要專注。」後來"
    found = reanchor_link(link, traditional, "original")
    assert found.method == "normalised" and traditional[slice(*found.span)].startswith("雷軍")
    edited = "前言。雷军曾经说：“做产品一定要专注。”后来"
    approx = reanchor_link(link, edited, "original", old_text=old)
    assert approx.method == "approximate" and 0.5 < approx.confidence < 1
    assert edited[slice(*approx.span)].startswith("雷军")
    assert find_span("完全不同的句子在这里", "这是一段毫无关系的文字，讲天气。") is None


def test_reanchor_prefers_the_occurrence_with_the_old_context():
    old = "A. Yes. B. Yes. C."
    link = StoredLink((0, 1), "A", (11, 15), "Yes.")
    new = "B. Yes. A. Yes. C."
    assert reanchor_link(link, new, "translation", old_text=old).span == (11, 15)


@pytest.mark.parametrize("spans", [[(0, 99)], [(2, 3), (0, 1)], [(-1, 2)]])
def test_it_refuses_spans_outside_or_out_of_order(spans):
    with pytest.raises(ValueError, match="original span"):
        align_segments("雷军说。", spans, "Lei Jun said.", [(0, 13)])


def test_the_gold_files_match_the_splitter():
    for directory in SAMPLES.iterdir():
        if directory.is_dir():
            gold = json.loads((directory / "gold.json").read_text())
            assert len(gold) == len(split_sentences_zh((directory / "zh.txt").read_text()))
