"""plan_import / plan_from_bytes: the whole pipeline on the seeds and on small texts."""

import codecs
from pathlib import Path

import pytest

from kb.ingest.pipeline import plan_from_bytes, plan_import
from kb.ingest.plan import (
    METADATA_MAX_CHARS,
    PERSON_NAME_MAX_CHARS,
    IngestError,
    KnownPerson,
    PlannedPerson,
    SourceMetadata,
    check_plan,
)

ROOT = Path(__file__).resolve().parent.parent
ESSAY = (ROOT / "kb/corpus/000_0c933901258e9bd6.txt").read_text(encoding="utf-8")
INTERVIEW = (ROOT / "kb/corpus/004_4a9b5807dcf964b5.txt").read_text(encoding="utf-8")
LEI_JUN = KnownPerson("Lei Jun", ("Lei", "lei jun", "Mr. Lei"))


def test_it_plans_the_seed_essay_as_an_editor_would():
    plan = plan_import(ESSAY, SourceMetadata(kind="essay", subject="Lei Jun"), [LEI_JUN])
    assert plan.text is ESSAY
    assert plan.metadata.title == (
        "Millet CEO Lei: The Internet model of millet must be able to continue"
    )
    assert [p.number for p in plan.passages] == list(range(1, len(plan.passages) + 1))
    body = [p for p in plan.passages if p.role == "body"]
    assert 9 <= len(body) <= 12
    assert all(p.end - p.start <= 700 for p in body)
    assert all(ESSAY[p.end - 1] in ".?!。" for p in body)
    assert plan.span(body[0].start, body[0].end).startswith("From August 16, 2011")
    assert plan.span(body[-1].start, body[-1].end).endswith("hundred world-class enterprises!")
    assert {p.speaker for p in body} == {"Lei Jun"}
    assert all(p.speaker is None for p in plan.passages if p.role != "body")
    assert plan.people == [PlannedPerson("Lei Jun", [], existing=True)]
    # The essay is its subject's words: candidate quotes are drawn from it, as from answers.
    assert plan.quotes
    assert {(q.speaker, q.attribution) for q in plan.quotes} == {("Lei Jun", "essay by Lei Jun")}
    body_numbers = {p.number for p in body}
    assert all(q.passage_number in body_numbers for q in plan.quotes)


def test_it_keeps_a_given_title_and_still_marks_the_title_line():
    plan = plan_import(ESSAY, SourceMetadata(title="The Millet model"))
    assert plan.metadata.title == "The Millet model"
    assert plan.passages[0].role == "title"


def test_it_returns_the_people_in_order_of_first_reference():
    plan = plan_import(
        INTERVIEW, SourceMetadata(kind="interview", interviewer="Fortune interviewer"), [LEI_JUN]
    )
    assert plan.people == [
        PlannedPerson("Fortune interviewer", [], existing=False),
        PlannedPerson("Lei Jun", [], existing=True),
    ]
    assert plan.metadata.title.startswith("Lei jun: millet international advanced army")


@pytest.mark.parametrize(
    "text",
    [
        "One sentence that ends with a period.\n\nMore text.",
        "A title\nfollowed directly by text, which makes it the first paragraph.",
        "x" * 201 + "\n\nMore text.",
        "Q: Is this a title?\n\nA: No.",
        "Only one line",
        "----\n\nMore text.",
    ],
)
def test_it_leaves_the_title_empty_when_the_first_line_is_not_one(text):
    plan = plan_import(text, SourceMetadata())
    assert plan.metadata.title == ""
    assert all(p.role != "title" for p in plan.passages)


def test_it_takes_a_title_followed_directly_by_metadata_lines():
    plan = plan_import("Lei Jun on fans\nSource: Sina\nAuthor: Li\nText.", SourceMetadata())
    assert plan.metadata.title == "Lei Jun on fans"
    assert [p.role for p in plan.passages] == ["title", "metadata", "metadata", "body"]


def test_it_plans_from_bytes_with_front_matter_and_options():
    data = codecs.BOM_UTF16_LE + (
        "---\r\n"
        "title: From the file\r\n"
        "kind: essay\r\n"
        "subject: Lei Jun\r\n"
        "published: 2014-07-15\r\n"
        "---\r\n"
        "We make friends with users.\r\n\r\nWe price honestly.\r\n"
    ).encode("utf-16-le")
    plan = plan_from_bytes(data, {"title": "From options", "url": None}, [LEI_JUN], name="x.txt")
    assert plan.text == "We make friends with users.\r\n\r\nWe price honestly.\r\n"
    assert plan.metadata.title == "From options"
    assert str(plan.metadata.published) == "2014-07-15"
    assert [(plan.span(p.start, p.end), p.speaker) for p in plan.passages] == [
        ("We make friends with users.", "Lei Jun"),
        ("We price honestly.", "Lei Jun"),
    ]


FRONT_MATTER_INTERVIEW = (
    "---\n"
    "title: Lei Jun on the phone market\n"
    "kind: interview\n"
    "interviewer: QA interviewer\n"
    "---\n"
    "{first_line}"
    "QA interviewer: What do you think of the phone market?\n\n"
    "Lei Jun: It is still growing.\n"
)


def test_it_reads_the_first_line_as_a_turn_when_the_front_matter_gives_the_title():
    data = FRONT_MATTER_INTERVIEW.format(first_line="").encode()
    plan = plan_from_bytes(data, {}, [LEI_JUN])
    assert plan.metadata.title == "Lei Jun on the phone market"
    assert [(p.role, p.speaker, plan.span(p.start, p.end)) for p in plan.passages] == [
        ("question", "QA interviewer", "QA interviewer: What do you think of the phone market?"),
        ("answer", "Lei Jun", "Lei Jun: It is still growing."),
    ]


def test_it_still_marks_a_first_line_that_repeats_the_front_matter_title():
    data = FRONT_MATTER_INTERVIEW.format(first_line="Lei Jun on the  PHONE market\n\n").encode()
    plan = plan_from_bytes(data, {}, [LEI_JUN])
    assert [(p.role, p.speaker) for p in plan.passages] == [
        ("title", None),
        ("question", "QA interviewer"),
        ("answer", "Lei Jun"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"---\nkind: podcast\n---\nText", "bad kind 'podcast'"),
        (b"---\npublished: yesterday\n---\nText", "bad date 'yesterday'"),
        (b"---\nurl: javascript:alert(1)\n---\nText", "bad URL 'javascript:alert(1)'"),
        (b"\x00\x01\x02", "binary file (NUL bytes)"),
        (b"  \n ", "empty file"),
    ],
)
def test_it_reports_problems_from_bytes(data, message):
    with pytest.raises(IngestError) as error:
        plan_from_bytes(data, {})
    assert str(error.value).startswith(message)


def test_it_refuses_oversize_input_before_decoding():
    with pytest.raises(IngestError, match="larger than the 100 bytes limit"):
        plan_from_bytes(b"x" * 101, {}, max_bytes=100)


def test_it_keeps_html_as_text():
    text = '<p>Lei Jun said: <b>focus</b></p>\n<p class="x">Sales hit 33 billion yuan.</p>'
    plan = plan_import(text, SourceMetadata())
    assert [plan.span(p.start, p.end) for p in plan.passages] == text.split("\n")


def test_it_plans_an_empty_body_as_nothing():
    plan = plan_import(" \r\n\t", SourceMetadata())
    assert (plan.passages, plan.quotes, plan.people, plan.metadata.title) == ([], [], [], "")


def test_it_plans_a_megabyte():
    # How fast is measured by the bench (`make bench BENCH_PART=import`), not here (#23).
    text = (ESSAY + "\n\n" + INTERVIEW + "\n\n") * 100
    plan = plan_import(text, SourceMetadata(kind="interview"), [LEI_JUN])
    assert len(text) > 1_000_000 and len(plan.passages) > 3000
    assert all(
        plan.span(p.start, p.end).strip() == plan.span(p.start, p.end) for p in plan.passages
    )


LONG_NAME = "N" * 201


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (f"---\ninterviewer: {LONG_NAME}\n---\nQ: Why?\n\nA: Because.\n", "bad interviewer 'NNN"),
        (f"---\nsubject: {LONG_NAME}\n---\nAn essay.\n", "bad subject 'NNN"),
        (f"---\nauthor: {LONG_NAME}\n---\nAn essay.\n", "bad author 'NNN"),
        (f"---\npublisher: {LONG_NAME}\n---\nAn essay.\n", "bad publisher 'NNN"),
        ("---\nlanguage: en-aaaaaaaa-bbbbbbbb-c\n---\nText.\n", "bad language 'en-aaa"),
        ("---\ntitle: Only metadata\n---\n", "the text after the front matter is empty"),
        ("---\ntitle: Only metadata\n---\n  \n", "the text after the front matter is empty"),
    ],
    ids=["interviewer", "subject", "author", "publisher", "language", "no-body", "blank-body"],
)
def test_it_reports_what_the_database_would_refuse_when_planning(data, message):
    with pytest.raises(IngestError) as error:
        plan_from_bytes(data.encode("utf-8"), {})
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_it_reports_a_speaker_name_too_long_for_a_person():
    plan = plan_import("Q: Why?\n\nA: Because.\n", SourceMetadata(kind="interview"))
    plan.people.append(PlannedPerson(LONG_NAME))
    with pytest.raises(IngestError, match=r"^bad speaker name 'NNN.*201 characters, at most 200$"):
        check_plan(plan)


def test_it_accepts_names_and_metadata_at_the_limits():
    at_limit = "N" * 200
    options = {"author": at_limit, "publisher": at_limit, "interviewer": at_limit}
    plan = plan_from_bytes(b"Q: Why?\n\nA: Because.\n", {**options, "kind": "interview"})
    assert plan.metadata.interviewer == at_limit
    check_plan(plan)


def test_its_limits_are_the_database_fields():
    from kb.models import Person, Source

    assert PERSON_NAME_MAX_CHARS == Person._meta.get_field("name").max_length
    for key in ("author", "publisher", "language"):
        assert METADATA_MAX_CHARS[key] == Source._meta.get_field(key).max_length
