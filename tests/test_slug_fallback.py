"""A theme or person whose name slugifies to nothing (emoji, symbols, non-Latin letters)
gets ``theme-…`` / ``person-…``; names that slugify already keep their slugs."""

import hashlib
import re

import pytest
from django.core.validators import validate_slug

from kb.ingest.pipeline import plan_from_bytes
from kb.ingest.store import store_plan
from kb.models import Person, Theme

FALLBACK = re.compile(r"(theme|person)-[0-9a-f]{8}")


def expected(prefix: str, name: str) -> str:
    return f"{prefix}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Focus", "focus"), ("Lei Jun", "lei-jun"), ("Café Élan", "cafe-elan"), ("小米 2", "2")],
)
def test_names_that_slugify_keep_the_slug_they_had(db, name, slug):
    assert Theme.objects.create(name=name).slug == slug
    assert Person.objects.create(name=name).slug == slug


def test_a_taken_slug_still_gets_a_number(db):
    Theme.objects.create(name="Focus")
    assert Theme.objects.create(name="focus!").slug == "focus-2"


@pytest.mark.parametrize("name", ["🚀", "★ ☆", "雷军", "שלום", "مرحبا", "—"])
def test_a_name_without_latin_letters_or_digits_gets_a_fallback_slug(db, name):
    # Before: slugify() gave "" and every such row was "item", "item-2", ...
    theme = Theme.objects.create(name=name)
    person = Person.objects.create(name=name)
    assert theme.slug == expected("theme", name)
    assert person.slug == expected("person", name)
    validate_slug(theme.slug)  # what SlugField and the <slug:> URLs accept


def test_fallback_slugs_are_unique_and_the_pages_answer(client, db):
    rocket = Theme.objects.create(name="🚀")
    star = Theme.objects.create(name="⭐")
    lei = Person.objects.create(name="雷军")
    assert rocket.slug != star.slug
    assert rocket.get_absolute_url() == f"/themes/{rocket.slug}/"
    assert client.get(rocket.get_absolute_url()).status_code == 200
    assert client.get(lei.get_absolute_url()).status_code == 200


def test_a_fallback_slug_is_stable(db):
    theme = Theme.objects.create(name="🚀")
    first = theme.slug
    theme.name = "🚀🚀"
    theme.save()
    assert Theme.objects.get().slug == first  # a rename keeps the URL
    theme.delete()
    # The same name gives the same slug again, on any database, whatever came before.
    Theme.objects.create(name="⭐")
    assert Theme.objects.create(name="🚀").slug == first


def test_a_fallback_slug_taken_by_hand_gets_a_number(db):
    Theme.objects.create(name="Rockets", slug=expected("theme", "🚀"))
    assert Theme.objects.create(name="🚀").slug == expected("theme", "🚀") + "-2"


def test_the_importer_gives_a_chinese_speaker_a_usable_slug(db):
    plan = plan_from_bytes(
        "访谈\n\nQ: 小米的下一步是什么？\n\nA: 我们要和用户交朋友。\n".encode(),
        {"title": "访谈", "kind": "interview", "subject": "雷军", "interviewer": "王立"},
    )
    store_plan(plan, slug="fang-tan")
    slugs = dict(Person.objects.values_list("name", "slug"))
    assert slugs["雷军"] == expected("person", "雷军")
    assert all(FALLBACK.fullmatch(slug) for slug in slugs.values()), slugs


def test_a_chinese_title_is_imported_and_replaced_under_one_slug(db):
    from kb.ingest.store import slug_for
    from kb.models import Source

    def store(text: str):
        plan = plan_from_bytes(text.encode(), {"title": "雷军的演讲", "kind": "speech"})
        return store_plan(plan, slug=slug_for(plan), replace=True)

    first = store("雷军的演讲\n\n我们要和用户交朋友。\n")
    assert first.source.slug == expected("source", "雷军的演讲")  # was "item", "item-2"…
    second = store("雷军的演讲\n\n我们要和用户交朋友，做感动人心的产品。\n")
    assert second.status == "replaced"
    assert list(Source.objects.values_list("slug", flat=True)) == [first.source.slug]


def test_the_admin_adds_a_principle_with_a_chinese_title_and_an_empty_slug(admin_client):
    from kb.models import Principle

    response = admin_client.post(
        "/admin/kb/principle/add/",
        {
            "title": "雷军的原则",
            "slug": "",
            "summary": "",
            "status": "draft",
            "claims-TOTAL_FORMS": "0",
            "claims-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Principle.objects.get().slug == expected("principle", "雷军的原则")


# -- the admin: the prepopulated slug is empty for such names ---------------------------


def test_the_admin_adds_an_emoji_theme_with_an_empty_slug(admin_client):
    # Django's URLify (prepopulated_fields) types "" for "🚀": this was "This field is
    # required."
    response = admin_client.post(
        "/admin/kb/theme/add/", {"name": "🚀", "slug": "", "description": ""}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Theme.objects.get(name="🚀").slug == expected("theme", "🚀")


def test_the_admin_adds_a_chinese_person_with_an_empty_slug(admin_client):
    response = admin_client.post(
        "/admin/kb/person/add/",
        {"name": "雷军", "slug": "", "aliases": "", "description": "", "status": "published"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Person.objects.get(name="雷军").slug == expected("person", "雷军")


def test_the_admin_keeps_a_typed_slug_and_still_refuses_a_bad_one(admin_client):
    admin_client.post("/admin/kb/theme/add/", {"name": "🚀", "slug": "rockets"})
    assert Theme.objects.get().slug == "rockets"
    response = admin_client.post("/admin/kb/theme/add/", {"name": "⭐", "slug": "rockets"})
    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    response = admin_client.post("/admin/kb/theme/add/", {"name": "⭐", "slug": "星星"})
    assert "slug" in response.context["adminform"].form.errors
    assert Theme.objects.count() == 1
