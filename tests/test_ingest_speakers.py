"""Turn labels, people, and question/answer roles."""

from pathlib import Path

import pytest

from kb.ingest.pipeline import plan_import
from kb.ingest.plan import KnownPerson, PlannedPerson, SourceMetadata
from kb.ingest.speakers import PeopleDirectory, classify_label, find_speaker_turns, find_turn_label

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "ingest_samples"
INTERVIEW = (ROOT / "kb/corpus/004_4a9b5807dcf964b5.txt").read_text(encoding="utf-8")
LEI_JUN = KnownPerson("Lei Jun", ("Lei", "lei jun", "Mr. Lei"))
KNOWN_NAMES = frozenset({"lei jun", "lei", "mr. lei"})


def label_of(line, names=KNOWN_NAMES):
    label = find_turn_label(line, 0, len(line), names)
    return None if label is None else (label.name, label.kind, line[label.start : label.end])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Reporter : What now?", ("Reporter", "role", "Reporter :")),
        ("Guest: Nothing.", ("Guest", "role", "Guest:")),
        ("LEI JUN: We will win.", ("LEI JUN", "known", "LEI JUN:")),
        ("lei jun: our preliminary plan", ("lei jun", "known", "lei jun:")),
        ("Mr. Lei : yes", ("Mr. Lei", "known", "Mr. Lei :")),
        ("Q: Why?", ("Q", "question", "Q:")),
        ("A: Because.", ("A", "answer", "A:")),
        ("Wang Chuan: We are patient.", ("Wang Chuan", "name", "Wang Chuan:")),
        ("TIM COOK: Hello.", ("TIM COOK", "name", "TIM COOK:")),
        ("Lei Jun (Xiaomi CEO): Hello.", ("Lei Jun (Xiaomi CEO)", "name", "Lei Jun (Xiaomi CEO):")),
        ("雷军：我们会赢。", ("雷军", "name", "雷军：")),
    ],
)
def test_it_recognises_turn_labels(line, expected):
    assert label_of(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "this is a crazy idea: in 2010, lei jun (Xiaomi)",
        "Note: prices may change.",
        "The Result: a cheaper phone.",
        "Http://example.com is a link",
        "10:30 the event started",
        "Four Capitalised Words Here: no",
        "He said: yes",
        "No colon here at all",
    ],
)
def test_it_does_not_take_phrases_for_labels(line):
    assert label_of(line) is None


def test_it_needs_a_known_name_for_a_lower_case_label():
    assert classify_label("lei jun") is None
    assert classify_label("lei jun", KNOWN_NAMES) == "known"


def turn_lines(text, names=frozenset()):
    spans, position = [], 0
    for line in text.split("\n"):
        spans.append((position, position + len(line)))
        position += len(line) + 1
    return sorted(find_speaker_turns(text, spans, names))


def test_it_accepts_a_capitalised_label_only_in_a_dialogue():
    assert turn_lines("Xiaomi Band: a fitness tracker.\nIt sells well.") == []
    assert turn_lines("Xiaomi Band: a tracker.\nMi TV: a television.") == []
    # "Wang Chuan" speaks twice, so this is a dialogue and "Lin Bin" is a turn too.
    assert turn_lines("Wang Chuan: We wait.\nLin Bin: We ship.\nWang Chuan: Fine.") == [0, 1, 2]
    assert turn_lines("Q: Ready?\nWang Chuan: Yes.") == [0, 1]
    assert turn_lines("lei jun: yes.\nWang Chuan: Yes.", frozenset({"lei jun"})) == [0, 1]


def test_it_resolves_known_people_and_tidies_new_names():
    people = PeopleDirectory([LEI_JUN], SourceMetadata())
    assert people.resolve("LEI JUN") == "Lei Jun"
    assert people.resolve("Mr.  Lei") == "Lei Jun"
    assert people.resolve("REPORTER") == "Reporter"
    assert people.resolve("guest") == "Guest"
    assert people.resolve("McDonald") == "McDonald"
    assert people.planned_people(["Lei Jun", "Reporter", "Lei Jun", "Guest"]) == [
        PlannedPerson("Lei Jun", [], existing=True),
        PlannedPerson("Reporter", [], existing=False),  # case alone makes no alias
        PlannedPerson("Guest", [], existing=False),
    ]


def test_it_maps_q_and_a_to_the_interviewer_and_the_subject():
    people = PeopleDirectory([LEI_JUN], SourceMetadata(subject="lei jun", interviewer="Fortune"))
    assert (people.interviewer_name(), people.subject_name()) == ("Fortune", "Lei Jun")
    people = PeopleDirectory([], SourceMetadata())
    assert (people.interviewer_name(), people.subject_name()) == ("Interviewer", "Interviewee")


def roles(plan):
    return [(p.role, p.speaker) for p in plan.passages]


def test_it_finds_the_questions_and_answers_of_the_fortune_interview():
    plan = plan_import(
        INTERVIEW,
        SourceMetadata(kind="interview", interviewer="Fortune interviewer"),
        [LEI_JUN],
    )
    asker, answerer = ("question", "Fortune interviewer"), ("answer", "Lei Jun")
    assert roles(plan) == [
        ("title", None),
        ("body", None),  # "millet company gradually expands ..."
        ("body", None),  # "this is a crazy idea: ..." (cut in two: 983 characters)
        ("body", None),
        asker,  # which countries ...?
        answerer,  # lei jun: our preliminary plan ...
        asker,  # other smartphone makers ...?
        answerer,
        asker,  # fierce competition ...?
        answerer,
        asker,  # you are how to extend the android ecosystem?
        answerer,
        asker,  # , you mentioned ...?
        answerer,
        asker,  # what do you think of ... Elon musk?
        answerer,
    ]
    questions = [plan.span(p.start, p.end) for p in plan.passages if p.role == "question"]
    assert questions[0] == (
        "which countries will become the new market for you? How do you choose these countries?"
    )
    assert questions[3] == "you are how to extend the android ecosystem?"
    assert plan.span(plan.passages[5].start, plan.passages[5].end).startswith("lei jun: our")
    assert not any(p.is_boilerplate for p in plan.passages)


def test_it_infers_the_interviewee_from_the_labelled_answer_without_a_declared_kind():
    plan = plan_import(INTERVIEW, SourceMetadata(), [LEI_JUN])
    assert [p.speaker for p in plan.passages if p.role == "answer"] == ["Lei Jun"] * 6
    assert {p.speaker for p in plan.passages if p.role == "question"} == {"Interviewer"}


def test_it_falls_back_to_the_subject_then_to_interviewee():
    plan = plan_import(INTERVIEW, SourceMetadata(kind="interview", subject="Lei Jun"))
    assert {p.speaker for p in plan.passages if p.role == "answer"} == {"Lei Jun"}
    plan = plan_import(INTERVIEW, SourceMetadata(kind="interview"))
    assert {p.speaker for p in plan.passages if p.role == "answer"} == {"Interviewee"}


def test_it_reads_a_reporter_and_guest_transcript():
    text = (SAMPLES / "reporter_guest.txt").read_text(encoding="utf-8")
    plan = plan_import(text, SourceMetadata(subject="Lei Jun"), [LEI_JUN])
    assert [(p.role, p.speaker, p.is_boilerplate) for p in plan.passages] == [
        ("title", None, False),
        ("metadata", None, True),
        ("question", "Reporter", False),
        ("answer", "Guest", False),
        ("answer", "Guest", False),  # "The values have not changed." continues the turn
        ("question", "Reporter", False),
        ("answer", "Guest", False),
        ("question", "Reporter", False),
    ]
    assert plan.span(plan.passages[2].start, plan.passages[2].end).startswith("Reporter : Xiaomi")
    assert [(p.name, p.existing) for p in plan.people] == [("Reporter", False), ("Guest", False)]


def test_it_reads_q_and_a_labels_with_crlf_line_endings():
    text = (
        "Q: Why did you start Xiaomi at forty?\r\n"
        "A: Because I wanted to do one thing that would last.\r\n"
        "Q: What is the Xiaomi model?\r\n"
        "A: Focus, perfection, word of mouth and speed.\r\n"
    )
    plan = plan_import(text, SourceMetadata(subject="Lei Jun"), [LEI_JUN])
    assert [(plan.span(p.start, p.end), p.role, p.speaker) for p in plan.passages] == [
        ("Q: Why did you start Xiaomi at forty?", "question", "Interviewer"),
        ("A: Because I wanted to do one thing that would last.", "answer", "Lei Jun"),
        ("Q: What is the Xiaomi model?", "question", "Interviewer"),
        ("A: Focus, perfection, word of mouth and speed.", "answer", "Lei Jun"),
    ]
    assert plan.metadata.title == ""


def test_it_keeps_unlabelled_text_after_a_labelled_question_with_the_interviewer():
    text = (
        "Host: You grew up in Xiantao.\n\n"
        "Many listeners want to know: did that shape you?\n\n"
        "Lei Jun: Very much.\n\n"
        "Host: And Kingsoft?\n\n"
        "Lei Jun: Sixteen years.\n\n"
        "Those years taught me patience. Why rush?\n"
    )
    plan = plan_import(text, SourceMetadata(), [LEI_JUN])
    assert roles(plan) == [
        ("question", "Host"),
        ("question", "Host"),
        ("answer", "Lei Jun"),
        ("question", "Host"),
        ("answer", "Lei Jun"),
        ("answer", "Lei Jun"),  # a rhetorical "?" inside a labelled transcript
    ]


def test_it_gives_essay_and_speech_passages_to_the_subject():
    text = "We make friends with users.\n\nWe price honestly."
    for kind in ("essay", "speech"):
        plan = plan_import(text, SourceMetadata(kind=kind, subject="lei jun"), [LEI_JUN])
        assert roles(plan) == [("body", "Lei Jun"), ("body", "Lei Jun")]
    plan = plan_import(text, SourceMetadata(kind="article", subject="Lei Jun"), [LEI_JUN])
    assert roles(plan) == [("body", None), ("body", None)]


def test_it_continues_turns_in_a_panel_transcript():
    text = (
        "Wang Chuan: We wait for the right moment.\n\n"
        "Then we move fast.\n\n"
        "Lin Bin: And we ship.\n\n"
        "Wang Chuan: Exactly.\n"
    )
    plan = plan_import(text, SourceMetadata(kind="speech"))
    assert roles(plan) == [
        ("body", "Wang Chuan"),
        ("body", "Wang Chuan"),
        ("body", "Lin Bin"),
        ("body", "Wang Chuan"),
    ]


# -- Chinese labels and names (issue #18) ------------------------------------------------

from kb.ingest.speakers import fold_chinese, looks_like_chinese_name  # noqa: E402


def test_chinese_roles_fold_and_headings():
    text = (
        "专访\n\n记者：你好吗？\n\n雷軍：很好，谢谢。我们还是一家创业公司，\n要保持那股劲。\n\n"
        "关于未来:\n\n主持人：最后一个问题？\n\n雷军：暂时不会。"
    )
    plan = plan_import(
        text, SourceMetadata(kind="interview", language="zh"), [KnownPerson("Lei Jun", ("雷军",))]
    )
    roles = [(p.role, p.speaker, plan.span(p.start, p.end)[:6]) for p in plan.passages]
    assert roles == [
        ("title", None, "专访"),
        ("question", "Reporter", "记者：你好吗"),
        ("answer", "Lei Jun", "雷軍：很好，"),  # one passage over the hard line break
        ("body", None, "关于未来:"),
        ("question", "Host", "主持人：最后"),
        ("answer", "Lei Jun", "雷军：暂时不"),
    ]
    assert "\n" in plan.span(plan.passages[2].start, plan.passages[2].end)
    assert {p.name for p in plan.people} == {"Reporter", "Host", "Lei Jun"}
    assert fold_chinese("雷軍") == "雷军"
    assert looks_like_chinese_name("雷軍") and not looks_like_chinese_name("关于未来")
