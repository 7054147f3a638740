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
