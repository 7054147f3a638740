"""Quotes: attributed quotations in narrative text, sentence groups of interview answers."""

from pathlib import Path

import pytest

from kb.ingest.pipeline import plan_import
from kb.ingest.plan import KnownPerson, PlannedPerson, SourceMetadata
from kb.ingest.quotes import find_quoted_spans, group_answer_sentences

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "ingest_samples"
INTERVIEW = (ROOT / "kb/corpus/004_4a9b5807dcf964b5.txt").read_text(encoding="utf-8")
PROFILE = (SAMPLES / "news_profile.txt").read_text(encoding="utf-8")
LEI_JUN = KnownPerson("Lei Jun", ("Lei", "lei jun", "Mr. Lei"))


def quotes_of(text, metadata=None, known=()):
    plan = plan_import(text, metadata or SourceMetadata(), known)
    return [(plan.span(q.start, q.end), q.speaker, q.attribution) for q in plan.quotes]


def test_it_pairs_straight_and_curly_quotation_marks():
    text = 'a "b" c “d "e" f” g "h'
    assert [(text[o + 1 : c]) for o, c in find_quoted_spans(text, 0, len(text))] == [
        "b",
        'd "e" f',
    ]


def test_it_extracts_the_attributed_quotes_of_a_news_profile():
    assert quotes_of(PROFILE, SourceMetadata(kind="profile"), [LEI_JUN]) == [
        ("We never wanted to be the loudest company in the room", "Wang Chuan", "said Wang Chuan"),
        # the second half of a split quote keeps the first half's speaker
        ("We wanted to be the one people trusted.", "Wang Chuan", "said Wang Chuan"),
        # a surname resolves to the full name used earlier in the text
        ("Televisions are a long game", "Wang Chuan", "Wang added"),
        ("and we are patient people.", "Wang Chuan", "Wang added"),
        ("Hardware alone will not carry a valuation like this.", "Li Na", "according to Li Na"),
        ("The product team listens to users every single day", "Lei Jun", "explained Lei"),
        ("That is the whole secret.", "Lei Jun", "explained Lei"),
        ("Fans built this company with us", "Lei Jun", "he added"),
        (
            "Our mission is to let everyone in the world enjoy technology.",
            "Lei Jun",
            "Lei Jun said",
        ),
        # an unnamed source: no speaker, the attribution as written
        ("The board has discussed a listing in Hong Kong", None, "a person close to the company"),
    ]  # "Chief Fan Officer" and “Millet Weekly” are scare quotes / a title, not quotes


def test_it_lists_the_people_of_the_profile_once_with_their_other_spellings():
    plan = plan_import(PROFILE, SourceMetadata(kind="profile"), [LEI_JUN])
    assert plan.people == [
        PlannedPerson("Wang Chuan", ["Wang"], existing=False),
        PlannedPerson("Li Na", [], existing=False),
        PlannedPerson("Lei Jun", [], existing=True),
    ]


def test_it_completes_a_surname_from_the_text_when_nobody_is_known():
    found = quotes_of(PROFILE, SourceMetadata(kind="profile"))
    assert found[5] == (
        "The product team listens to users every single day",
        "Lei Jun",
        "explained Lei",
    )
    plan = plan_import(PROFILE, SourceMetadata(kind="profile"))
    assert plan.people[-1] == PlannedPerson("Lei Jun", ["Lei"], existing=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '"Prices will fall," people familiar with the matter said.',
            ("Prices will fall", None, "people familiar with the matter"),
        ),
        (
            '"The margins are thin," said an analyst at a brokerage.',
            ("The margins are thin", None, "an analyst at a brokerage"),
        ),
        (
            "“We do not comment on rumours,” a company spokesman told Reuters.",
            ("We do not comment on rumours", None, "a company spokesman"),
        ),
        (
            '"We will open a hundred stores," she said.',
            ("We will open a hundred stores", None, "she said"),
        ),
        (
            '"We will win this market." Wang Chuan said.',
            ("We will win this market.", "Wang Chuan", "Wang Chuan said"),
        ),
        (
            '"Why not us?" Lin Bin asked.',
            ("Why not us?", "Lin Bin", "Lin Bin asked"),
        ),
        (
            "Lin Bin, the company's president, said: “Our first phone sold out in minutes.”",
            (
                "Our first phone sold out in minutes.",
                "Lin Bin",
                "Lin Bin, the company's president, said",
            ),
        ),
        (
            '"It was a very hard year for us," Lin Bin told Fortune.',
            ("It was a very hard year for us", "Lin Bin", "Lin Bin told Fortune"),
        ),
    ],
)
def test_it_understands_attribution_styles(text, expected):
    assert quotes_of(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "He read “Fortune” every week.",
        'The fans call it the "Mi way" and mean it.',
        '"We will win this market." He went home after that and slept well.',
        'Some phrases like "make friends with users and listen to them" keep coming back.',
    ],
)
def test_it_ignores_scare_quotes_titles_and_unattributed_quotes(text):
    assert quotes_of(text) == []


def test_it_cuts_a_quote_at_a_passage_boundary():
    sentence = "We listen to users every single day and change the product every week. "
    text = "Lei Jun said: “" + sentence * 12 + "”"
    plan = plan_import(text, SourceMetadata(), [LEI_JUN])
    assert len(plan.passages) == 2
    assert [q.passage_number for q in plan.quotes] == [1, 2]
    for quote in plan.quotes:
        passage = plan.passages[quote.passage_number - 1]
        assert passage.start <= quote.start < quote.end <= passage.end
        assert (quote.speaker, quote.attribution) == ("Lei Jun", "Lei Jun said")
    assert plan.span(plan.quotes[0].start, plan.quotes[0].end).startswith("We listen")


def test_it_turns_the_fortune_interview_answers_into_lei_jun_quotes():
    plan = plan_import(
        INTERVIEW,
        SourceMetadata(kind="interview", interviewer="Fortune interviewer"),
        [LEI_JUN],
    )
    answers = {p.number for p in plan.passages if p.role == "answer"}
    questions = [plan.span(p.start, p.end) for p in plan.passages if p.role == "question"]
    assert {q.passage_number for q in plan.quotes} == answers
    assert len(plan.quotes) == 8
    for quote in plan.quotes:
        text = plan.span(quote.start, quote.end)
        assert quote.speaker == "Lei Jun"
        assert not any(text in question or question in text for question in questions)
        assert "?" not in text
        assert len(text) <= 300 or text.count(". ") == 0
        assert not text.startswith("lei jun")  # the label is not part of the quote
        assert "Fortune" not in text
    first = plan.quotes[0]
    assert first.attribution == "lei jun:"
    assert plan.span(first.start, first.end).startswith("our preliminary plan to move to Asia")
    assert {q.attribution for q in plan.quotes[2:]} == {"answer to the interviewer"}
    last = plan.quotes[-1]
    assert plan.span(last.start, last.end).endswith("China that is on the way. Chinese (wealth)")


def test_it_keeps_the_label_of_a_turn_for_its_continuation_paragraphs():
    text = (SAMPLES / "reporter_guest.txt").read_text(encoding="utf-8")
    assert quotes_of(text) == [
        (
            "The scale has changed. In 2010 we were fourteen people drinking millet porridge.",
            "Guest",
            "Guest :",
        ),
        (
            "The values have not changed. We still want to make friends with our users.",
            "Guest",
            "Guest :",
        ),
        ("No. We set the price first and then work very hard to meet it.", "Guest", "Guest :"),
    ]


def test_it_groups_answer_sentences_up_to_300_characters():
    sentence = "We make friends with users and we listen to what they say every day. "  # 69
    text = (sentence * 9).strip()
    groups = group_answer_sentences(text, 0, len(text))
    assert [end - start for start, end in groups] == [
        len((sentence * 4).strip()),
        len((sentence * 4).strip()),
        len(sentence.strip()),
    ]
    long_sentence = "This " + "very " * 80 + "long sentence stays whole."
    text = f"Short. {long_sentence} End."
    groups = group_answer_sentences(text, 0, len(text))
    assert [text[s:e] for s, e in groups] == ["Short.", long_sentence, "End."]


def test_it_looks_for_according_to_only_in_the_sentence_before_the_quote():
    text = (
        "According to Li Na, margins are thin. The fans disagree loudly and often. "
        '"Hardware alone will not carry a valuation like this."'
    )
    assert quotes_of(text) == []
    text = 'Margins are thin, according to Li Na. "Hardware will not carry this valuation."'
    assert quotes_of(text) == [
        ("Hardware will not carry this valuation.", "Li Na", "according to Li Na")
    ]
