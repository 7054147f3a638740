"""Edits in the admin that would break what readers are shown are refused with a message,
never saved and never a server error: evidence of published principles, reverts to
versions whose passage is gone, tampered or unstorable form values."""

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from test_admin import admin_url, claim_form_data, quote_form_data

from kb import curation
from kb.models import Claim, Passage, Person, Principle, Quote, Source, Theme


def error_text(response) -> str:
    return " ".join(str(e) for e in response.context["errors"]) if response.context else ""


def test_a_claim_of_a_published_principle_keeps_its_evidence(admin_client, small_corpus):
    claim = small_corpus.principle.claims.order_by("position").first()
    response = admin_client.post(
        admin_url(Claim, "change", claim.pk), claim_form_data(claim, passage="", start="", end="")
    )
    assert response.status_code == 200
    assert "published principle" in error_text(response)
    claim.refresh_from_db()
    assert claim.passage_id is not None


def test_a_draft_principles_claim_may_lose_its_evidence(admin_client, small_corpus):
    small_corpus.principle.status = "draft"
    small_corpus.principle.save()
    claim = small_corpus.principle.claims.order_by("position").first()
    response = admin_client.post(
        admin_url(Claim, "change", claim.pk), claim_form_data(claim, passage="", start="", end="")
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.passage_id is None


def test_it_refuses_to_delete_the_last_evidence_of_a_published_principle(
    admin_client, small_corpus
):
    principle = small_corpus.principle
    claims = list(principle.claims.order_by("position"))
    chosen = [c.pk for c in claims]
    for data in (
        {"action": "delete_selected", "_selected_action": chosen},
        {"action": "delete_selected", "_selected_action": chosen, "post": "yes"},
    ):
        response = admin_client.post(admin_url(Claim, "changelist"), data, follow=True)
        assert response.status_code == 200
        assert "Do few things" in response.content.decode()
        assert "would be left without evidence" in response.content.decode()
    response = admin_client.post(admin_url(Claim, "delete", claims[0].pk), {"post": "yes"})
    assert response.status_code == 302
    response = admin_client.post(admin_url(Claim, "delete", claims[1].pk), {"post": "yes"})
    assert response.status_code == 302
    assert principle.claims.count() == 1  # the second was the last with evidence: kept
    assert Principle.objects.get(pk=principle.pk).claims.filter(passage__isnull=False).exists()


def test_it_deletes_claims_when_evidence_remains_or_the_principle_is_a_draft(
    admin_client, small_corpus
):
    principle = small_corpus.principle
    first = principle.claims.order_by("position").first()
    draft_claim = small_corpus.draft_principle.claims.get()
    response = admin_client.post(
        admin_url(Claim, "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [first.pk, draft_claim.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Claim.objects.filter(pk__in=[first.pk, draft_claim.pk]).exists()
    assert principle.claims.count() == 1


def test_reverting_to_a_version_whose_passage_was_merged_away_is_a_form_error(
    admin_client, small_corpus
):
    quote = small_corpus.friends_quote  # in the third passage
    quote.note = "before the merge"
    quote.save()
    old = quote.history.order_by("-history_id").first()
    second, third = small_corpus.passages[1], small_corpus.passages[2]
    merged = curation.merge_passages(second, third)
    quote.refresh_from_db()
    quote.note = "after the merge"
    quote.save()
    gone = {second.pk, third.pk} - {merged.pk}
    assert old.passage_id in gone
    url = admin_url(Quote, "simple_history", quote.pk, old.history_id)
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, quote_form_data(old.instance, themes=[]))
    assert response.status_code == 200
    assert "passage" in error_text(response).lower()
    quote.refresh_from_db()
    assert (quote.passage_id, quote.note) == (merged.pk, "after the merge")


@pytest.mark.parametrize("field", ["speaker", "passage", "source"])
def test_a_tampered_choice_is_a_form_error(admin_client, small_corpus, field):
    quote = small_corpus.focus_quote
    response = admin_client.post(
        admin_url(Quote, "change", quote.pk), quote_form_data(quote, **{field: "abc"})
    )
    assert response.status_code == 200
    assert "valid choice" in error_text(response)


def test_a_tampered_claim_passage_is_a_form_error(admin_client, small_corpus):
    claim = small_corpus.principle.claims.order_by("position").first()
    response = admin_client.post(
        admin_url(Claim, "change", claim.pk), claim_form_data(claim, passage="abc")
    )
    assert response.status_code == 200
    assert "valid choice" in error_text(response)


def test_an_alias_with_a_nul_is_a_form_error(admin_client, db):
    response = admin_client.post(
        admin_url(Person, "add"), {"name": "Someone", "slug": "", "aliases": "Some\nS\x00x"}
    )
    assert response.status_code == 200
    assert "Null characters are not allowed" in error_text(response)
    assert not Person.objects.filter(name="Someone").exists()


def test_aliases_are_typed_one_per_line_and_may_be_emptied(admin_client, db):
    url = admin_url(Person, "add")
    data = {
        "name": "Someone",
        "slug": "someone",
        "aliases": " Some One\n\nMr. One \n",
        "status": "published",  # the Person form has the status an editor confirms (#18)
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302
    person = Person.objects.get(name="Someone")
    assert person.aliases == ["Some One", "Mr. One"]
    change = admin_url(Person, "change", person.pk)
    assert "Some One\nMr. One</textarea>" in admin_client.get(change).content.decode()
    response = admin_client.post(
        change, {"name": "Someone", "slug": person.slug, "aliases": "", "status": "published"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.aliases == []


@pytest.mark.parametrize("model", [Person, Theme])
def test_a_name_of_invisible_characters_is_refused(admin_client, db, model):
    response = admin_client.post(admin_url(model, "add"), {"name": "\u200b \u200d", "slug": "x"})
    assert response.status_code == 200
    assert "visible character" in error_text(response)
    assert not model.objects.exists()


def test_a_quote_of_a_boilerplate_passage_is_not_published(admin_client, small_corpus):
    quote = small_corpus.draft_quote
    Passage.objects.filter(pk=quote.passage_id).update(is_boilerplate=True)
    url = admin_url(Quote, "change", quote.pk)
    response = admin_client.post(url, quote_form_data(quote, status="published"))
    assert response.status_code == 200
    assert "boilerplate" in error_text(response)
    quote.refresh_from_db()
    assert quote.status == "draft"
    assert admin_client.post(url, quote_form_data(quote, note="kept")).status_code == 302


def test_a_source_goes_with_its_draft_quotes_but_not_with_a_published_one(
    admin_client, small_corpus
):
    source = small_corpus.other_source
    url = admin_url(Source, "delete", source.pk)
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200  # the confirmation page, listing what keeps it
    assert "Published quote: Speed matters." in response.content.decode()
    assert Source.objects.filter(pk=source.pk).exists()

    Quote.objects.filter(source=source).update(status="draft")  # e.g. importer candidates
    Claim.objects.filter(passage__source=source).delete()  # claims keep their evidence
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Source.objects.filter(pk=source.pk).exists()
    assert not Quote.objects.filter(source_id=source.pk).exists()


def _source_of(passages: int) -> Source:
    texts = [f"Paragraph {n} on speed." for n in range(passages)]
    source = Source.objects.create(title="Many", slug="many", text="\n\n".join(texts))
    start = 0
    for number, text in enumerate(texts, 1):
        Passage.objects.create(
            source=source, number=number, start=start, end=start + len(text), text=text
        )
        start += len(text) + 2
    return source


def test_deleting_a_source_lists_its_passages_without_reading_its_text_for_each(admin_client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    source = _source_of(40)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(Source, "delete", source.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "many ¶1<" in page and "many ¶40<" in page
    # Django's collector joins each passage to its source, every column included.
    with_source_text = [
        q["sql"]
        for q in queries
        if 'FROM "kb_passage"' in q["sql"] and '"kb_source"."text"' in q["sql"]
    ]
    assert with_source_text == []


@pytest.mark.parametrize("model", ["claim", "principle"])
def test_claim_pages_read_no_source_text(admin_client, small_corpus, model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    principle = Claim.objects.filter(passage__isnull=False).first().principle
    url = (
        admin_url(Claim, "changelist")
        if model == "claim"
        else admin_url(Principle, "change", principle.pk)
    )
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert "¶" in response.content.decode()  # the passages are named, by their source's slug
    assert [q["sql"] for q in queries if '"kb_source"."text"' in q["sql"]] == []


def test_deleting_a_source_changes_the_content_version_once(admin_client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kb.cache import current_version

    source = _source_of(30)
    before = current_version().token
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(admin_url(Source, "delete", source.pk), {"post": "yes"})
    assert response.status_code == 302 and not Source.objects.filter(pk=source.pk).exists()
    bumps = [
        q for q in queries if q["sql"].startswith("UPDATE") and "kb_contentversion" in q["sql"]
    ]
    assert len(bumps) == 1
    assert current_version().token != before


def test_a_passage_holding_a_quote_is_not_deleted_on_its_own(small_corpus):
    from django.db.models import RestrictedError

    with pytest.raises(RestrictedError):
        small_corpus.passages[2].delete()  # two quotes, no claim


@pytest.mark.parametrize(
    ("term", "means", "message"),
    [
        ("loop", " loop ", "cannot mean itself"),
        ("MILLET", "xiaomi", "says this already"),
        (" millet ", "Xiaomi!", "says this already"),
        ("Xiaomi", "Millet", "both ways"),
    ],
)
def test_an_alias_saying_nothing_new_is_refused(admin_client, db, term, means, message):
    from kb.models import SearchAlias

    SearchAlias.objects.create(term="Millet", means="Xiaomi", two_way=True)
    data = {"term": term, "means": means, "two_way": "on"}
    response = admin_client.post(admin_url(SearchAlias, "add"), data)
    assert response.status_code == 200
    assert message in error_text(response)
    assert SearchAlias.objects.count() == 1


def test_a_one_way_alias_may_be_completed_by_its_reverse(admin_client, db):
    from kb.models import SearchAlias

    SearchAlias.objects.create(term="EV", means="electric car", two_way=False)
    data = {"term": "electric car", "means": "EV"}
    assert admin_client.post(admin_url(SearchAlias, "add"), data).status_code == 302
    assert SearchAlias.objects.count() == 2
