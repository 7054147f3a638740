"""A slug changed in the admin keeps the old links working: 301 to the current address."""

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from django.test import Client

from kb.models import Status, Theme


def renamed(obj, slug):
    old, obj.slug = obj.slug, slug
    obj.save()  # through the model: the revision history keeps the old slug
    return old


def test_a_renamed_theme_answers_at_its_old_address(client, small_corpus):
    old = renamed(small_corpus.focus, "concentration")
    response = client.get(f"/themes/{old}/?page=2&year=2014")
    assert response.status_code == 301
    assert response["Location"] == "/themes/concentration/?page=2&year=2014"
    assert client.get(f"/feeds/themes/{old}.atom")["Location"] == "/feeds/themes/concentration.atom"
    assert client.get("/themes/concentration/").status_code == 200


def test_a_renamed_source_keeps_its_passage_links(client, small_corpus):
    source = small_corpus.source
    old = renamed(source, "focus-interview")
    response = client.get(f"/sources/{old}/p/2/")
    assert (response.status_code, response["Location"]) == (301, "/sources/focus-interview/p/2/")
    assert client.get(f"/sources/{old}/")["Location"] == "/sources/focus-interview/"
    assert client.get("/sources/focus-interview/p/99/").status_code == 404  # no such passage


def test_a_person_renamed_twice_is_found_from_either_old_slug(client, small_corpus):
    first = renamed(small_corpus.lei, "lei-jun-2")
    renamed(small_corpus.lei, "lei-jun-xiaomi")
    for slug in (first, "lei-jun-2"):
        for prefix in ("/people/", "/api/people/"):  # the pages and the API alike
            assert client.get(f"{prefix}{slug}/")["Location"] == f"{prefix}lei-jun-xiaomi/"


def test_a_slug_taken_by_another_row_is_that_rows_page(client, small_corpus):
    old = renamed(small_corpus.focus, "concentration")
    Theme.objects.create(name="Focus again", slug=old)
    response = client.get(f"/themes/{old}/")
    assert response.status_code == 200
    assert "Focus again" in response.content.decode()


def test_a_slug_nobody_ever_had_is_not_found(client, small_corpus):
    assert client.get("/themes/never-was/").status_code == 404
    assert client.get("/principles/never-was/").status_code == 404


@pytest.mark.parametrize("staff", [False, True])
def test_a_draft_principles_new_address_is_told_to_staff_only(staff_client, small_corpus, staff):
    principle = small_corpus.principle
    principle.status = Status.DRAFT
    principle.save()
    old = renamed(principle, "few-things")
    response = (staff_client if staff else Client()).get(f"/principles/{old}/")
    if staff:
        assert response["Location"] == "/principles/few-things/"
    else:
        assert response.status_code == 404


def test_filters_follow_renamed_slugs_as_addresses_do(client, small_corpus):
    def ids(url):
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        return [row["id"] for row in response.json()["results"]]

    before = {
        name: ids(f"/api/quotes/?{name}={getattr(small_corpus, attr).slug}")
        for name, attr in (("theme", "focus"), ("speaker", "lei"), ("source", "source"))
    }
    assert all(before.values())
    old = {
        "theme": renamed(small_corpus.focus, "concentration"),
        "speaker": renamed(small_corpus.lei, "lei-jun-xiaomi"),
        "source": renamed(small_corpus.source, "focus-interview"),
    }
    for name, slug in old.items():
        assert ids(f"/api/quotes/?{name}={slug}") == before[name], name
    export = client.get(f"/quotes/export.csv?theme={old['theme']}")
    csv_text = b"".join(export.streaming_content).decode()
    assert export.status_code == 200 and small_corpus.focus_quote.text in csv_text
    page = client.get(f"/quotes/?speaker={old['speaker']}&theme={old['theme']}")
    assert page.status_code == 200 and small_corpus.focus_quote.text in page.content.decode()
    found = client.get(f"/search/?q=focus&theme={old['theme']}")
    assert "No theme" not in found.content.decode()
    assert found.context["results"].theme == small_corpus.focus
    # A slug nothing ever had is still refused.
    assert client.get("/api/quotes/?theme=never-was").status_code == 400
