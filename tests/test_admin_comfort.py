"""Curation comfort (issue #20): the dashboard's queue, role-hidden statuses, bulk review,
editors' wording."""

import re

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from django.contrib import messages
from django.core.management import call_command
from test_admin_curation import client_for

from kb.models import Person, Principle, Quote, Status


@pytest.fixture(name="with_roles")
def roles_fixture(db):
    call_command("setup_roles", verbosity=0)


@pytest.fixture(name="editor_client")
def editor_fixture(client, django_user_model, with_roles):
    return client_for(client, django_user_model, "Editor")


@pytest.fixture(name="reviewer_client")
def reviewer_fixture(client, django_user_model, with_roles):
    return client_for(client, django_user_model, "Reviewer")


def status_options(body: str) -> list[str]:
    select = re.search(r'<select name="status".*?</select>', body, re.S).group()
    return re.findall(r'<option value="([^"]*)"', select)


def test_it_lists_principles_and_draft_people_in_the_review_queue(editor_client, small_corpus):
    Principle.objects.filter(pk=small_corpus.draft_principle.pk).update(status=Status.REVIEW)
    Person.objects.create(name="Interviewer of 2011", status=Status.DRAFT)
    body = editor_client.get("/admin/").content.decode()
    queue = body.split('id="kb-review-queue"', 1)[1].split("</section>", 1)[0]
    assert "Unfinished idea" in queue
    assert "Interviewer of 2011" in queue
    assert "Nothing in review" not in queue


def test_it_says_nothing_is_in_review_when_nothing_is(editor_client, small_corpus):
    body = editor_client.get("/admin/").content.decode()
    assert "Nothing in review." in body


def test_the_dashboard_links_the_import_and_the_candidates_of_a_source(
    client, django_user_model, small_corpus
):
    client.force_login(django_user_model.objects.create_superuser("boss"))
    body = client.get("/admin/").content.decode()
    assert 'id="kb-import-link"' in body
    source = small_corpus.draft_quote.source
    assert f"/admin/kb/quote/review/{source.pk}/" in body


def test_the_header_names_the_site_not_django(editor_client, small_corpus):
    body = editor_client.get("/admin/").content.decode()
    assert "Django administration" not in body
    assert "Lei Jun knowledge base" in body


def test_an_editor_is_not_offered_published_or_rejected(editor_client, small_corpus):
    quote = small_corpus.draft_quote
    options = status_options(
        editor_client.get(f"/admin/kb/quote/{quote.pk}/change/").content.decode()
    )
    assert Status.PUBLISHED not in options and Status.REJECTED not in options
    assert Status.DRAFT in options and Status.REVIEW in options


def test_a_reviewer_is_offered_every_status(reviewer_client, small_corpus):
    quote = small_corpus.draft_quote
    options = status_options(
        reviewer_client.get(f"/admin/kb/quote/{quote.pk}/change/").content.decode()
    )
    assert Status.PUBLISHED in options and Status.REJECTED in options


def test_an_editor_sees_the_published_status_an_item_already_has(editor_client, small_corpus):
    quote = small_corpus.focus_quote
    options = status_options(
        editor_client.get(f"/admin/kb/quote/{quote.pk}/change/").content.decode()
    )
    assert Status.PUBLISHED in options and Status.REJECTED not in options


def candidates(source):
    return list(Quote.objects.filter(source=source, status__in=[Status.DRAFT, Status.REVIEW]))


def test_a_reviewer_publishes_and_rejects_a_page_in_one_go(reviewer_client, small_corpus):
    source = small_corpus.draft_quote.source
    extra = Quote.objects.get(pk=small_corpus.friends_quote.pk)
    Quote.objects.filter(pk=extra.pk).update(status=Status.REVIEW)
    url = f"/admin/kb/quote/review/{source.pk}/"
    page = reviewer_client.get(url).content.decode()
    for quote in candidates(source):
        assert f'name="decision-{quote.pk}"' in page
    data = {f"decision-{small_corpus.draft_quote.pk}": "publish", f"decision-{extra.pk}": "reject"}
    response = reviewer_client.post(url, data, follow=True)
    assert "1 published, 1 rejected." in response.content.decode()
    assert Quote.objects.get(pk=small_corpus.draft_quote.pk).status == Status.PUBLISHED
    assert Quote.objects.get(pk=extra.pk).status == Status.REJECTED


def test_an_editor_cannot_use_the_review_page(editor_client, small_corpus):
    source = small_corpus.draft_quote.source
    assert editor_client.get(f"/admin/kb/quote/review/{source.pk}/").status_code == 403
    response = editor_client.post(
        f"/admin/kb/quote/review/{source.pk}/",
        {f"decision-{small_corpus.draft_quote.pk}": "publish"},
    )
    assert response.status_code == 403
    assert Quote.objects.get(pk=small_corpus.draft_quote.pk).status == Status.DRAFT


@pytest.mark.parametrize("name", ["decision-abc", "decision-", "decision-99999"])
def test_a_tampered_review_form_changes_nothing(reviewer_client, small_corpus, name):
    source = small_corpus.draft_quote.source
    response = reviewer_client.post(
        f"/admin/kb/quote/review/{source.pk}/", {name: "publish"}, follow=True
    )
    assert response.status_code == 200
    assert "nothing changed" in response.content.decode()


def test_the_history_never_shows_a_literal_none(client, django_user_model, small_corpus):
    client.force_login(django_user_model.objects.create_superuser("boss"))
    quote = small_corpus.focus_quote
    body = client.get(f"/admin/kb/quote/{quote.pk}/history/").content.decode()
    table = body.split('id="change-history"', 1)[1].split("</table>", 1)[0]
    assert not re.search(r">\s*None\s*<", table)


def test_the_principle_history_says_claims_are_versioned_separately(
    client, django_user_model, small_corpus
):
    client.force_login(django_user_model.objects.create_superuser("boss"))
    principle = small_corpus.principle
    body = client.get(f"/admin/kb/principle/{principle.pk}/history/").content.decode()
    assert "Claims are versioned separately" in body
    claim = principle.claims.first()
    assert f"/admin/kb/claim/{claim.pk}/history/" in body


def test_the_delete_page_names_theme_links_in_words(client, django_user_model, small_corpus):
    client.force_login(django_user_model.objects.create_superuser("boss"))
    theme = small_corpus.focus
    body = client.get(f"/admin/kb/theme/{theme.pk}/delete/").content.decode()
    assert "_themes object" not in body
    assert "Link between" in body


def slug_message(get_response):
    """Test middleware: an info message that starts with a slug, on the admin's index."""

    def middleware(request):
        if request.path == "/admin/":
            messages.info(request, "lei-jun-on-focus: imported.")
        return get_response(request)

    return middleware


def test_a_message_starting_with_a_slug_is_not_capitalised(
    client, django_user_model, small_corpus, settings
):
    client.force_login(django_user_model.objects.create_superuser("boss"))
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.slug_message"]
    body = client.get("/admin/").content.decode()
    assert "lei-jun-on-focus: imported." in body
    assert "Lei-jun-on-focus" not in body


def test_an_editor_is_not_sent_to_the_reviewers_page(editor_client, small_corpus):
    source = small_corpus.draft_quote.source
    body = editor_client.get("/admin/").content.decode()
    assert f"/admin/kb/quote/review/{source.pk}/" not in body
    assert f"source__id__exact={source.pk}&amp;status__exact=draft" in body
