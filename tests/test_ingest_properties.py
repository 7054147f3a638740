"""Property tests: the plan's offsets are sound for any text whatsoever."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.ingest.pipeline import plan_import
from kb.ingest.plan import KnownPerson, SourceMetadata

ROLES = {"title", "metadata", "body", "question", "answer", "chrome"}
KNOWN = [KnownPerson("Lei Jun", ("Lei", "lei jun", "Mr. Lei"))]

FRAGMENTS = [
    "Q: ",
    "A: ",
    "lei jun: ",
    "Reporter : ",
    "Guest :",
    "Wang Chuan: ",
    "What do you think of the market?",
    "Why? ",
    '"We will win," said Wang Chuan. ',
    '"And we are patient," he added. ',
    "“Fortune” ",
    "“We listen to users,” explained Lei. ",
    '"unclosed ',
    "according to Li Na, ",
    "a person close to the company said ",
    "Mr. Lei met the U.S. team. ",
    "This sentence is of a perfectly ordinary length and ends here. ",
    "word " * 160,
    "x" * 900,
    "Related Article",
    "Source: Internet",
    "Contact Us",
    "• Sales Support",
    "<p>html</p>",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\t",
    "  ",
    "\u2028",
    "\x00",
    "。",
    "？",
    "\u0301",
    "🙂",
]

fragment_texts = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=60
).map("".join)
metadata = st.builds(
    SourceMetadata,
    kind=st.sampled_from(["other", "interview", "essay", "article", "speech"]),
    subject=st.sampled_from(["", "Lei Jun", "lei jun", "Guest"]),
    interviewer=st.sampled_from(["", "Fortune interviewer", "Reporter"]),
)


def check_plan_invariants(plan, text, limit):
    assert plan.text is text
    names = [person.name for person in plan.people]
    assert len(names) == len(set(names))
    position = 0
    for number, passage in enumerate(plan.passages, 1):
        assert passage.number == number
        assert position <= passage.start < passage.end <= len(text)
        # Everything between passages is whitespace: each visible character is in one.
        assert not text[position : passage.start].strip()
        span = text[passage.start : passage.end]
        assert not span[0].isspace() and not span[-1].isspace()
        assert passage.end - passage.start <= limit
        assert passage.role in ROLES
        assert passage.is_boilerplate == (passage.role in ("metadata", "chrome"))
        assert passage.speaker is None or passage.speaker in names
        position = passage.end
    assert not text[position:].strip()
    for quote in plan.quotes:
        passage = plan.passages[quote.passage_number - 1]
        assert passage.start <= quote.start < quote.end <= passage.end
        assert passage.role in ("body", "answer")
        assert quote.speaker is None or quote.speaker in names
        assert quote.attribution
    referenced = {p.speaker for p in plan.passages} | {q.speaker for q in plan.quotes}
    assert set(names) == referenced - {None}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=2000), limit=st.sampled_from([20, 700]))
def test_it_keeps_the_invariants_for_any_text(text, limit):
    plan = plan_import(text, SourceMetadata(), KNOWN, passage_limit=limit)
    check_plan_invariants(plan, text, limit)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=fragment_texts, meta=metadata, limit=st.sampled_from([60, 300, 700]))
def test_it_keeps_the_invariants_for_texts_built_from_tricky_fragments(text, meta, limit):
    plan = plan_import(text, meta, KNOWN, passage_limit=limit)
    check_plan_invariants(plan, text, limit)


def test_it_keeps_the_invariants_on_a_known_nasty_text():
    text = "Q:\r\n\r\n“x\u2028y” said Lei.\x00\t\n" + "z" * 1500 + "\rA:  Why?\n\n\n"
    plan = plan_import(text, SourceMetadata(kind="interview"), KNOWN, passage_limit=700)
    check_plan_invariants(plan, text, 700)
    assert [plan.span(p.start, p.end)[:3] for p in plan.passages] == [
        "Q:",
        "“x\u2028",
        "zzz",
        "zzz",
        "zzz",
        "A: ",
    ]
