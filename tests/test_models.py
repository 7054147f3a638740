"""Models guard their invariants: exact spans, http(s) URLs, evidence before publishing."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kb.models import Claim, Passage, Principle, Quote, Source, Status

TEXT = "Title\n\nFirst paragraph says hello.\n\nSecond paragraph says goodbye."


@pytest.fixture
def source(db):
    source = Source.objects.create(title="A test source", text=TEXT)
    for number, words in enumerate(
        ["Title", "First paragraph says hello.", "Second paragraph says goodbye."], 1
    ):
        start = TEXT.index(words)
        Passage.objects.create(
            source=source, number=number, start=start, end=start + len(words), text=words
        )
    return source


def test_it_hashes_and_slugs_a_source(source):
    assert source.slug == "a-test-source"
    assert len(source.sha256) == 64


def test_its_fingerprint_follows_its_text(source):
    from kb.texts import fingerprint

    assert source.fingerprint == fingerprint(TEXT) == fingerprint(TEXT.replace("\n", " \r\n"))
    source.notes = "metadata only"
    source.save()
    assert source.fingerprint == fingerprint(TEXT)
    source.text = TEXT + "\nMore words."  # never done to a stored original; still kept right
    source.save()
    source.refresh_from_db()
    assert source.fingerprint == fingerprint(TEXT + "\nMore words.")


def test_it_never_stores_the_same_text_twice(source):
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(title="Another title", text=TEXT)


def test_it_refuses_non_http_urls(source):
    source.url = "javascript:alert(1)"
    with pytest.raises(ValidationError, match="URL"):
        source.full_clean()
    source.url = "https://example.com/interview"
    source.full_clean()


def test_it_refuses_a_quote_whose_text_is_not_its_span(source):
    passage = source.passages.get(number=2)
    start = TEXT.index("says hello")
    quote = Quote(source=source, passage=passage, start=start, end=start + 10, text="says howdy")
    with pytest.raises(ValidationError, match="exactly"):
        quote.full_clean()
    quote.text = "says hello"
    quote.full_clean()


def test_it_refuses_a_quote_outside_its_passage(source):
    passage = source.passages.get(number=2)
    start = TEXT.index("says goodbye")
    quote = Quote(source=source, passage=passage, start=start, end=start + 12, text="says goodbye")
    with pytest.raises(ValidationError, match="not inside passage"):
        quote.full_clean()


def test_the_database_refuses_an_empty_span(source):
    with pytest.raises(IntegrityError), transaction.atomic():
        Passage.objects.create(source=source, number=9, start=5, end=5, text="")


def test_it_cannot_publish_a_principle_with_a_claim_lacking_evidence(source):
    principle = Principle.objects.create(title="Say hello")
    Claim.objects.create(principle=principle, text="Greetings matter.")
    principle.status = Status.PUBLISHED
    with pytest.raises(ValidationError, match="lacking evidence"):
        principle.full_clean()


def test_a_claim_evidence_must_be_inside_its_passage(source):
    principle = Principle.objects.create(title="Say goodbye")
    passage = source.passages.get(number=3)
    claim = Claim(principle=principle, text="Endings.", passage=passage, start=0, end=5)
    with pytest.raises(ValidationError):
        claim.full_clean()
    start = TEXT.index("says goodbye")
    claim.start, claim.end = start, start + 12
    claim.full_clean()
    claim.save()
    assert claim.evidence_text == "says goodbye"


def test_published_is_the_one_visibility_rule(source):
    passage = source.passages.get(number=2)
    start = TEXT.index("says hello")
    Quote.objects.create(
        source=source, passage=passage, start=start, end=start + 10, text="says hello"
    )
    assert Quote.objects.published().count() == 0
    Quote.objects.update(status=Status.PUBLISHED)
    assert Quote.objects.published().count() == 1


def test_a_source_needs_its_fingerprint(source):
    """Required (NOT NULL): a row written without save() must carry it (the bench's too)."""
    from django.db import connection

    columns = "title, slug, kind, url, author, publisher, language, text, sha256, notes"
    values = ["Raw", "raw", "other", "", "", "", "en", "Raw text.", "0" * 64, ""]
    with (
        pytest.raises(IntegrityError, match="fingerprint"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"INSERT INTO kb_source ({columns}, created, updated) "
            f"VALUES ({', '.join(['%s'] * len(values))}, %s, %s)",
            [*values, source.created, source.created],
        )


@pytest.mark.parametrize("model", [Quote, Principle])
def test_archived_rows_are_out_of_every_visible_queryset(source, model, django_user_model):
    from kb.models import can_see_unpublished

    staff = django_user_model(username="staff", is_staff=True)
    reader = django_user_model(username="reader")
    assert can_see_unpublished(staff) and not can_see_unpublished(reader)
    assert not can_see_unpublished(None)
    passage = source.passages.get(number=2)
    if model is Quote:
        obj = Quote.objects.create(
            source=source,
            passage=passage,
            start=passage.start,
            end=passage.start + 5,
            text=passage.text[:5],
            status=Status.ARCHIVED,
        )
    else:
        obj = Principle.objects.create(title="Archived one", status=Status.ARCHIVED)
    for user in (staff, reader, None):
        assert not model.objects.visible_to(user).filter(pk=obj.pk).exists()
    obj.status = Status.DRAFT
    obj.save()
    assert model.objects.visible_to(staff).filter(pk=obj.pk).exists()
    assert not model.objects.visible_to(reader).filter(pk=obj.pk).exists()


# Issue #21: disputed and misattributed quotes, said_on's migration ---------------------


@pytest.fixture
def attributed(db):
    from factories import build_source, make_quote

    from kb.models import Person

    lei = Person.objects.create(name="Lei Jun", slug="lei-jun", status=Status.PUBLISHED)
    source, (passage,) = build_source(
        "Sayings",
        [("lei", False, "Be a pig in the wind. Honest prices win. Stay hungry.")],
        speakers={"lei": lei},
        year=2013,
    )
    quotes = {
        "confirmed": make_quote(passage, "Honest prices win.", speaker=lei),
        "disputed": make_quote(
            passage,
            "Be a pig in the wind.",
            speaker=lei,
            attribution_status="disputed",
            attribution_evidence="The 2013 video has other words.",
        ),
        "misattributed": make_quote(
            passage,
            "Stay hungry.",
            speaker=lei,
            attribution_status="misattributed",
            attribution_evidence="Steve Jobs, Stanford, 2005.",
            true_source="Steve Jobs, Stanford commencement address (2005)",
        ),
    }
    return lei, quotes


def test_only_confirmed_quotes_are_his_words(attributed, django_user_model):
    lei, quotes = attributed
    staff = django_user_model.objects.create_user("ed", password="x-long-pass-1", is_staff=True)
    expected = [quotes["confirmed"].pk]
    assert list(Quote.objects.published().values_list("pk", flat=True)) == expected
    assert list(Quote.objects.visible_to(None).values_list("pk", flat=True)) == expected
    assert list(Quote.objects.visible_to(staff).values_list("pk", flat=True)) == expected
    disputed = list(Quote.objects.disputed_for(lei))
    assert [q.attribution_status for q in disputed] == ["disputed", "misattributed"]
    assert disputed[1].true_source.startswith("Steve Jobs")
    assert quotes["confirmed"].is_confirmed and not quotes["disputed"].is_confirmed


def test_a_disputed_quote_needs_the_editors_evidence(attributed):
    _, quotes = attributed
    quote = quotes["disputed"]
    quote.attribution_evidence = "  "
    with pytest.raises(ValidationError, match="disputed or false"):
        quote.full_clean()


def test_the_raw_importer_columns_get_database_defaults(attributed):
    # kb.ingest.store inserts quotes naming only the columns it knows.
    from django.db import connection

    _, quotes = attributed
    source_id, passage_id = quotes["confirmed"].source_id, quotes["confirmed"].passage_id
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO kb_quote (text, source_id, start, "end", passage_id, attribution,'
            " status, note, featured, created, updated) VALUES (%s, %s, %s, %s, %s, '', %s,"
            " '', %s, %s, %s)",
            ["Be", source_id, 0, 2, passage_id, "published", False, "2020-01-01", "2020-01-01"],
        )
    raw = Quote.objects.with_said().get(text="Be")
    assert raw.attribution_status == "confirmed" and raw.kept_apart is False
    assert raw.said_on is None and raw.said_year == 2013


def test_the_migration_dates_existing_quotes_from_their_sources(attributed):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("kb.migrations.0019_reading_said_on_attribution_statements")
    _, quotes = attributed
    Quote.objects.update(said_on=None)
    migration.said_on_from_sources(apps, None)
    assert {q.said_on for q in Quote.objects.all()} == {__import__("datetime").date(2013, 1, 1)}
    assert {q.said_on_precision for q in Quote.objects.all()} == {"year"}


def test_a_disputed_quote_is_still_reachable_on_its_own_page(attributed):
    _, quotes = attributed
    visible = set(Quote.objects.visible_with_disputed_to(None).values_list("pk", flat=True))
    assert visible == {q.pk for q in quotes.values()}
    Quote.objects.filter(pk=quotes["disputed"].pk).update(status=Status.DRAFT)
    assert quotes["disputed"].pk not in set(
        Quote.objects.visible_with_disputed_to(None).values_list("pk", flat=True)
    )
