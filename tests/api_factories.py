"""A small corpus built row by row for the API and admin tests (no importer involved).

One interview with three passages (a question, two answers), two people, three themes,
published and draft quotes with exact spans, a published principle with two claims.
"""

from dataclasses import dataclass
from datetime import date

import pytest
from django.core.cache import cache

from kb.models import Claim, Passage, Person, Principle, Quote, Source, Status, Theme

TEXT = (
    "Q: Why does Millet make so few phones?\n\n"
    "Lei Jun: Focus is the first word of our method. We make one phone a year and make it "
    "to the extreme.\n\n"
    "Lei Jun: Users are our friends. We price close to cost so that friends tell friends."
)

OTHER_TEXT = "Speed matters. We ship an update every Friday, and users vote on the next one."


@dataclass
class SmallCorpus:
    source: Source
    other_source: Source
    passages: list
    lei: Person
    interviewer: Person
    focus: Theme
    users: Theme
    pricing: Theme
    focus_quote: Quote
    friends_quote: Quote
    price_quote: Quote
    speed_quote: Quote
    draft_quote: Quote
    principle: Principle
    draft_principle: Principle


def span(text: str, words: str) -> tuple[int, int]:
    start = text.find(words)
    assert start >= 0 and text.find(words, start + 1) == -1, words
    return start, start + len(words)


def make_passages(source: Source, speakers: list) -> list[Passage]:
    """Passages tiling the text, one per paragraph (``\\n\\n`` kept with the paragraph)."""
    passages, start = [], 0
    for number, (paragraph, speaker) in enumerate(
        zip(source.text.split("\n\n"), speakers, strict=True), start=1
    ):
        begin = source.text.index(paragraph, start)
        end = begin + len(paragraph)
        passages.append(
            Passage.objects.create(
                source=source,
                number=number,
                start=begin,
                end=end,
                text=source.text[begin:end],
                speaker=speaker,
            )
        )
        start = end
    return passages


def make_quote(source, passage, words, speaker, themes=(), status=Status.PUBLISHED, **extra):
    start, end = span(source.text, words)
    assert passage.contains(start, end)
    quote = Quote.objects.create(
        text=words,
        source=source,
        passage=passage,
        start=start,
        end=end,
        speaker=speaker,
        status=status,
        **extra,
    )
    quote.themes.set(themes)
    return quote


def make_claim(principle, position, text, passage, words):
    start, end = span(passage.source.text, words)
    return Claim.objects.create(
        principle=principle, position=position, text=text, passage=passage, start=start, end=end
    )


def build_small_corpus() -> SmallCorpus:
    lei = Person.objects.create(name="Lei Jun", aliases=["Lei", "lei jun"])
    interviewer = Person.objects.create(name="Fortune interviewer")
    focus = Theme.objects.create(name="Focus", description="Doing few things well.")
    users = Theme.objects.create(name="Users as friends")
    pricing = Theme.objects.create(name="Pricing", slug="pricing")

    source = Source.objects.create(
        title="Lei Jun on focus",
        slug="lei-jun-on-focus",
        kind=Source.Kind.INTERVIEW,
        url="https://example.com/focus",
        author="A. Journalist",
        publisher="Fortune",
        published=date(2014, 6, 1),
        text=TEXT,
    )
    passages = make_passages(source, [interviewer, lei, lei])
    other_source = Source.objects.create(
        title="Speed essay", slug="speed-essay", kind=Source.Kind.ESSAY, year=2011, text=OTHER_TEXT
    )
    (other_passage,) = make_passages(other_source, [lei])

    focus_quote = make_quote(
        source,
        passages[1],
        "Focus is the first word of our method.",
        lei,
        [focus],
        featured=True,
        attribution="said Lei Jun",
    )
    friends_quote = make_quote(source, passages[2], "Users are our friends.", lei, [users])
    price_quote = make_quote(
        source,
        passages[2],
        "We price close to cost so that friends tell friends.",
        lei,
        [users, pricing],
    )
    speed_quote = make_quote(other_source, other_passage, "Speed matters.", lei, [])
    draft_quote = make_quote(
        source,
        passages[1],
        "We make one phone a year and make it to the extreme.",
        lei,
        [focus],
        status=Status.DRAFT,
    )

    principle = Principle.objects.create(
        title="Do few things", summary="Focus beats breadth.", status=Status.PUBLISHED
    )
    principle.themes.set([focus])
    make_claim(
        principle, 1, "Focus comes first.", passages[1], "Focus is the first word of our method."
    )
    make_claim(principle, 2, "Ship often.", other_passage, "We ship an update every Friday")
    draft_principle = Principle.objects.create(title="Unfinished idea", status=Status.DRAFT)
    Claim.objects.create(principle=draft_principle, position=1, text="Needs a source.")

    return SmallCorpus(
        source=source,
        other_source=other_source,
        passages=passages,
        lei=lei,
        interviewer=interviewer,
        focus=focus,
        users=users,
        pricing=pricing,
        focus_quote=focus_quote,
        friends_quote=friends_quote,
        price_quote=price_quote,
        speed_quote=speed_quote,
        draft_quote=draft_quote,
        principle=principle,
        draft_principle=draft_principle,
    )


@pytest.fixture(name="small_corpus")
def small_corpus_fixture(db) -> SmallCorpus:
    """Import ``small_corpus_fixture`` in a test module; tests ask for ``small_corpus``.

    (The function has another name than the fixture so that a test's ``small_corpus``
    argument does not shadow the imported name: ruff's F811.)
    """
    return build_small_corpus()


@pytest.fixture(name="fresh_throttle", autouse=True)
def fresh_throttle_fixture():
    """Import it in a test module: every test starts and ends with no throttle history.

    The anonymous rate (KB_API_ANON_RATE, 120/min by default) stays on, but the counts in
    the default cache are per process: without this, a module's requests would add up and
    a later test be throttled. A test can still set ``settings.KB_API_ANON_RATE``.
    """
    cache.clear()
    yield
    cache.clear()


# Every operation of the schema (the conformance test keeps the list complete).
PATHS = [
    "/api/sources/",
    "/api/sources/{slug}/",
    "/api/sources/{slug}/cite/",
    "/api/sources/{slug}/passages/",
    "/api/sources/{slug}/text/",
    "/api/passages/{id}/",
    "/api/quotes/",
    "/api/quotes/{id}/",
    "/api/quotes/{id}/cite/",
    "/api/quotes/export.csv",
    "/api/quotes/export.jsonl",
    "/api/themes/",
    "/api/themes/{slug}/",
    "/api/people/",
    "/api/people/{slug}/",
    "/api/principles/",
    "/api/principles/{slug}/",
    "/api/search/",
]
