"""Deleted curated rows come back from their revision history (admin "Deleted …" pages)."""

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse
from test_admin import admin_url
from test_admin_curation import client_for, roles  # noqa: F401

from kb import curation
from kb.integrity import corpus_problems
from kb.models import Claim, Passage, Person, Principle, Quote, SearchAlias, Status, Theme

RESTORED = curation.RESTORE_REASON


@pytest.fixture
def reviewer(client, django_user_model, roles):  # noqa: F811
    return client_for(client, django_user_model, "Reviewer")


@pytest.fixture
def editor(client, django_user_model, roles):  # noqa: F811
    return client_for(client, django_user_model, "Editor")


def deleted_url(model):
    return admin_url(model, "deleted")


def restore_url(model, pk):
    return admin_url(model, "restore", pk)


def state(quote):
    quote = Quote.objects.get(pk=quote.pk)
    themes = sorted(quote.themes.values_list("name", flat=True))
    return (
        quote.text,
        quote.source_id,
        quote.passage_id,
        quote.start,
        quote.end,
        quote.speaker_id,
        quote.status,
        quote.featured,
        quote.attribution,
        themes,
    )


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_it_restores_a_quote_deleted_in_the_admin_with_its_span_and_themes(reviewer, small_corpus):
    quote = small_corpus.price_quote  # published, two themes
    before = state(quote)
    response = reviewer.post(admin_url(Quote, "delete", quote.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Quote.objects.filter(pk=quote.pk).exists()

    response = reviewer.get(admin_url(Quote, "changelist"))
    body = response.content.decode()
    assert f'href="{deleted_url(Quote)}"' in body and "Deleted quotes (1)" in body

    response = reviewer.get(deleted_url(Quote))
    body = response.content.decode()
    assert response.status_code == 200
    assert quote.text in body and "reviewer" in body
    assert f'action="{restore_url(Quote, quote.pk)}"' in body
    assert "csrfmiddlewaretoken" in body

    response = reviewer.post(restore_url(Quote, quote.pk), follow=True)
    change = admin_url(Quote, "change", quote.pk)
    assert response.redirect_chain[-1] == (change, 302)
    assert f'<a href="{change}">' in messages_of(response)
    assert state(quote) == before
    assert list(corpus_problems()) == []
    latest = Quote.history.filter(id=quote.pk).order_by("-history_id")
    assert latest[0].history_change_reason == RESTORED
    assert latest[0].history_user.username == "reviewer"
    assert {t.theme_id for t in latest[0].themes.all()} == {
        small_corpus.users.pk,
        small_corpus.pricing.pk,
    }
    assert RESTORED in reviewer.get(admin_url(Quote, "history", quote.pk)).content.decode()
    assert "Deleted quotes (0)" in reviewer.get(admin_url(Quote, "changelist")).content.decode()
    assert quote.text not in reviewer.get(deleted_url(Quote)).content.decode()


def test_it_restores_quotes_deleted_by_the_bulk_delete_action(reviewer, small_corpus):
    chosen = [small_corpus.friends_quote, small_corpus.speed_quote]
    before = {q.pk: state(q) for q in chosen}
    response = reviewer.post(
        admin_url(Quote, "changelist"),
        {"action": "delete_selected", "_selected_action": [q.pk for q in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Quote.objects.filter(pk__in=before).exists()
    body = reviewer.get(deleted_url(Quote)).content.decode()
    assert all(q.text in body for q in chosen)
    for quote in chosen:
        response = reviewer.post(restore_url(Quote, quote.pk))
        assert response.status_code == 302
        assert state(quote) == before[quote.pk]
    # Restored already: a second POST says so and changes nothing.
    response = reviewer.post(restore_url(Quote, chosen[0].pk), follow=True)
    assert "No deleted quote" in messages_of(response)


def test_it_refuses_restoring_to_users_without_the_add_permission(
    client, django_user_model, small_corpus
):
    user = django_user_model.objects.create_user("viewer", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="kb", codename__in=["view_quote", "change_quote"]
        )
    )
    client.force_login(user)
    quote = small_corpus.friends_quote
    pk = quote.pk
    quote.delete()
    response = client.get(deleted_url(Quote))
    assert response.status_code == 200
    assert "You may not add quotes" in response.content.decode()
    assert restore_url(Quote, pk) not in response.content.decode()
    assert client.post(restore_url(Quote, pk)).status_code == 403
    assert not Quote.objects.filter(pk=pk).exists()


def test_it_refuses_restoring_to_an_editor_without_the_add_permission(editor, small_corpus):
    quote = small_corpus.friends_quote
    pk = quote.pk
    quote.delete()
    Permission.objects.get(codename="add_quote").group_set.clear()
    assert editor.post(restore_url(Quote, pk)).status_code == 403
    assert not Quote.objects.filter(pk=pk).exists()


def test_it_restores_only_with_a_post(reviewer, small_corpus):
    quote = small_corpus.friends_quote
    pk = quote.pk
    quote.delete()
    assert reviewer.get(restore_url(Quote, pk)).status_code == 405
    assert not Quote.objects.filter(pk=pk).exists()


def test_it_explains_why_a_quote_whose_passage_is_gone_cannot_come_back(reviewer, small_corpus):
    passage = small_corpus.passages[2]
    friends, price = small_corpus.friends_quote, small_corpus.price_quote
    friends_pk = friends.pk
    friends.delete()
    price.delete()
    passage.delete()
    body = reviewer.get(deleted_url(Quote)).content.decode()
    assert "Cannot be restored: Its passage ¶3 no longer exists" in body
    response = reviewer.post(restore_url(Quote, friends_pk), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1] == (deleted_url(Quote), 302)
    assert "Cannot restore “Users are our friends.”: its passage ¶3 no longer exists" in (
        messages_of(response)
    )
    assert not Quote.objects.filter(pk=friends_pk).exists()


def test_it_refuses_a_quote_whose_span_left_its_passage(reviewer, small_corpus):
    quote = small_corpus.draft_quote  # the second sentence of passage 2
    pk, start = quote.pk, quote.start
    quote.delete()
    curation.split_passage(small_corpus.passages[1], start)
    response = reviewer.post(restore_url(Quote, pk), follow=True)
    text = messages_of(response)
    assert "is not inside passage ¶2" in text and "split or merged" in text
    assert not Quote.objects.filter(pk=pk).exists()


def test_it_restores_a_published_quote_as_a_draft_for_an_editor(editor, small_corpus):
    quote = small_corpus.focus_quote
    pk = quote.pk
    quote.delete()
    response = editor.post(restore_url(Quote, pk), follow=True)
    assert "Restored as a draft" in messages_of(response)
    assert Quote.objects.get(pk=pk).status == Status.DRAFT


def test_it_restores_a_quote_without_its_deleted_speaker_and_theme(reviewer, small_corpus):
    quote = small_corpus.price_quote
    pk = quote.pk
    quote.delete()
    small_corpus.pricing.delete()
    small_corpus.lei.delete()  # their other quotes and passages keep no speaker
    response = reviewer.post(restore_url(Quote, pk), follow=True)
    text = messages_of(response)
    assert "Its speaker “Lei Jun” is deleted: restored without one." in text
    assert "its themes “Pricing” (deleted since)" in text
    restored = Quote.objects.get(pk=pk)
    assert restored.speaker is None
    assert list(restored.themes.values_list("name", flat=True)) == ["Users as friends"]


def test_it_restores_a_principle_with_the_claims_deleted_with_it(reviewer, small_corpus):
    principle = small_corpus.principle
    claims = list(principle.claims.order_by("position").values_list("pk", "text", "start"))
    response = reviewer.post(admin_url(Principle, "delete", principle.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Claim.objects.filter(pk__in=[c[0] for c in claims]).exists()
    body = reviewer.get(deleted_url(Claim)).content.decode()
    assert "Its principle “Do few things” no longer exists (restore the principle first)" in body
    response = reviewer.post(restore_url(Principle, principle.pk), follow=True)
    assert "2 claims deleted with it restored." in messages_of(response)
    restored = Principle.objects.get(pk=principle.pk)
    assert restored.status == Status.PUBLISHED
    assert list(restored.themes.all()) == [small_corpus.focus]
    assert list(restored.claims.order_by("position").values_list("pk", "text", "start")) == claims
    assert Claim.history.filter(history_change_reason=RESTORED).count() == 2
    assert list(corpus_problems()) == []


def test_it_restores_a_claim_deleted_alone(reviewer, small_corpus):
    claim = small_corpus.principle.claims.order_by("position").last()
    pk, text = claim.pk, claim.text
    claim.delete()
    reviewer.post(restore_url(Claim, pk))
    assert Claim.objects.get(pk=pk).text == text


def test_it_refuses_a_theme_whose_name_was_taken_since(reviewer, small_corpus):
    theme = small_corpus.pricing
    pk = theme.pk
    theme.delete()
    Theme.objects.create(name="Pricing", slug="pricing-2")
    response = reviewer.post(restore_url(Theme, pk), follow=True)
    assert "Cannot restore “Pricing”: Theme with this Name already exists." in (
        messages_of(response)
    )


@pytest.mark.parametrize("model", [Theme, Person, SearchAlias], ids=lambda m: m.__name__)
def test_it_restores_the_small_tables(reviewer, small_corpus, model):
    obj = {
        Theme: small_corpus.users,
        Person: small_corpus.interviewer,
        SearchAlias: SearchAlias.objects.create(term="Millet", means="Xiaomi"),
    }[model]
    pk, name = obj.pk, str(obj)
    obj.delete()
    assert name in reviewer.get(deleted_url(model)).content.decode()
    response = reviewer.post(restore_url(model, pk))
    assert response.status_code == 302
    assert str(model.objects.get(pk=pk)) == name


def test_it_offers_no_restore_for_sources_and_passages(reviewer, small_corpus):
    body = reviewer.get(admin_url(Passage, "changelist")).content.decode()
    assert "Deleted passages" not in body
    for model in ("source", "passage"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:kb_{model}_deleted")


def test_it_lists_deleted_rows_in_a_fixed_number_of_queries(
    reviewer, small_corpus, django_assert_max_num_queries
):
    for quote in Quote.objects.all():
        quote.delete()
    # session, user, permissions; the page; one lookup per foreign key (source, passage,
    # speaker); the count for the paginator; the session saved again (its idle time moves
    # on with every request: SESSION_SAVE_EVERY_REQUEST).
    with django_assert_max_num_queries(12):
        response = reviewer.get(deleted_url(Quote))
    assert response.content.decode().count('value="Restore"') == 5
