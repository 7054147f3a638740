"""The editors' admin: roles, the publish permission, history and revert, curation actions."""

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from django.contrib.auth.models import Group
from django.core.management import call_command
from test_admin import admin_url, quote_form_data

from kb.integrity import corpus_problems
from kb.models import (
    Claim,
    Passage,
    Person,
    Principle,
    Quote,
    SearchAlias,
    Source,
    Status,
    Theme,
)

CURATED = [Source, Passage, Person, Theme, Quote, Principle, Claim, SearchAlias]
ADDABLE = [Person, Theme, Quote, Principle, Claim, SearchAlias]


@pytest.fixture
def roles(db):
    call_command("setup_roles", verbosity=0)


def client_for(client, django_user_model, role, name=None):
    user = django_user_model.objects.create_user(name or role.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(client, django_user_model, roles):
    return client_for(client, django_user_model, "Editor")


@pytest.fixture
def reviewer_client(client, django_user_model, roles):
    return client_for(client, django_user_model, "Reviewer")


@pytest.fixture(params=["superuser", "Editor", "Reviewer"])
def any_client(request, client, django_user_model, roles):
    if request.param == "superuser":
        user = django_user_model.objects.create_superuser("boss")
        client.force_login(user)
        return client
    return client_for(client, django_user_model, request.param)


def first(model):
    return model.objects.order_by("pk").first() or SearchAlias.objects.create(
        term="Millet", means="Xiaomi"
    )


@pytest.mark.parametrize("model", CURATED, ids=lambda m: m.__name__)
def test_it_shows_changelist_change_and_history_pages_to_every_role(
    any_client, small_corpus, model
):
    obj = first(model)
    for url in [
        admin_url(model, "changelist"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
    ]:
        assert any_client.get(url).status_code == 200, url


@pytest.mark.parametrize("model", ADDABLE, ids=lambda m: m.__name__)
def test_it_shows_the_add_forms_to_every_role(any_client, small_corpus, model):
    assert any_client.get(admin_url(model, "add")).status_code == 200


def test_it_shows_the_dashboard_to_every_role(any_client, small_corpus):
    response = any_client.get("/admin/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your curation desk" in body
    assert "Unfinished idea" in body  # a principle with a claim lacking evidence
    assert "every quote is its source's exact words" in body


def test_it_lists_a_drifted_quote_on_the_dashboard(admin_client, small_corpus):
    Quote.objects.filter(pk=small_corpus.friends_quote.pk).update(text="Users are our fans.")
    response = admin_client.get("/admin/")
    assert "Users are our fans." in response.content.decode()


def test_it_refuses_editors_what_their_role_lacks(editor_client, small_corpus):
    source = small_corpus.source
    assert editor_client.get(admin_url(Source, "delete", source.pk)).status_code == 403
    assert editor_client.get("/admin/auth/user/").status_code == 403
    assert editor_client.get("/admin/auth/group/").status_code == 403


def test_it_forbids_the_admin_to_staff_without_a_role(staff_client, small_corpus):
    assert staff_client.get(admin_url(Quote, "changelist")).status_code == 403
    assert staff_client.get(admin_url(Quote, "add")).status_code == 403


def test_it_refuses_an_editor_publishing_through_the_form(editor_client, small_corpus):
    quote = small_corpus.draft_quote
    url = admin_url(Quote, "change", quote.pk)
    response = editor_client.post(url, quote_form_data(quote, status=Status.PUBLISHED))
    assert response.status_code == 200
    assert "You may not publish or reject quotes" in str(response.context["errors"])
    quote.refresh_from_db()
    assert quote.status == Status.DRAFT
    response = editor_client.post(url, quote_form_data(quote, status=Status.REVIEW))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == Status.REVIEW


def test_it_lets_a_reviewer_publish_through_the_form(reviewer_client, small_corpus):
    quote = small_corpus.draft_quote
    url = admin_url(Quote, "change", quote.pk)
    response = reviewer_client.post(url, quote_form_data(quote, status=Status.PUBLISHED))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == Status.PUBLISHED


def test_it_offers_and_allows_bulk_publishing_only_to_reviewers(
    editor_client, small_corpus, client, django_user_model
):
    url = admin_url(Quote, "changelist")
    actions = dict(editor_client.get(url).context["action_form"].fields["action"].choices)
    assert "publish" not in actions and "reject" not in actions
    assert "send_to_review" in actions
    draft = small_corpus.draft_quote
    response = editor_client.post(url, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    reviewer = client_for(client, django_user_model, "Reviewer")
    actions = dict(reviewer.get(url).context["action_form"].fields["action"].choices)
    assert {"publish", "reject"} <= set(actions)
    response = reviewer.post(url, {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_it_refuses_an_editor_publishing_a_principle_in_bulk(editor_client, small_corpus):
    principle = small_corpus.principle
    principle.status = Status.DRAFT
    principle.save()
    editor_client.post(
        admin_url(Principle, "changelist"),
        {"action": "publish", "_selected_action": [principle.pk]},
    )
    principle.refresh_from_db()
    assert principle.status == Status.DRAFT


def test_it_refuses_a_quote_whose_words_differ_from_its_span(editor_client, small_corpus):
    quote = small_corpus.draft_quote
    response = editor_client.post(
        admin_url(Quote, "change", quote.pk), quote_form_data(quote, text="We make two phones.")
    )
    assert response.status_code == 200
    assert "The text must be exactly the source&#x27;s words at start:end." in (
        response.content.decode()
    )


def test_it_records_history_with_user_and_reason_on_save(editor_client, small_corpus):
    quote = small_corpus.draft_quote
    before = quote.history.count()
    response = editor_client.post(
        admin_url(Quote, "change", quote.pk),
        quote_form_data(quote, note="checked", change_reason="checked against the video"),
    )
    assert response.status_code == 302
    latest = quote.history.order_by("-history_id").first()
    assert quote.history.count() > before
    assert latest.history_user.username == "editor"
    assert quote.history.filter(history_change_reason="checked against the video").exists()
    assert latest.note == "checked"
    response = editor_client.get(admin_url(Quote, "history", quote.pk))
    assert "checked against the video" in response.content.decode()


def test_it_records_history_on_bulk_actions(reviewer_client, small_corpus):
    chosen = [small_corpus.focus_quote.pk, small_corpus.friends_quote.pk]
    before = Quote.history.filter(id__in=chosen).count()
    reviewer_client.post(
        admin_url(Quote, "changelist"), {"action": "send_to_review", "_selected_action": chosen}
    )
    rows = Quote.history.filter(id__in=chosen, status=Status.REVIEW)
    assert rows.count() == 2
    assert Quote.history.filter(id__in=chosen).count() == before + 2
    assert {row.history_user.username for row in rows} == {"reviewer"}


def test_it_reverts_a_quote_to_an_earlier_version(admin_client, small_corpus):
    quote = small_corpus.draft_quote
    quote.note = "first note"
    quote.save()
    old = quote.history.order_by("-history_id").first()
    quote.note = "second note"
    quote.attribution = "he added"
    quote.save()
    url = admin_url(Quote, "simple_history", quote.pk, old.history_id)
    response = admin_client.get(url)
    assert response.status_code == 200
    data = quote_form_data(old.instance, themes=[t.pk for t in quote.themes.all()])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    quote.refresh_from_db()
    assert (quote.note, quote.attribution) == ("first note", "")


def test_it_refuses_an_editor_reverting_to_a_published_version(editor_client, small_corpus):
    quote = small_corpus.focus_quote
    quote.save()  # a first revision: published
    old = quote.history.order_by("-history_id").first()
    quote.status = Status.DRAFT
    quote.save()
    url = admin_url(Quote, "simple_history", quote.pk, old.history_id)
    response = editor_client.post(url, quote_form_data(old.instance))
    assert response.status_code == 200
    quote.refresh_from_db()
    assert quote.status == Status.DRAFT


def test_it_reverts_a_principle_and_recovers_a_deleted_claim(admin_client, small_corpus):
    principle = small_corpus.principle
    principle.summary = "Before."
    principle.save()
    old = principle.history.order_by("-history_id").first()
    principle.summary = "After."
    principle.save()
    url = admin_url(Principle, "simple_history", principle.pk, old.history_id)
    claims = list(principle.claims.all())
    data = {
        "title": old.title,
        "slug": old.slug,
        "summary": old.summary,
        "themes": [t.pk for t in principle.themes.all()],
        "status": old.status,
    }
    from test_admin import claim_rows

    data.update(claim_rows(claims))
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    principle.refresh_from_db()
    assert principle.summary == "Before."
    claim = claims[0]
    pk = claim.pk
    claim.delete()
    Claim.history.filter(id=pk, history_type="-").get().instance.save()
    assert Claim.objects.filter(pk=pk).exists()
    assert list(corpus_problems()) == []


def test_it_reverts_a_claim_to_an_earlier_version(admin_client, small_corpus):
    claim = small_corpus.principle.claims.order_by("position").first()
    claim.text = "Focus first."
    claim.save()
    old = claim.history.order_by("-history_id").first()
    claim.text = "Breadth first."
    claim.save()
    url = admin_url(Claim, "simple_history", claim.pk, old.history_id)
    data = {
        "principle": claim.principle_id,
        "position": claim.position,
        "text": old.text,
        "passage": claim.passage_id,
        "start": claim.start,
        "end": claim.end,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    claim.refresh_from_db()
    assert claim.text == "Focus first."


def test_it_adds_and_removes_a_theme_in_bulk_with_a_confirmation_page(editor_client, small_corpus):
    url = admin_url(Quote, "changelist")
    chosen = [small_corpus.friends_quote.pk, small_corpus.speed_quote.pk]
    form = {"action": "add_theme", "_selected_action": chosen}
    response = editor_client.post(url, form)
    assert response.status_code == 200
    assert "Add a theme" in response.content.decode()
    response = editor_client.post(url, {**form, "apply": "1", "theme": small_corpus.focus.pk})
    assert response.status_code == 302
    for pk in chosen:
        assert Quote.objects.get(pk=pk).themes.filter(pk=small_corpus.focus.pk).exists()
        assert Quote.history.filter(id=pk, history_type="~").exists()
    form["action"] = "remove_theme"
    editor_client.post(url, {**form, "apply": "1", "theme": small_corpus.focus.pk})
    assert not small_corpus.focus.quotes.filter(pk__in=chosen).exists()


def test_it_sets_the_speaker_in_bulk(editor_client, small_corpus):
    url = admin_url(Quote, "changelist")
    chosen = [small_corpus.friends_quote.pk]
    response = editor_client.post(
        url,
        {
            "action": "set_speaker",
            "_selected_action": chosen,
            "apply": "1",
            "speaker": small_corpus.interviewer.pk,
        },
    )
    assert response.status_code == 302
    assert Quote.objects.get(pk=chosen[0]).speaker == small_corpus.interviewer


def test_it_merges_two_themes_from_the_admin(editor_client, small_corpus):
    url = admin_url(Theme, "changelist")
    chosen = [small_corpus.users.pk, small_corpus.pricing.pk]
    response = editor_client.post(url, {"action": "merge", "_selected_action": chosen})
    assert response.status_code == 200 and "Merge two themes" in response.content.decode()
    response = editor_client.post(
        url,
        {
            "action": "merge",
            "_selected_action": chosen,
            "apply": "1",
            "keep": small_corpus.users.pk,
        },
    )
    assert response.status_code == 302
    assert not Theme.objects.filter(name="Pricing").exists()
    assert small_corpus.price_quote.themes.filter(pk=small_corpus.users.pk).exists()


def test_it_merges_two_people_from_the_admin(editor_client, small_corpus):
    url = admin_url(Person, "changelist")
    chosen = [small_corpus.lei.pk, small_corpus.interviewer.pk]
    editor_client.post(
        url,
        {"action": "merge", "_selected_action": chosen, "apply": "1", "keep": small_corpus.lei.pk},
    )
    assert not Person.objects.filter(pk=small_corpus.interviewer.pk).exists()
    assert small_corpus.passages[0].__class__.objects.get(
        pk=small_corpus.passages[0].pk
    ).speaker == (small_corpus.lei)
    assert "Fortune interviewer" in Person.objects.get(pk=small_corpus.lei.pk).aliases


def test_it_splits_and_merges_passages_from_the_admin(editor_client, small_corpus):
    url = admin_url(Passage, "changelist")
    passage = small_corpus.passages[1]
    position = passage.text.index("We make one phone")
    form = {"action": "split", "_selected_action": [passage.pk]}
    response = editor_client.post(url, form)
    assert response.status_code == 200 and "Split before character" in response.content.decode()
    response = editor_client.post(url, {**form, "apply": "1", "position": position})
    assert response.status_code == 302
    assert small_corpus.source.passages.count() == 4
    assert list(corpus_problems()) == []
    new = Passage.objects.get(source=small_corpus.source, number=3)
    response = editor_client.post(
        url, {"action": "merge", "_selected_action": [passage.pk, new.pk]}
    )
    assert response.status_code == 302
    assert small_corpus.source.passages.count() == 3
    assert list(corpus_problems()) == []


def test_it_refuses_a_split_inside_a_quote_with_a_message(editor_client, small_corpus):
    passage = small_corpus.passages[1]
    position = passage.text.index("first word")
    response = editor_client.post(
        admin_url(Passage, "changelist"),
        {"action": "split", "_selected_action": [passage.pk], "apply": "1", "position": position},
        follow=True,
    )
    assert "the point is inside quote" in response.content.decode()
    assert small_corpus.source.passages.count() == 3


def test_it_offers_quoting_the_selected_words_on_a_passage_page(editor_client, small_corpus):
    passage = small_corpus.passages[1]
    response = editor_client.get(admin_url(Passage, "change", passage.pk))
    body = response.content.decode()
    assert "js/admin_quote_select.js" in body
    assert f'data-start="{passage.start}"' in body
    words = "Focus is the first word"
    start = small_corpus.source.text.index(words)
    response = editor_client.get(
        admin_url(Quote, "add"),
        {
            "source": small_corpus.source.pk,
            "passage": passage.pk,
            "text": words,
            "start": start,
            "end": start + len(words),
        },
    )
    form = response.context["adminform"].form
    assert form.initial["text"] == words and int(form.initial["start"]) == start


@pytest.mark.parametrize(
    "action, field",
    [("add_theme", "themes"), ("remove_theme", "themes"), ("set_speaker", "speaker")],
)
def test_it_asks_for_the_theme_or_speaker_with_the_admins_autocomplete(
    editor_client, small_corpus, action, field
):
    response = editor_client.post(
        admin_url(Quote, "changelist"),
        {"action": action, "_selected_action": [small_corpus.friends_quote.pk]},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="admin-autocomplete' in body
    assert 'data-ajax--url="/admin/autocomplete/"' in body
    assert f'data-app-label="kb" data-model-name="quote" data-field-name="{field}"' in body
    # The widget's media: jQuery, select2 and the admin's autocomplete script and style.
    for asset in ["js/vendor/jquery/jquery", "js/vendor/select2/select2", "js/autocomplete.js"]:
        assert f'<script src="/static/admin/{asset}' in body, asset
    assert 'href="/static/admin/css/autocomplete.css"' in body


def test_it_answers_the_autocomplete_of_the_action_pages(editor_client, small_corpus):
    lookup = {"app_label": "kb", "model_name": "quote", "term": "pric"}
    response = editor_client.get("/admin/autocomplete/", {**lookup, "field_name": "themes"})
    assert [r["text"] for r in response.json()["results"]] == ["Pricing"]
    lookup["term"] = "fortune"
    response = editor_client.get("/admin/autocomplete/", {**lookup, "field_name": "speaker"})
    assert [r["id"] for r in response.json()["results"]] == [str(small_corpus.interviewer.pk)]


def test_it_adds_a_theme_to_principles_with_history_per_row(editor_client, small_corpus):
    url = admin_url(Principle, "changelist")
    chosen = [small_corpus.principle.pk, small_corpus.draft_principle.pk]
    form = {"action": "add_theme", "_selected_action": chosen}
    body = editor_client.post(url, form).content.decode()
    assert 'data-model-name="principle" data-field-name="themes"' in body
    response = editor_client.post(url, {**form, "apply": "1", "theme": small_corpus.users.pk})
    assert response.status_code == 302
    assert set(small_corpus.users.principles.values_list("pk", flat=True)) == set(chosen)
    reason = "theme “Users as friends” added"
    rows = Principle.history.filter(id__in=chosen, history_change_reason=reason)
    assert sorted(rows.values_list("id", flat=True)) == sorted(chosen)
    assert {row.history_user.username for row in rows} == {"editor"}


def test_it_refuses_an_unknown_theme_on_the_confirmation_page(editor_client, small_corpus):
    quote = small_corpus.friends_quote
    before = quote.history.count()
    response = editor_client.post(
        admin_url(Quote, "changelist"),
        {"action": "add_theme", "_selected_action": [quote.pk], "apply": "1", "theme": 999999},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert list(quote.themes.values_list("name", flat=True)) == ["Users as friends"]
    assert quote.history.count() == before


def test_it_clears_the_speaker_in_bulk_with_history_per_row(editor_client, small_corpus):
    chosen = [small_corpus.friends_quote.pk, small_corpus.speed_quote.pk]
    response = editor_client.post(
        admin_url(Quote, "changelist"),
        {"action": "set_speaker", "_selected_action": chosen, "apply": "1", "speaker": ""},
    )
    assert response.status_code == 302
    assert not Quote.objects.filter(pk__in=chosen, speaker__isnull=False).exists()
    rows = Quote.history.filter(id__in=chosen, history_change_reason="speaker set to nobody")
    assert sorted(rows.values_list("id", flat=True)) == sorted(chosen)


def test_it_shows_a_split_inside_a_word_or_outside_the_passage_as_a_form_error(
    editor_client, small_corpus
):
    passage = small_corpus.passages[0]  # "Q: Why does Millet make so few phones?"
    url = admin_url(Passage, "changelist")
    form = {"action": "split", "_selected_action": [passage.pk], "apply": "1"}
    response = editor_client.post(url, {**form, "position": passage.text.index("hy")})
    assert response.status_code == 200
    errors = response.context["form"].errors["position"]
    assert "Position 4 is inside a word" in " ".join(errors)
    response = editor_client.post(url, {**form, "position": 500})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["position"])
    assert "Position 500 is not inside passage ¶1" in errors and "from 1 to 37" in errors
    assert small_corpus.source.passages.count() == 3
    response = editor_client.post(url, {**form, "position": passage.text.index("Why")})
    assert response.status_code == 302
    assert small_corpus.source.passages.count() == 4
    assert list(corpus_problems()) == []
