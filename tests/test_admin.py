"""The editors' admin: every model's pages, bulk status actions, span and evidence checks."""

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from django.contrib import admin
from django.urls import reverse

from kb.models import Claim, Passage, Person, Principle, Quote, SearchAlias, Source, Status, Theme

MODELS = [Source, Passage, Person, Theme, Quote, Principle, SearchAlias]


def admin_url(model, view, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def quote_form_data(quote, **changes):
    data = {
        "text": quote.text,
        "speaker": quote.speaker_id or "",
        "attribution": quote.attribution,
        "themes": [t.pk for t in quote.themes.all()],
        "status": quote.status,
        "source": quote.source_id,
        "passage": quote.passage_id,
        "start": quote.start,
        "end": quote.end,
        "note": quote.note,
    }
    if quote.featured:
        data["featured"] = "on"
    data.update(changes)
    return data


def passage_rows(source, passages, speaker=None, **fields):
    """Management form and rows of a source's PassageInline (prefix ``passages``): each
    passage's own speaker unless ``speaker`` is given, and ``fields`` on every row."""
    data = {
        "passages-TOTAL_FORMS": len(passages),
        "passages-INITIAL_FORMS": len(passages),
        "passages-MIN_NUM_FORMS": 0,
        "passages-MAX_NUM_FORMS": 1000,
    }
    for i, passage in enumerate(passages):
        row = {
            "id": passage.pk,
            "source": source.pk,
            "speaker": speaker or passage.speaker_id or "",
        }
        data.update({f"passages-{i}-{name}": value for name, value in {**row, **fields}.items()})
    return data


def claim_form_data(claim, **changes):
    """The claim admin's form as ``claim`` fills it, with ``changes``."""
    return {
        "principle": claim.principle_id,
        "position": claim.position,
        "text": claim.text,
        "passage": claim.passage_id or "",
        "start": "" if claim.start is None else claim.start,
        "end": "" if claim.end is None else claim.end,
        **changes,
    }


def claim_rows(claims, extra_rows=()):
    """Management form and rows of the ClaimInline formset (prefix ``claims``)."""
    rows = [{"id": c.pk, **claim_form_data(c)} for c in claims] + list(extra_rows)
    data = {
        "claims-TOTAL_FORMS": len(rows),
        "claims-INITIAL_FORMS": len(claims),
        "claims-MIN_NUM_FORMS": 0,
        "claims-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"claims-{i}-{key}"] = value
    return data


def principle_form_data(principle, status, claims, extra_rows=()):
    return {
        "title": principle.title,
        "slug": principle.slug,
        "summary": principle.summary,
        "themes": [t.pk for t in principle.themes.all()],
        "status": status,
        **claim_rows(claims, extra_rows),
    }


def test_it_registers_every_model(db):
    # Claims are edited inline on their principle, and have their own pages for history.
    for model in [*MODELS, Claim]:
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_it_shows_every_changelist(admin_client, small_corpus, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    response = admin_client.get(admin_url(model, "changelist"), {"q": "focus"})
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_it_shows_every_change_form(admin_client, small_corpus, model):
    obj = model.objects.order_by("pk").first() or SearchAlias.objects.create(
        term="Millet", means="Xiaomi"
    )
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("model", [Person, Theme, Quote, Principle, SearchAlias])
def test_it_shows_the_add_forms(admin_client, small_corpus, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


def test_it_filters_the_quote_changelist(admin_client, small_corpus):
    url = admin_url(Quote, "changelist")
    for params in [
        {"status__exact": "draft"},
        {"themes__id__exact": small_corpus.focus.pk},
        {"speaker__id__exact": small_corpus.lei.pk},
        {"source__id__exact": small_corpus.source.pk},
        {"source__kind": "interview"},
        {"featured__exact": "1"},
    ]:
        response = admin_client.get(url, params)
        assert response.status_code == 200, params
        assert "?e=1" not in response.get("Location", "")
    response = admin_client.get(url, {"status__exact": "draft"})
    assert response.context["cl"].result_count == 1


def test_it_lets_nobody_add_sources_or_passages_here(admin_client, small_corpus):
    assert admin_client.get(admin_url(Source, "add")).status_code == 403
    assert admin_client.get(admin_url(Passage, "add")).status_code == 403
    response = admin_client.get(admin_url(Source, "changelist"))
    assert "manage.py import_source" in response.content.decode()


def test_it_keeps_the_source_text_and_hash_read_only(admin_client, small_corpus):
    source = small_corpus.source
    response = admin_client.get(admin_url(Source, "change", source.pk))
    form = response.context["adminform"].form
    assert "text" not in form.fields and "sha256" not in form.fields
    assert "title" in form.fields
    inline = response.context["inline_admin_formsets"][0]
    passage_form = inline.formset.forms[0]
    assert set(passage_form.fields) >= {"speaker", "is_boilerplate"}
    assert "text" not in passage_form.fields and "start" not in passage_form.fields
    assert not inline.formset.can_delete
    assert inline.formset.max_num == 0 or not inline.has_add_permission


def test_it_edits_a_passage_label_but_never_the_source_text(admin_client, small_corpus):
    source, passages = small_corpus.source, small_corpus.passages
    data = {
        "title": "Renamed",
        "slug": source.slug,
        "kind": source.kind,
        "url": source.url,
        "author": source.author,
        "publisher": source.publisher,
        "published": "2014-06-01",
        "year": "2014",
        "language": "en",
        "notes": "",
        "text": "tampered",
        "sha256": "0" * 64,
        **passage_rows(source, passages, speaker=small_corpus.lei.pk, text="tampered"),
    }
    data["passages-0-is_boilerplate"] = "on"
    response = admin_client.post(admin_url(Source, "change", source.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    before_text, before_hash = source.text, source.sha256
    source.refresh_from_db()
    assert source.title == "Renamed"
    assert (source.text, source.sha256) == (before_text, before_hash)
    first = Passage.objects.get(pk=passages[0].pk)
    assert first.is_boilerplate and first.speaker == small_corpus.lei
    assert first.text == source.text[first.start : first.end]


@pytest.mark.parametrize(
    "action, status",
    [
        ("unpublish", Status.DRAFT),
        ("send_to_review", Status.REVIEW),
        ("reject", Status.REJECTED),
    ],
)
def test_it_changes_quote_status_in_bulk(admin_client, small_corpus, action, status):
    chosen = [small_corpus.focus_quote.pk, small_corpus.friends_quote.pk]
    response = admin_client.post(
        admin_url(Quote, "changelist"), {"action": action, "_selected_action": chosen}
    )
    assert response.status_code == 302
    assert set(Quote.objects.filter(pk__in=chosen).values_list("status", flat=True)) == {status}
    assert Quote.objects.get(pk=small_corpus.price_quote.pk).status == Status.PUBLISHED


def test_it_publishes_quotes_in_bulk_through_save(admin_client, small_corpus):
    from django.db.models.signals import post_save

    saved = []

    def record(sender, instance, **kwargs):
        saved.append(instance.pk)

    post_save.connect(record, sender=Quote)
    try:
        draft = small_corpus.draft_quote
        response = admin_client.post(
            admin_url(Quote, "changelist"),
            {"action": "publish", "_selected_action": [draft.pk]},
            follow=True,
        )
    finally:
        post_save.disconnect(record, sender=Quote)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert saved == [draft.pk]  # each object saved (signals fire), not a bare update()


def test_it_refuses_to_publish_a_quote_whose_span_drifted(admin_client, small_corpus):
    draft = small_corpus.draft_quote
    Quote.objects.filter(pk=draft.pk).update(text="Words nobody said.")
    response = admin_client.post(
        admin_url(Quote, "changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert Quote.objects.get(pk=draft.pk).status == Status.DRAFT
    assert "Not set to published" in response.content.decode()


def test_it_saves_a_quote_whose_text_is_its_span(admin_client, small_corpus):
    quote = small_corpus.friends_quote
    data = quote_form_data(quote, attribution="he said", featured="on")
    response = admin_client.post(admin_url(Quote, "change", quote.pk), data)
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.attribution == "he said" and quote.featured


def test_it_refuses_a_quote_text_that_is_not_its_span(admin_client, small_corpus):
    quote = small_corpus.friends_quote
    data = quote_form_data(quote, text="Users are our best friends.")
    response = admin_client.post(admin_url(Quote, "change", quote.pk), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "text" in form.errors
    assert Quote.objects.get(pk=quote.pk).text == "Users are our friends."


def test_it_refuses_a_quote_span_outside_its_passage(admin_client, small_corpus):
    quote = small_corpus.friends_quote
    data = quote_form_data(quote, passage=small_corpus.passages[1].pk)
    response = admin_client.post(admin_url(Quote, "change", quote.pk), data)
    assert response.status_code == 200
    assert "start" in response.context["adminform"].form.errors


def test_it_publishes_a_principle_whose_claims_have_evidence(admin_client, small_corpus):
    principle = small_corpus.principle
    Principle.objects.filter(pk=principle.pk).update(status=Status.DRAFT)
    data = principle_form_data(principle, "published", list(principle.claims.all()))
    response = admin_client.post(admin_url(Principle, "change", principle.pk), data)
    assert response.status_code == 302, response.context["errors"]
    principle.refresh_from_db()
    assert principle.status == Status.PUBLISHED


def test_it_refuses_a_new_published_principle_with_an_evidence_less_claim(
    admin_client, small_corpus
):
    passage = small_corpus.passages[1]
    start = passage.source.text.find("Focus is")
    good = {
        "position": 1,
        "text": "Focus.",
        "passage": passage.pk,
        "start": start,
        "end": start + 5,
    }
    bad = {"position": 2, "text": "A hunch.", "passage": "", "start": "", "end": ""}
    data = {
        "title": "Fresh principle",
        "slug": "fresh-principle",
        "summary": "",
        "status": "published",
        **claim_rows([], [good, bad]),
    }
    response = admin_client.post(admin_url(Principle, "add"), data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert "needs evidence for every claim" in " ".join(errors)
    assert "A hunch." in " ".join(errors)
    assert not Principle.objects.filter(slug="fresh-principle").exists()

    data["status"] = "draft"  # the same principle is fine as a draft
    assert admin_client.post(admin_url(Principle, "add"), data).status_code == 302
    assert Principle.objects.get(slug="fresh-principle").claims.count() == 2


def test_it_refuses_to_publish_a_saved_principle_with_an_evidence_less_claim(
    admin_client, small_corpus
):
    principle = small_corpus.draft_principle
    data = principle_form_data(principle, "published", list(principle.claims.all()))
    response = admin_client.post(admin_url(Principle, "change", principle.pk), data)
    assert response.status_code == 200
    assert "cannot be published" in " ".join(response.context["adminform"].form.errors["status"])
    principle.refresh_from_db()
    assert principle.status == Status.DRAFT


def test_it_refuses_to_publish_a_principle_without_claims(admin_client, small_corpus):
    data = {"title": "Empty", "slug": "empty", "summary": "", "status": "published"}
    data.update(claim_rows([]))
    response = admin_client.post(admin_url(Principle, "add"), data)
    assert response.status_code == 200
    assert not Principle.objects.filter(slug="empty").exists()


def test_it_refuses_to_bulk_publish_a_principle_lacking_evidence(admin_client, small_corpus):
    principle = small_corpus.draft_principle
    response = admin_client.post(
        admin_url(Principle, "changelist"),
        {"action": "publish", "_selected_action": [principle.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Principle.objects.get(pk=principle.pk).status == Status.DRAFT
    assert "Not set to published" in response.content.decode()


def test_it_autocompletes_passages_and_people(admin_client, small_corpus):
    url = reverse("admin:autocomplete")
    params = {"app_label": "kb", "model_name": "quote", "field_name": "passage", "term": "price"}
    response = admin_client.get(url, params)
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(small_corpus.passages[2].pk)]
    params = {"app_label": "kb", "model_name": "quote", "field_name": "speaker", "term": "lei"}
    assert admin_client.get(url, params).json()["results"][0]["text"] == "Lei Jun"


def test_it_lists_quotes_in_as_many_queries_for_many_rows_as_for_few(admin_client, small_corpus):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = [admin_url(model, "changelist") for model in MODELS]
    before = {url: count(url) for url in urls}
    source, passage = small_corpus.source, small_corpus.passages[2]
    base = passage.start
    for i in range(15):
        theme = Theme.objects.create(name=f"Extra {i}")
        person = Person.objects.create(name=f"Extra person {i}", aliases=[f"P{i}"])
        quote = Quote.objects.create(
            text=source.text[base + i : base + i + 10],
            source=source,
            passage=passage,
            start=base + i,
            end=base + i + 10,
            speaker=person,
        )
        quote.themes.set([theme, small_corpus.focus])
        principle = Principle.objects.create(title=f"Extra principle {i}")
        principle.themes.set([theme])
        Claim.objects.create(
            principle=principle, text="x", passage=passage, start=base, end=base + 5
        )
        SearchAlias.objects.create(term=f"term {i}", means="Xiaomi")
    after = {url: count(url) for url in urls}
    # The list filters of speaker/theme/source list every row of their table in one query
    # each; nothing is fetched per row of the list.
    assert after == before


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_it_shows_the_seeded_corpus_in_the_admin(admin_client, corpus, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    for obj in model.objects.order_by("pk")[:3]:
        assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


# Big sources, passage deletion, boilerplate over published quotes -----------------------


def import_paragraphs(title: str, paragraphs: list[str], kind: str = "interview") -> Source:
    """A source of one passage per (short) paragraph, through the importer."""
    from kb.ingest.pipeline import plan_import
    from kb.ingest.plan import SourceMetadata
    from kb.ingest.store import store_plan

    text = "\n\n".join(paragraphs)
    result = store_plan(plan_import(text, SourceMetadata(title=title, kind=kind)))
    assert result.passages == len(paragraphs)
    return result.source


def import_interview(title: str, turns: int) -> Source:
    """An interview of ``turns`` question/answer pairs (2 passages each, quotes of the answers)."""
    return import_paragraphs(
        title, [line for i in range(turns) for line in (f"Q: Why {i}?", f"Lei Jun: Because {i}.")]
    )


def source_form_data(source, **changes):
    """The source change form's metadata fields (no passage rows)."""
    data = {
        "title": source.title,
        "slug": source.slug,
        "kind": source.kind,
        "url": source.url,
        "author": source.author,
        "publisher": source.publisher,
        "published": source.published.isoformat() if source.published else "",
        "year": source.year or "",
        "language": source.language,
        "notes": source.notes,
    }
    data.update(changes)
    return data


def test_it_edits_a_big_sources_metadata_without_the_passage_inline(admin_client, db):
    from kb.admin.sources import PASSAGE_INLINE_LIMIT

    source = import_interview("A long interview", PASSAGE_INLINE_LIMIT // 2 + 10)
    total = source.passages.count()
    assert total > PASSAGE_INLINE_LIMIT
    url = admin_url(Source, "change", source.pk)
    response = admin_client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"] == []
    assert "passages-TOTAL_FORMS" not in body
    # No row per passage: the page is the form and the text (a few hundred bytes).
    assert len(body) < 60_000 + len(source.text)
    passage_list = admin_url(Passage, "changelist") + f"?source__id__exact={source.pk}"
    assert f"{total:,} passages: " in body
    assert f'<a href="{passage_list}">edit them in the passage list</a>' in body.replace(
        "&amp;", "&"
    )
    listed = admin_client.get(passage_list)
    assert listed.status_code == 200 and listed.context["cl"].result_count == total

    response = admin_client.post(url, source_form_data(source, notes="Checked against print."))
    assert response.status_code == 302, response.context and response.context["errors"]
    source.refresh_from_db()
    assert source.notes == "Checked against print."
    assert source.passages.count() == total


def test_it_keeps_the_passage_inline_on_a_small_source(admin_client, small_corpus):
    source = small_corpus.source
    response = admin_client.get(admin_url(Source, "change", source.pk))
    (inline,) = response.context["inline_admin_formsets"]
    assert len(inline.formset.forms) == 3
    assert "3 passages, edited below" in response.content.decode()


def test_it_deletes_no_passage_on_its_own(admin_client, small_corpus):
    passage = small_corpus.passages[0]
    delete_url = admin_url(Passage, "delete", passage.pk)
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    url = admin_url(Passage, "changelist")
    assert "delete_selected" not in admin_client.get(url).content.decode()
    data = {"action": "delete_selected", "_selected_action": [passage.pk], "post": "yes"}
    admin_client.post(url, data)
    assert Passage.objects.filter(pk=passage.pk).exists()
    body = admin_client.get(admin_url(Passage, "change", passage.pk)).content.decode()
    assert 'class="deletelink"' not in body


@pytest.mark.parametrize("how", ["delete_view", "delete_selected"])
def test_it_lets_a_superuser_delete_a_whole_source_with_its_passages(admin_client, db, how):
    from kb.integrity import corpus_problems

    # An essay without quotes: a quote protects its passage (Quote.passage is PROTECT), so
    # the admin refuses to delete a source holding quotes until they are deleted.
    source = import_paragraphs(
        "To be deleted", [f"Part {i} of an essay." for i in range(3)], "essay"
    )
    if how == "delete_view":
        url = admin_url(Source, "delete", source.pk)
        response = admin_client.get(url)
        assert response.status_code == 200 and not response.context["perms_lacking"]
        response = admin_client.post(url, {"post": "yes"})
    else:
        url = admin_url(Source, "changelist")
        data = {"action": "delete_selected", "_selected_action": [source.pk]}
        response = admin_client.post(url, data)
        assert response.status_code == 200 and not response.context["perms_lacking"]
        response = admin_client.post(url, {**data, "post": "yes"})
    assert response.status_code == 302
    assert not Source.objects.filter(pk=source.pk).exists()
    assert not Passage.objects.filter(source_id=source.pk).exists()
    assert list(corpus_problems()) == []


def passage_form_data(passage, **changes):
    data = {"speaker": passage.speaker_id or ""}
    if passage.is_boilerplate:
        data["is_boilerplate"] = "on"
    data.update(changes)
    return data


def test_it_refuses_hiding_a_passage_that_holds_published_quotes(admin_client, small_corpus):
    passage = small_corpus.passages[1]  # a published quote, a draft, a published claim
    url = admin_url(Passage, "change", passage.pk)
    response = admin_client.post(url, passage_form_data(passage, is_boilerplate="on"))
    assert response.status_code == 200
    errors = str(response.context["errors"])
    assert "published quote “Focus is the first word of our method.”" in errors
    assert "published principle “Do few things”" in errors
    assert not Passage.objects.get(pk=passage.pk).is_boilerplate
    # A passage without published quotes or claims may be hidden.
    question = small_corpus.passages[0]
    url = admin_url(Passage, "change", question.pk)
    response = admin_client.post(url, passage_form_data(question, is_boilerplate="on"))
    assert response.status_code == 302
    assert Passage.objects.get(pk=question.pk).is_boilerplate


def test_it_refuses_hiding_a_passage_with_published_quotes_in_the_source_inline(
    admin_client, small_corpus
):
    source, passages = small_corpus.source, small_corpus.passages
    data = source_form_data(source, **passage_rows(source, passages))
    data["passages-2-is_boilerplate"] = "on"
    response = admin_client.post(admin_url(Source, "change", source.pk), data)
    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    errors = str(inline.formset.errors[2])
    assert "published quote “Users are our friends.”" in errors
    assert not Passage.objects.get(pk=passages[2].pk).is_boilerplate


def test_the_old_addresses_are_listed_read_only(
    admin_client, small_corpus, django_assert_max_num_queries
):
    from kb.models import SlugRedirect

    for obj, slug in ((small_corpus.source, "moved-source"), (small_corpus.focus, "moved-theme")):
        obj.slug = slug
        obj.save()
    assert SlugRedirect.objects.count() == 2
    with django_assert_max_num_queries(8):
        response = admin_client.get(admin_url(SlugRedirect, "changelist"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="/sources/moved-source/"' in body and 'href="/themes/moved-theme/"' in body
    assert admin_client.get(admin_url(SlugRedirect, "add")).status_code == 403
