"""In the admin, "delete" archives a quote, principle or person; "Restore" brings it back; a
real delete is a separate action for those with the ``purge_<model>`` permission."""

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from test_admin import admin_url, quote_form_data
from test_admin_curation import client_for, roles  # noqa: F401

from kb import curation
from kb.models import Claim, Person, Principle, Quote, SlugRedirect, Status


@pytest.fixture
def reviewer(client, django_user_model, roles):  # noqa: F811
    return client_for(client, django_user_model, "Reviewer")


@pytest.fixture
def editor(client, django_user_model, roles):  # noqa: F811
    return client_for(client, django_user_model, "Editor")


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def action(client, model, name, objects, **extra):
    data = {"action": name, "_selected_action": [obj.pk for obj in objects], **extra}
    return client.post(admin_url(model, "changelist"), data)


def status_of(obj) -> str:
    return type(obj).objects.filter(pk=obj.pk).values_list("status", flat=True).get()


def test_it_archives_a_quote_from_its_delete_button_and_restores_it_as_a_draft(
    reviewer, client, small_corpus
):
    quote = small_corpus.price_quote  # published, two themes
    themes = set(quote.themes.values_list("pk", flat=True))
    page = reviewer.get(admin_url(Quote, "delete", quote.pk))
    assert page.status_code == 200 and "Yes, archive it" in page.content.decode()
    response = reviewer.post(admin_url(Quote, "delete", quote.pk), {"post": "yes"})
    assert response.status_code == 302
    assert status_of(quote) == Status.ARCHIVED  # kept, with its themes and span
    assert set(quote.themes.values_list("pk", flat=True)) == themes
    assert "was archived" in messages_of(response)
    # Off the site, as a deleted row was: for readers and staff alike.
    assert reviewer.get(f"/quotes/{quote.pk}/").status_code == 404
    assert client.get(f"/api/quotes/{quote.pk}/").status_code == 404
    assert not Quote.objects.visible_to(None).filter(pk=quote.pk).exists()
    listing = reviewer.get(admin_url(Quote, "changelist")).content.decode()
    assert "Archived quotes (1)" in listing and "?status__exact=archived" in listing

    response = action(reviewer, Quote, "restore_selected", [quote])
    assert status_of(quote) == Status.DRAFT  # a reviewer publishes it again
    assert "1 restored (as draft)" in messages_of(response)
    reasons = Quote.history.filter(id=quote.pk).values_list("history_change_reason", flat=True)
    assert {curation.ARCHIVE_REASON, curation.RESTORE_REASON} <= set(reasons)


def test_the_bulk_delete_action_archives_each_row(reviewer, small_corpus):
    quotes = list(Quote.objects.all())
    action(reviewer, Quote, "delete_selected", quotes)
    assert Quote.objects.count() == len(quotes)
    assert set(Quote.objects.values_list("status", flat=True)) == {Status.ARCHIVED}


def test_an_editor_cannot_take_published_work_down(editor, small_corpus):
    quote, principle = small_corpus.price_quote, small_corpus.principle
    assert (status_of(quote), status_of(principle)) == (Status.PUBLISHED, Status.PUBLISHED)
    response = editor.post(admin_url(Quote, "delete", quote.pk), {"post": "yes"})
    assert "reviewer's decision" in messages_of(response)
    page = editor.get(admin_url(Principle, "delete", principle.pk)).content.decode()
    assert "reviewer&#x27;s decision" in page and "Yes, archive it" not in page
    action(editor, Principle, "delete_selected", [principle])
    # Nor through the status field of the form.
    response = editor.post(
        admin_url(Quote, "change", quote.pk), quote_form_data(quote, status=Status.ARCHIVED)
    )
    assert "reviewer's decision" in " ".join(response.context["adminform"].form.errors["status"])
    assert (status_of(quote), status_of(principle)) == (Status.PUBLISHED, Status.PUBLISHED)
    response = editor.post(admin_url(Quote, "delete", quote.pk), {"post": "yes"})
    assert "reviewer's decision" in messages_of(response)
    page = editor.get(admin_url(Principle, "delete", principle.pk)).content.decode()
    assert "reviewer&#x27;s decision" in page and "Yes, archive it" not in page
    action(editor, Principle, "delete_selected", [principle])
    # Nor through the status field of the form.
    form = editor.get(admin_url(Quote, "change", quote.pk)).context["adminform"].form
    data = {**form.initial, "status": Status.ARCHIVED, "themes": [t.pk for t in quote.themes.all()]}
    editor.post(
        admin_url(Quote, "change", quote.pk), {k: v for k, v in data.items() if v is not None}
    )
    assert (status_of(quote), status_of(principle)) == (Status.PUBLISHED, Status.PUBLISHED)
    # A draft they may archive.
    draft = Quote.objects.exclude(status=Status.PUBLISHED).first()
    editor.post(admin_url(Quote, "delete", draft.pk), {"post": "yes"})
    assert status_of(draft) == Status.ARCHIVED


def test_an_archived_principle_keeps_its_claims_and_is_off_the_site(reviewer, client, small_corpus):
    principle = small_corpus.principle
    claims = set(principle.claims.values_list("pk", flat=True))
    assert claims
    reviewer.post(admin_url(Principle, "delete", principle.pk), {"post": "yes"})
    assert set(Claim.objects.filter(principle=principle).values_list("pk", flat=True)) == claims
    assert client.get(principle.get_absolute_url()).status_code == 404
    assert client.get(f"/api/principles/{principle.slug}/").status_code == 404
    action(reviewer, Principle, "restore_selected", [principle])
    assert status_of(principle) == Status.DRAFT


def test_a_person_is_archived_and_restored_as_published(reviewer, small_corpus):
    person = Person.objects.create(name="Someone Else")
    reviewer.post(admin_url(Person, "delete", person.pk), {"post": "yes"})
    assert status_of(person) == Status.ARCHIVED
    action(reviewer, Person, "restore_selected", [person])
    assert status_of(person) == Status.PUBLISHED


def test_a_real_delete_needs_its_own_permission(reviewer, django_user_model, small_corpus):
    quote = small_corpus.price_quote
    # Reviewers archive, they do not delete for good: the action is neither offered nor run.
    changelist = reviewer.get(admin_url(Quote, "changelist")).content.decode()
    assert 'value="delete_for_good"' not in changelist
    action(reviewer, Quote, "delete_for_good", [quote], apply="1", confirm="on")
    assert Quote.objects.filter(pk=quote.pk).exists()

    user = django_user_model.objects.get(username="reviewer")
    user.user_permissions.add(Permission.objects.get(codename="purge_quote"))
    changelist = reviewer.get(admin_url(Quote, "changelist")).content.decode()
    assert 'value="delete_for_good"' in changelist
    page = action(reviewer, Quote, "delete_for_good", [quote])  # the confirmation page
    assert page.status_code == 200 and "cannot be restored" in page.content.decode()
    assert Quote.objects.filter(pk=quote.pk).exists()
    action(reviewer, Quote, "delete_for_good", [quote], apply="1", confirm="on")
    assert not Quote.objects.filter(pk=quote.pk).exists()


def test_a_principle_deleted_for_good_takes_its_old_addresses(
    client, django_user_model, small_corpus
):
    principle = small_corpus.principle
    old, principle.slug = principle.slug, "renamed-principle"
    principle.save()
    assert client.get(f"/principles/{old}/").status_code == 301
    admin = django_user_model.objects.create_superuser("root", password="x")
    curation.delete_for_good([principle], user=admin)
    assert not SlugRedirect.objects.filter(old_slug=old).exists()
    assert client.get(f"/principles/{old}/").status_code == 404


def test_delete_for_good_refuses_a_user_without_the_permission(editor, small_corpus):
    from django.core.exceptions import PermissionDenied

    user = editor.get("/").wsgi_request.user
    with pytest.raises(PermissionDenied, match="archive them instead"):
        curation.delete_for_good([small_corpus.price_quote], user=user)
    assert Quote.objects.filter(pk=small_corpus.price_quote.pk).exists()
