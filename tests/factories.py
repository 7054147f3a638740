"""A small hand-built corpus for the page tests (independent of the seed loader).

Import the fixtures into a test module with
``from factories import small_corpus_fixture  # noqa: F401``:
pytest's default "prepend" import mode puts ``tests/`` on ``sys.path`` (there is no
``tests/__init__.py``), so ``factories`` imports as a top-level module. The fixture is
registered under its ``name`` (``small_corpus``), so test arguments do not shadow the import.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from kb.models import Claim, Passage, Person, Principle, Quote, Source, Status, Theme

INTERVIEW_PASSAGES = [
    # (speaker key or None, is_boilerplate, text)
    (None, True, "Home | News | Login to Example Media"),
    ("interviewer", False, "Fortune: Why does Xiaomi make so few phones?"),
    (
        "lei",
        False,
        "lei jun: We focus on a few products & make each one great. "
        "Millet is about being the best, not the most.",
    ),
    (
        "lei",
        False,
        "lei jun: Price close to cost is sincerity. Some people write "
        "<script>alert(1)</script> in comments; we just listen to users.",
    ),
]

ESSAY_TEXT = "The Internet model of Millet is seven words: focus, ultimate, word of mouth, fast."


def build_source(title: str, paragraphs, *, speakers: dict, **fields) -> tuple[Source, list]:
    """A source whose text is the paragraphs joined by blank lines, one passage each."""
    text = "\n\n".join(p[2] for p in paragraphs)
    source = Source.objects.create(title=title, text=text, **fields)
    passages, cursor = [], 0
    for number, (speaker, boilerplate, para) in enumerate(paragraphs, start=1):
        start = text.find(para, cursor)
        assert start >= 0
        end = start + len(para)
        passages.append(
            Passage.objects.create(
                source=source,
                number=number,
                start=start,
                end=end,
                text=text[start:end],
                speaker=speakers.get(speaker),
                is_boilerplate=boilerplate,
            )
        )
        cursor = end
    return source, passages


def span(passage: Passage, words: str) -> tuple[int, int]:
    """Offsets into ``Source.text`` of ``words``, which must occur once in ``passage``."""
    at = passage.text.find(words)
    assert at >= 0 and passage.text.find(words, at + 1) < 0, words
    return passage.start + at, passage.start + at + len(words)


def make_quote(passage, words, *, status=Status.PUBLISHED, themes=(), **fields) -> Quote:
    start, end = span(passage, words)
    quote = Quote.objects.create(
        text=words,
        source=passage.source,
        passage=passage,
        start=start,
        end=end,
        status=status,
        **fields,
    )
    quote.themes.set(themes)
    quote.full_clean()
    return quote


def make_claim(principle, position, text, passage, words) -> Claim:
    start, end = span(passage, words)
    return Claim.objects.create(
        principle=principle, position=position, text=text, passage=passage, start=start, end=end
    )


@pytest.fixture(name="small_corpus")
def small_corpus_fixture(db):
    """Two sources, two people, two themes, published and draft quotes and principles."""
    lei = Person.objects.create(name="Lei Jun", slug="lei-jun", aliases=["Lei", "lei jun"])
    interviewer = Person.objects.create(name="Fortune interviewer", slug="fortune-interviewer")
    focus = Theme.objects.create(name="Focus", slug="focus", description="Doing few things.")
    pricing = Theme.objects.create(name="Pricing", slug="pricing")

    interview, passages = build_source(
        "Lei Jun on focus",
        INTERVIEW_PASSAGES,
        speakers={"lei": lei, "interviewer": interviewer},
        slug="lei-jun-on-focus",
        kind=Source.Kind.INTERVIEW,
        url="https://example.com/fortune/lei-jun",
        author="A. Reporter",
        publisher="Fortune",
        year=2014,
    )
    essay, (essay_passage,) = build_source(
        "The Millet model",
        [("lei", False, ESSAY_TEXT)],
        speakers={"lei": lei},
        slug="the-millet-model",
        kind=Source.Kind.ESSAY,
        publisher="Sina Tech",
        year=2011,
    )
    p_chrome, p_question, p_focus, p_price = passages

    q_focus = make_quote(
        p_focus,
        "We focus on a few products & make each one great.",
        themes=[focus],
        speaker=lei,
        attribution="lei jun:",
        featured=True,
        note="Said when Xiaomi sold only a handful of phone models.",
    )
    q_price = make_quote(
        p_price, "Price close to cost is sincerity.", themes=[pricing], speaker=lei
    )
    q_draft = make_quote(
        p_price, "we just listen to users.", status=Status.DRAFT, themes=[focus], speaker=lei
    )
    q_essay = make_quote(
        essay_passage,
        "focus, ultimate, word of mouth, fast",
        themes=[focus, pricing],
        speaker=lei,
    )

    principle = Principle.objects.create(
        title="Do few things well",
        slug="do-few-things-well",
        summary="Make a few products and make each one the best.",
        status=Status.PUBLISHED,
    )
    principle.themes.set([focus])
    claim_1 = make_claim(
        principle, 1, "Keep the product line small.", p_focus, "We focus on a few products"
    )
    claim_2 = make_claim(
        principle, 2, "Focus is the first of the seven words.", essay_passage, "focus"
    )
    draft_principle = Principle.objects.create(
        title="Listen to users", slug="listen-to-users", status=Status.DRAFT
    )
    make_claim(draft_principle, 1, "Users are heard.", p_price, "we just listen to users")

    return SimpleNamespace(
        lei=lei,
        interviewer=interviewer,
        focus=focus,
        pricing=pricing,
        interview=interview,
        essay=essay,
        passages=passages,
        p_chrome=p_chrome,
        p_question=p_question,
        p_focus=p_focus,
        p_price=p_price,
        essay_passage=essay_passage,
        q_focus=q_focus,
        q_price=q_price,
        q_draft=q_draft,
        q_essay=q_essay,
        principle=principle,
        claims=[claim_1, claim_2],
        draft_principle=draft_principle,
    )


_batches = itertools.count(1)


def more_quotes(source_passage: Passage, count: int, *, themes=()) -> list[Quote]:
    """``count`` extra published quotes on a fresh source (for pagination and query counts)."""
    batch = next(_batches)
    words = [f"Sentence number {i} of batch {batch} is here." for i in range(count)]
    source, (passage,) = build_source(
        f"Many sentences {batch}",
        [("lei", False, " ".join(words))],
        speakers={"lei": source_passage.speaker},
        kind=Source.Kind.ARTICLE,
        year=2013,
    )
    return [make_quote(passage, w, themes=themes, speaker=source_passage.speaker) for w in words]
