"""Big sources: a few MB generated in the test, imported by the importer, then every reader
of it is bounded by what it shows, not by the size of the source.

Memory is measured with ``tracemalloc`` (Python's allocations: the strings of the text and
the rows) and compared with the size of the text and between a source with its quotes and
the same source with a tenth of them; queries are counted.
"""

from __future__ import annotations

import tracemalloc

import pytest

from bench.bigsource import INTERVIEWEE, big_interview_text
from kb.ingest.pipeline import plan_from_bytes
from kb.ingest.plan import KnownPerson
from kb.ingest.store import store_plan
from kb.integrity import corpus_problems
from kb.models import Person, Quote, Source

SIZE = 3 * 1024 * 1024


def import_big_source(size: int = SIZE, *, seed: int = 22, slug: str = "big-interview") -> Source:
    Person.objects.get_or_create(name=INTERVIEWEE, defaults={"slug": "lei-jun"})
    text = big_interview_text(size, seed=seed)
    plan = plan_from_bytes(
        text.encode("utf-8"),
        {"title": f"A long interview {seed}", "kind": "interview"},
        [KnownPerson(INTERVIEWEE)],
        name=f"{slug}.txt",
    )
    store_plan(plan, slug=slug)
    return Source.objects.defer("text").get(slug=slug)


@pytest.fixture
def big_source(db):
    return import_big_source()


def peak_bytes(function) -> int:
    """The peak of Python allocations while ``function`` runs."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_verify_corpus_reads_each_source_in_four_queries(big_source, django_assert_num_queries):
    import_big_source(SIZE // 4, seed=5, slug="second-interview")
    # One for the list of sources, then the text, passages, quotes and claims of each.
    with django_assert_num_queries(1 + 4 * 2):
        assert list(corpus_problems()) == []


def test_verify_corpus_memory_is_bounded_by_the_source_not_its_quotes(big_source):
    quotes = Quote.objects.filter(source=big_source)
    assert quotes.count() > 10_000  # a source as big as the issue's
    with_all = peak_bytes(lambda: list(corpus_problems()))
    keep = list(quotes.order_by("pk").values_list("pk", flat=True)[::10])
    # One DELETE, without the history rows and signals of Model.delete() for each quote.
    quotes.exclude(pk__in=keep)._raw_delete(quotes.db)
    with_a_tenth = peak_bytes(lambda: list(corpus_problems()))
    # The text, a chunk of rows and the passages' bounds: about twice the text, never a
    # copy of it per quote (the old join held one per quote: gigabytes).
    assert with_all < 3 * SIZE, with_all
    assert with_all < with_a_tenth + SIZE // 4, (with_all, with_a_tenth)


def test_verify_corpus_still_finds_a_drifted_quote_in_a_big_source(big_source):
    quote = Quote.objects.filter(source=big_source).order_by("-start").first()
    Quote.objects.filter(pk=quote.pk).update(text=quote.text + "!")
    assert list(corpus_problems()) == [
        f"quote {quote.pk}: text differs from its span in big-interview"
    ]


def test_with_counts_counts_by_subqueries_not_joins(big_source):
    from kb.models import Passage, Status

    some = Quote.objects.filter(source=big_source).order_by("pk")[:7]
    Quote.objects.filter(pk__in=list(some.values_list("pk", flat=True))).update(
        status=Status.PUBLISHED
    )
    Passage.objects.filter(source=big_source, number__lte=3).update(is_boilerplate=True)
    counted = Source.objects.with_counts(quotes=True).get(pk=big_source.pk)
    staff = Source.objects.with_counts(include_boilerplate=True).get(pk=big_source.pk)
    passages = Passage.objects.filter(source=big_source)
    assert counted.passage_count == passages.filter(is_boilerplate=False).count()
    assert staff.passage_count == passages.count() == counted.passage_count + 3
    assert counted.quote_count == Quote.objects.filter(source=big_source).count() > 10_000
    assert counted.published_quote_count == 7
    sql = str(Source.objects.with_counts(quotes=True).query).upper()
    assert " JOIN " not in sql and "GROUP BY" in sql  # GROUP BY inside the subqueries only


def test_the_admin_source_list_and_change_page_are_bounded(big_source, admin_client):
    from django.urls import reverse

    listing = admin_client.get(reverse("admin:kb_source_changelist"))
    assert listing.status_code == 200
    assert b"big-interview" in listing.content or b"A long interview" in listing.content
    total = Quote.objects.filter(source=big_source).count()
    assert f"{total} (0)".encode() in listing.content
    change = admin_client.get(reverse("admin:kb_source_change", args=[big_source.pk]))
    assert change.status_code == 200
    # The first 100,000 characters of the 3 MB text, not all of it.
    assert len(change.content) < 1_000_000
    assert b"characters; the whole text is on" in change.content
    found = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "long", "app_label": "kb", "model_name": "quote", "field_name": "source"},
    )
    assert found.status_code == 200 and found.json()["results"], found.content[:200]


def test_the_source_api_is_bounded_by_what_it_shows(
    big_source, client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        detail = client.get(f"/api/sources/{big_source.slug}/")
    assert detail.status_code == 200
    assert len(detail.content) < 2_000  # the addresses of the text and passages, not them
    body = detail.json()
    with django_assert_max_num_queries(6):
        page = client.get(body["passages_url"] + "?page_size=100&page=30")
    assert page.status_code == 200 and len(page.json()["results"]) == 100
    assert page.json()["count"] == body["passage_count"] > 9_000
    text = client.get(body["text_url"])
    assert len(b"".join(text.streaming_content)) == len(big_interview_text(SIZE))
