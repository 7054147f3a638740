"""Attribution over a per-source model of mentions (kb.ingest.mentions, kb.ingest.quotes)."""

import pytest

from kb.ingest.mentions import MentionTracker, looks_like_person_name, narration_names
from kb.ingest.pipeline import plan_import
from kb.ingest.plan import KnownPerson, SourceMetadata

LEI_JUN = KnownPerson("Lei Jun", ("Lei", "lei jun", "Mr. Lei", "雷军"))


def quotes(text, known=(LEI_JUN,), **meta):
    plan = plan_import(text, SourceMetadata(**meta), known)
    return [(plan.span(q.start, q.end), q.speaker) for q in plan.quotes], plan


@pytest.mark.parametrize("name", ["Will Wong", "Mr. Lei Jun", "Claire Dubois", "王磊", "雷軍"])
def test_it_takes_person_shaped_names(name):
    assert looks_like_person_name(name)


@pytest.mark.parametrize(
    "name", ["IDC", "Hong Kong", "Xiaomi's", "Counterpoint Research", "关于未来", "Wong", "Tom"]
)
def test_it_refuses_companies_places_headings_and_single_words(name):
    assert not looks_like_person_name(name)


def test_narration_names_skip_places_after_a_preposition_and_quoted_words():
    text = 'Liu Dehua met Chen Mei in Hong Kong. "Grace Ho was right," he said.'
    assert [name for _, name in narration_names(text, 0, len(text))] == ["Liu Dehua", "Chen Mei"]


def test_the_tracker_resolves_a_word_and_a_pronoun_to_the_nearest_fitting_mention():
    tracker = MentionTracker()
    tracker.add(0, "Will Wong", "Will Wong")
    tracker.add(50, "Maria Lopez", "Maria Lopez")
    tracker.add(90, None, "an insider")
    assert tracker.for_word("Wong", 100) == "Will Wong"
    assert tracker.for_word("Shah", 100) is None
    assert tracker.for_pronoun("he", 95).name is None  # the unnamed source stays unnamed
    assert tracker.for_pronoun("she", 80).name == "Maria Lopez"
    assert tracker.for_pronoun("he", 80).name == "Will Wong"  # "she" took Maria Lopez


def test_titles_and_companies_are_the_role_not_the_person():
    found, plan = quotes(
        '"Supply is tight," said IDC analyst Will Wong.\n\n'
        '"Prices will rise," says Counterpoint analyst Neil Shah.\n\n'
        'Xiaomi co-founder Lin Bin said the plan was set. "We are ready," Lin said.\n\n'
        '"Demand is strong," said Xiaomi\'s regional manager, Claire Dubois.\n\n'
        '"We will see," IDC said.'
    )
    assert found == [
        ("Supply is tight", "Will Wong"),
        ("Prices will rise", "Neil Shah"),
        ("We are ready", "Lin Bin"),
        ("Demand is strong", "Claire Dubois"),
        ("We will see", None),
    ]
    assert {p.name for p in plan.people} == {"Will Wong", "Neil Shah", "Lin Bin", "Claire Dubois"}
    reasons = [q.reason for q in plan.quotes]
    assert "role: IDC analyst" in reasons[0] and "Will Wong" in reasons[0]


def test_a_pronoun_goes_to_the_person_the_narration_just_named():
    found, _ = quotes(
        '"Margins are thin," said analyst Neil Shah.\n\n'
        "Xiaomi's chief executive Lei Jun wrote a letter to staff. "
        '"We did not get here by luck," he wrote.'
    )
    assert found[-1] == ("We did not get here by luck", "Lei Jun")


def test_an_unnamed_source_stays_unnamed_through_its_follow_ups():
    found, plan = quotes(
        '"Margins are thin," said Neil Shah.\n\n'
        '"The board has decided," said a person familiar with the plans.\n\n'
        '"It is final," he added.'
    )
    assert found[1:] == [("The board has decided", None), ("It is final", None)]
    assert "unnamed" in plan.quotes[-1].reason


def test_a_surname_never_reaches_a_known_person_this_text_does_not_name():
    liu_qin = KnownPerson("Liu Qin", ("Liu",))
    found, _ = quotes(
        'Liu Dehua runs a factory. "Orders fell," Liu said.', known=(LEI_JUN, liu_qin)
    )
    assert found == [("Orders fell", "Liu Dehua")]
    found, plan = quotes('"Orders fell," Liu said.', known=(LEI_JUN, liu_qin))
    assert found == [("Orders fell", None)] and plan.people == []


def test_more_attribution_shapes():
    found, _ = quotes(
        "Lei Jun told reporters that the car was ready. "
        '"A sedan is harder to make well."\n\n'
        'Lin Bin added that Xiaomi would "keep the price within reach of families" for now.\n\n'
        '"Are you OK?" Lei Jun famously asked the crowd.\n\n'
        'A spokeswoman said in a statement that Xiaomi was "proud of its European teams."\n\n'
        '"It took us two years.\n\n'
        '"Without the carriers you are invisible," Alain Lam said.'
    )
    assert found == [
        ("A sedan is harder to make well.", "Lei Jun"),
        ("keep the price within reach of families", "Lin Bin"),
        ("Are you OK?", "Lei Jun"),
        ("proud of its European teams.", None),
        ("It took us two years.", "Alain Lam"),
        ("Without the carriers you are invisible", "Alain Lam"),
    ]


def test_chinese_introductions_and_pronouns():
    found, plan = quotes(
        "小米创始人雷軍在发布会上表示：“我们要做好车。”\n\n他还说：“谢谢大家。”\n\n"
        "海通证券分析师王磊说：“销量会很好。”",
        language="zh",
    )
    assert found == [
        ("我们要做好车。", "Lei Jun"),
        ("谢谢大家。", "Lei Jun"),
        ("销量会很好。", "王磊"),
    ]
    assert [(p.name, p.existing) for p in plan.people] == [("Lei Jun", True), ("王磊", False)]
