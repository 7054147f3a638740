"""store: the slug a source is stored under, and store_plan writing it."""

from kb.ingest.pipeline import plan_import
from kb.ingest.plan import SourceMetadata
from kb.ingest.store import slug_for, store_plan

TAGGED_TITLE = "QA <b>Bold</b> quoted title"


def test_it_makes_the_slug_from_the_title_without_its_tags():
    plan = plan_import("Some text.", SourceMetadata(title=TAGGED_TITLE))
    assert slug_for(plan) == "qa-bold-quoted-title"


def test_it_stores_a_source_given_no_slug_under_the_title_without_its_tags(db):
    plan = plan_import("Some text.", SourceMetadata(title=TAGGED_TITLE))
    source = store_plan(plan).source
    assert source.slug == "qa-bold-quoted-title"
    assert source.title == TAGGED_TITLE  # the title itself is stored as given


def test_people_an_import_creates_are_drafts_until_an_editor_publishes_them(
    db, client, admin_client
):
    from django.urls import reverse

    from kb.models import Person, Status

    Person.objects.create(name="Lei Jun", slug="lei-jun", aliases=["Lei"])
    text = 'Lei Jun on shops\n\n"Shops matter," said IDC analyst Will Wong. "Yes," Lei Jun said.'
    store_plan(plan_import(text, SourceMetadata(kind="article")))
    wong = Person.objects.get(name="Will Wong")
    assert wong.status == Status.DRAFT
    assert Person.objects.get(name="Lei Jun").status == Status.PUBLISHED  # untouched
    assert not Person.objects.filter(name__icontains="idc").exists()
    assert list(Person.objects.published()) == [Person.objects.get(name="Lei Jun")]
    assert set(Person.objects.visible_to(None)) == set(Person.objects.published())
    people_page = reverse("kb:person_list")
    assert "Will Wong" not in client.get(people_page).content.decode()
    assert client.get(wong.get_absolute_url()).status_code == 404
    assert "Will Wong" in admin_client.get(people_page).content.decode()  # staff see drafts
    wong.status = Status.PUBLISHED
    wong.save()
    assert "Will Wong" in client.get(people_page).content.decode()


def test_an_import_that_publishes_its_quotes_publishes_their_new_speakers(db):
    from kb.models import Person, Status

    text = 'Shops\n\n"Shops matter," said IDC analyst Will Wong.'
    store_plan(plan_import(text, SourceMetadata(kind="article")), publish=True)
    assert Person.objects.get(name="Will Wong").status == Status.PUBLISHED
