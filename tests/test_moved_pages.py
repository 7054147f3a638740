"""A slug changed in the admin keeps the old links working: 301 to the current address."""

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from django.test import Client

from kb.models import SlugRedirect, Status, Theme


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


def test_a_chain_of_renames_answers_in_one_hop_with_one_indexed_lookup(
    client, small_corpus, django_assert_max_num_queries
):
    theme = small_corpus.focus
    first = renamed(theme, "concentration")
    renamed(theme, "focus-first")
    renamed(theme, "few-things")
    for slug in (first, "concentration", "focus-first"):
        # The page's own (its content version, the 404), the redirect, nobody holds it.
        with django_assert_max_num_queries(4):
            response = client.get(f"/themes/{slug}/")
        assert (response.status_code, response["Location"]) == (301, "/themes/few-things/")
    # Renamed back: the slug it holds again is its page, and the others lead there.
    renamed(theme, first)
    assert client.get(f"/themes/{first}/").status_code == 200
    assert client.get("/themes/few-things/")["Location"] == f"/themes/{first}/"


def test_a_bulk_update_of_slugs_writes_the_redirects_too(client, small_corpus):
    old = small_corpus.focus.slug
    assert Theme.objects.filter(pk=small_corpus.focus.pk).update(slug="bulk-renamed") == 1
    assert client.get(f"/themes/{old}/")["Location"] == "/themes/bulk-renamed/"
    theme = Theme.objects.get(pk=small_corpus.focus.pk)
    theme.slug = "bulk-again"
    Theme.objects.bulk_update([theme], ["slug"])
    assert client.get(f"/themes/{old}/")["Location"] == "/themes/bulk-again/"
    assert SlugRedirect.objects.filter(theme=theme).count() == 2


def test_a_merged_themes_address_leads_to_the_theme_it_was_merged_into(client, small_corpus):
    from kb import curation

    other = small_corpus.pricing
    old = renamed(other, "prices")
    curation.merge_themes(small_corpus.focus, other)
    for slug in (old, "prices"):
        assert client.get(f"/themes/{slug}/")["Location"] == f"/themes/{small_corpus.focus.slug}/"


def test_the_migration_finds_every_earlier_slug_in_the_history(client, small_corpus):
    """0015_history_redirects_from_history, run on today's history: the same answers."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("kb.migrations.0015_history_redirects_from_history")
    first = renamed(small_corpus.lei, "lei-jun-2")
    renamed(small_corpus.lei, "lei-jun-xiaomi")
    old_theme = renamed(small_corpus.focus, "concentration")
    SlugRedirect.objects.all().delete()
    assert client.get(f"/people/{first}/").status_code == 404
    migration.redirects_from_history(apps, None)
    assert client.get(f"/people/{first}/")["Location"] == "/people/lei-jun-xiaomi/"
    assert client.get("/people/lei-jun-2/")["Location"] == "/people/lei-jun-xiaomi/"
    assert client.get(f"/themes/{old_theme}/")["Location"] == "/themes/concentration/"
    assert SlugRedirect.objects.count() == 3
