"""Page metadata lines and page chrome are kept but flagged; real prose is not."""

from pathlib import Path

import pytest

from kb.ingest.boilerplate import (
    flag_boilerplate,
    is_chrome_marker,
    is_metadata_line,
    looks_like_chrome,
)
from kb.ingest.pipeline import plan_import
from kb.ingest.plan import KnownPerson, SourceMetadata

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "ingest_samples"
ESSAY = (ROOT / "kb/corpus/000_0c933901258e9bd6.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "line",
    [
        "Source: Internet",
        "Author: User",
        "Keywords Internet Lei",
        "Date: 2014-07-15",
        "Editor : Zhang San",
        "Tags: Xiaomi, Lei Jun",
        "Translator: Machine",
        "Published: July 15, 2014",
        "By Jane Doe",
        "2014-07-15 10:30",
        "来源：网络",
    ],
)
def test_it_recognises_page_metadata_lines(line):
    assert is_metadata_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "From August 16, 2011, the first official release of Millet mobile phone.",
        "Source of the growth was the online store, which sold out in minutes.",
        "Reporter : What now?",
        "Published in 2014, the book sold well",
        "by the way, we never advertised",
    ],
)
def test_it_leaves_prose_and_turns_alone(line):
    assert not is_metadata_line(line)


@pytest.mark.parametrize(
    "paragraph",
    [
        "The content source of this page is from Internet, which doesn't represent Alibaba "
        "Cloud's opinion; products and services mentioned on that page don't have any "
        "relationship with Alibaba Cloud.",
        "If you find any instances of plagiarism from the community, please send an email to: "
        "info-contact@alibabacloud.com and provide relevant evidence.",
        "A Free Trial That Lets You Build Big!",
        "Start building with 50+ products and up to 12 months usage for Elastic Compute Service",
        "• Sales Support",
        "1 on 1 presale consultation",
        "24/7 Technical Support 6 Free Tickets per Quarter Faster Response",
        "© 2014 Example Media. All rights reserved.",
        "Copyright 2014 Fortune Media",
        "Share this",
        "Advertisement",
        "Email: editor@example.com",
    ],
)
def test_it_recognises_page_chrome(paragraph):
    assert looks_like_chrome(paragraph)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Xiaomi offers technical support through its forums, and users contact us directly, "
        "Lei Jun says; the company answers within a day and its engineers read every post.",
        "The share this year rose to 14%.",
        "Our 24/7 attitude to users is what makes us different.",
        "Related articles in the press were mostly positive.",
        "I told them that this is not a waste of time.",
    ],
)
def test_it_does_not_flag_real_prose(paragraph):
    assert not looks_like_chrome(paragraph)
    assert not is_chrome_marker(paragraph)


@pytest.mark.parametrize(
    "marker",
    ["Related Article", "Related articles:", "Contact Us", "You may also like", "Comments"],
)
def test_it_knows_strong_chrome_markers(marker):
    assert is_chrome_marker(marker)


def test_it_flags_everything_after_a_strong_marker_that_follows_the_body():
    paragraphs = ["Real text.", "Related Article", "Lei Jun on fans", "More real-looking text."]
    assert flag_boilerplate(paragraphs) == [False, True, True, True]


def test_it_ignores_a_marker_before_any_body_text():
    paragraphs = ["Contact Us", "Real text.", "More real text."]
    assert flag_boilerplate(paragraphs) == [True, False, False]


def test_it_flags_the_seed_essay_metadata_and_alibaba_chrome_but_not_the_essay():
    plan = plan_import(ESSAY, SourceMetadata(kind="essay", subject="Lei Jun"))
    spans = [(plan.span(p.start, p.end), p.role, p.is_boilerplate) for p in plan.passages]
    assert spans[:4] == [
        ("Millet CEO Lei: The Internet model of millet must be able to continue", "title", False),
        ("Source: Internet", "metadata", True),
        ("Author: User", "metadata", True),
        ("Keywords Internet Lei", "metadata", True),
    ]
    body = [s for s in spans if s[1] == "body"]
    assert body and not any(flagged for _, _, flagged in body)
    related = next(i for i, s in enumerate(spans) if s[0] == "Related Article")
    assert all(role == "body" for _, role, _ in spans[4:related])
    tail = spans[related:]
    assert [text for text, _, _ in tail] == [
        "Related Article",
        "Contact Us",
        tail[2][0],
        tail[3][0],
        "A Free Trial That Lets You Build Big!",
        "Start building with 50+ products and up to 12 months usage for Elastic Compute Service",
        "• Sales Support",
        "1 on 1 presale consultation",
        "• After-Sales Support",
        "24/7 Technical Support 6 Free Tickets per Quarter Faster Response",
        tail[10][0],
    ]
    assert all(role == "chrome" and flagged for _, role, flagged in tail)
    assert plan.boilerplate_count == 3 + len(tail)


def test_it_flags_chrome_in_a_page_and_keeps_the_article():
    text = (SAMPLES / "chrome_page.txt").read_text(encoding="utf-8")
    plan = plan_import(text, SourceMetadata(), [KnownPerson("Lei Jun")])
    assert [(plan.span(p.start, p.end)[:24], p.role, p.is_boilerplate) for p in plan.passages] == [
        ("Home > News > Technology", "chrome", True),
        ("Lei Jun explains the Xia", "title", False),
        ("Xiaomi sells phones at c", "body", False),
        ("Advertisement", "chrome", True),
        ("The company also sells t", "body", False),
        ("Share this article", "chrome", True),
        ("You may also like", "chrome", True),
        ("Lei Jun on the first Mi ", "chrome", True),
        ("Xiaomi enters Europe", "chrome", True),
        ("© 2014 Example Media. Al", "chrome", True),
        ("Email: editor@example.co", "chrome", True),
    ]
    assert plan.metadata.title == "Lei Jun explains the Xiaomi model"


# -- line-level chrome (issue #18) -------------------------------------------------------

from kb.ingest.boilerplate import chrome_lines, metadata_prefix_end  # noqa: E402

PAGE = """Home | News | Phones | Reviews
Xiaomi opens a store

Posted by Tom Baker
2023-06-14

Xiaomi opened a store in Paris on Wednesday, its biggest outside China.

A crowd outside the new store in Paris.

The early years

"We wanted a place to spend an afternoon," said Claire Dubois.

A crowd outside the new store in Paris.

News of the week

Previous: Xiaomi 13 review, a compact phone

Trending now
Xiaomi's new tablet reviewed
Why phone prices keep rising

Marc_75
June 14, 2023 at 10:02
Went there this morning, the coffee is great.

jules
June 14, 2023 at 11:40
Prices are the same as online."""


def test_it_finds_chrome_by_line_features_and_leaves_a_heading():
    lines = [line.strip() for line in PAGE.split("\n")]
    found = chrome_lines(lines, [True] * len(lines))
    flagged = {lines[i] for i in found}
    assert {
        "Home | News | Phones | Reviews",
        "Posted by Tom Baker",
        "2023-06-14",
        "A crowd outside the new store in Paris.",
        "News of the week",
        "Previous: Xiaomi 13 review, a compact phone",
        "Trending now",
        "Why phone prices keep rising",
        "Marc_75",
        "June 14, 2023 at 11:40",
        "Went there this morning, the coffee is great.",
        "Prices are the same as online.",
    } <= flagged
    assert "The early years" not in flagged  # a heading of the text itself
    assert not any("Claire Dubois" in line or "opened a store" in line for line in flagged)


def test_a_one_line_answer_and_a_heading_are_not_chrome():
    text = "Lei Jun answers\n\nQ: Will you keep the promise?\n\nA: Yes.\n\nOn prices\n\nQ: Why?\n\nA: Trust."
    plan = plan_import(text, SourceMetadata(kind="interview", subject="Lei Jun"))
    assert not any(p.is_boilerplate for p in plan.passages)
    assert ("Yes.", "Lei Jun") in [(plan.span(q.start, q.end), q.speaker) for q in plan.quotes]
    heading = next(p for p in plan.passages if plan.span(p.start, p.end) == "On prices")
    assert heading.speaker is None


def test_a_metadata_prefix_glued_to_the_first_paragraph_is_its_own_passage():
    text = "Title\n\ndate 2019-05-01 source Tech Weekly Xiaomi's founder answered questions."
    start = text.index("date")
    assert text[start : metadata_prefix_end(text, start, len(text))] == (
        "date 2019-05-01 source Tech Weekly"
    )
    plan = plan_import(text, SourceMetadata())
    spans = [(plan.span(p.start, p.end), p.is_boilerplate) for p in plan.passages]
    assert spans[1:] == [
        ("date 2019-05-01 source Tech Weekly", True),
        ("Xiaomi's founder answered questions.", False),
    ]
    # A sentence that merely begins with such a word is left alone.
    for sentence in ("By Monday the queue was long.", "Source code is free.", "Date Palm sells."):
        assert metadata_prefix_end(sentence, 0, len(sentence)) is None
