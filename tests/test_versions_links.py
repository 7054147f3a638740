"""Links across versions of a source (``import_source --replace``) and across renamed slugs.

A source renamed in the admin and then replaced keeps its old links: they lead to the
current version, whether the earlier one was kept (``<slug>-superseded``, ``superseded_by``
set) or deleted. Earlier versions stay out of what readers choose from. Also the API's
``page_size`` message and the cite endpoint's description of the APA locator.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from kb.models import Principle, Quote, SlugRedirect, Source, Status

TITLE = "Lei Jun on speed"
# The title the editor renamed the source to: a file with it replaces the renamed source.
RENAMED_TITLE = "Lei Jun on speed, 2014"
OLD, NEW = "lei-jun-on-speed", "lei-jun-on-speed-2014"

TEXT = """Reporter: Why does Xiaomi move so fast?

Lei Jun: "We want every user to be our friend," said Lei Jun in Beijing.

Lei Jun: "Speed matters more than anything," Lei Jun added.
"""
# Each later version loses the words of one quote: the version before it is kept.
# (The whole sentence goes: a quote with a few words changed is re-anchored, not lost.)
WITHOUT_FRIEND = TEXT.replace(
    '"We want every user to be our friend," said Lei Jun in Beijing.', "Users come first."
)
WITHOUT_EITHER = WITHOUT_FRIEND.replace("Speed matters more than anything", "We ship weekly")


def import_text(tmp_path, text: str, title: str, *args: str) -> str:
    path = tmp_path / "source.txt"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_source", str(path), "--title", title, *args, stdout=out, stderr=out)
    return out.getvalue()


def rename(slug: str, new: str) -> None:
    """As an editor does in the admin: the history keeps the old slug."""
    source = Source.objects.get(slug=slug)
    source.slug = new
    source.save()


@pytest.fixture
def renamed(db, tmp_path):
    """A source imported as OLD, published, then renamed NEW by an editor."""
    import_text(tmp_path, TEXT, TITLE, "--publish")
    rename(OLD, NEW)
    return tmp_path


def replace(tmp_path, text: str) -> Source:
    import_text(tmp_path, text, RENAMED_TITLE, "--replace")
    return Source.objects.get(slug=NEW)


# --- 1. a renamed source replaced, the earlier version kept --------------------------------


def test_it_sends_a_renamed_sources_old_address_to_the_current_version(client, renamed):
    current = replace(renamed, WITHOUT_FRIEND)
    earlier = Source.objects.get(superseded_by=current)
    assert earlier.slug == f"{NEW}-superseded"  # the importer kept it under this slug
    assert client.get(f"/sources/{OLD}/")["Location"] == f"/sources/{NEW}/"
    assert client.get(f"/sources/{OLD}/p/2/?x=1")["Location"] == f"/sources/{NEW}/p/2/?x=1"
    assert client.get(f"/api/sources/{OLD}/")["Location"] == f"/api/sources/{NEW}/"
    # The earlier version itself is still read at its own address.
    assert client.get(f"/sources/{earlier.slug}/").status_code == 200


def test_after_several_replacements_old_links_and_the_banner_reach_the_current_one(
    client, renamed, django_assert_max_num_queries
):
    replace(renamed, WITHOUT_FRIEND)
    current = replace(renamed, WITHOUT_EITHER)
    first, second = Source.objects.exclude(pk=current.pk).order_by("pk")
    assert (first.superseded_by, second.superseded_by) == (second, current)
    with django_assert_max_num_queries(8):
        response = client.get(f"/sources/{OLD}/")
    assert response["Location"] == f"/sources/{NEW}/"
    assert client.get(f"/api/sources/{OLD}/cite/")["Location"] == f"/api/sources/{NEW}/cite/"
    for url in (f"/sources/{first.slug}/", f"/sources/{first.slug}/p/1/"):
        html = client.get(url).content.decode()
        assert "An earlier version." in html
        assert f'<a href="/sources/{NEW}/">{current.title}</a>' in html
        assert f'href="/sources/{second.slug}/"' not in html


def test_a_cycle_of_versions_ends_the_walk(client, db, tmp_path):
    import_text(tmp_path, TEXT, TITLE)
    import_text(tmp_path, WITHOUT_FRIEND, "Another title")
    one, other = Source.objects.order_by("pk")
    # Not something the importer makes: rows edited by hand into a loop.
    Source.objects.filter(pk=one.pk).update(superseded_by=other)
    Source.objects.filter(pk=other.pk).update(superseded_by=one)
    rename(one.slug, "renamed")
    html = client.get("/sources/renamed/").content.decode()
    assert f'<a href="/sources/{other.slug}/">' in html  # the newer version it names
    # The walk stops before it comes back: at the row the renamed one names.
    assert client.get(f"/sources/{OLD}/")["Location"] == f"/sources/{other.slug}/"


# --- 2. a renamed source replaced, the earlier version deleted -----------------------------


def test_a_renamed_and_replaced_sources_old_address_finds_the_new_row(
    client, renamed, django_assert_max_num_queries
):
    current = replace(renamed, TEXT + "\nOne more line.\n")
    assert list(Source.objects.all()) == [current]  # nothing was lost: the earlier is gone
    # The page's two (its content version, the 404) and five to find the new address.
    with django_assert_max_num_queries(7):
        response = client.get(f"/sources/{OLD}/?page=2")
    assert (response.status_code, response["Location"]) == (301, f"/sources/{NEW}/?page=2")
    assert client.get(f"/sources/{OLD}/p/2/")["Location"] == f"/sources/{NEW}/p/2/"
    assert client.get(f"/api/sources/{OLD}/")["Location"] == f"/api/sources/{NEW}/"


def test_a_deleted_holders_later_slug_taken_by_nobody_is_not_found(client, renamed):
    Source.objects.get(slug=NEW).delete()
    assert client.get(f"/sources/{OLD}/").status_code == 404
    assert client.get(f"/sources/{NEW}/").status_code == 404


def test_a_deleted_holder_does_not_lead_to_a_slug_it_had_before(client, renamed):
    """Only the slugs it had after the one asked for: ``OLD`` was had before ``NEW``."""
    rename(NEW, "third-name")
    Source.objects.get(slug="third-name").delete()
    import_text(renamed, WITHOUT_EITHER, "Unrelated")
    rename("unrelated", OLD)  # OLD is held now: that row's page
    assert client.get(f"/sources/{OLD}/").status_code == 200
    assert client.get(f"/sources/{NEW}/").status_code == 404
    assert client.get("/sources/third-name/").status_code == 404


@pytest.mark.parametrize("staff", [False, True])
def test_an_archived_principles_old_address_is_gone_as_its_page_is(staff_client, db, staff):
    """Archived is what "delete" in the admin does: out of the site for staff too."""
    client = staff_client if staff else Client()
    principle = Principle.objects.create(title="Few things", slug="few", status=Status.PUBLISHED)
    principle.slug = "few-things"
    principle.save()
    assert client.get("/principles/few/")["Location"] == "/principles/few-things/"
    principle.status = Status.ARCHIVED
    principle.save()
    assert client.get("/principles/few/").status_code == 404
    assert client.get("/principles/few-things/").status_code == 404


def test_a_deleted_rows_old_addresses_go_with_it(client, db):
    """A real delete (a separate, guarded action) takes the row's redirects (CASCADE): a
    row made later under its last slug does not inherit the slugs it had before."""
    principle = Principle.objects.create(title="Few things", slug="few", status=Status.PUBLISHED)
    principle.slug = "few-things"
    principle.save()
    principle.delete()
    assert not SlugRedirect.objects.exists()
    Principle.objects.create(title="Few things", slug="few-things", status=Status.PUBLISHED)
    assert client.get("/principles/few/").status_code == 404
    assert client.get("/principles/few-things/").status_code == 200


# --- 3. earlier versions out of readers' lists ---------------------------------------------


@pytest.fixture
def two_versions(renamed):
    """The source replaced once, its earlier version kept (a quote lost its words)."""
    current = replace(renamed, WITHOUT_FRIEND)
    return current, Source.objects.get(superseded_by=current)


def test_a_persons_page_lists_the_current_version_only(client, two_versions):
    current, earlier = two_versions
    html = client.get("/people/lei-jun/").content.decode()
    assert f'href="/sources/{current.slug}/"' in html
    assert f'href="/sources/{earlier.slug}/"' not in html
    people = {p.slug: p for p in client.get("/people/").context["people"]}
    assert people["lei-jun"].source_count == 1


def test_the_home_page_lists_and_counts_current_versions_only(client, two_versions):
    current, earlier = two_versions
    response = client.get("/")
    assert [s.slug for s in response.context["sources"]] == [current.slug]
    assert response.context["source_total"] == 1


def test_the_quote_filters_offer_readers_current_versions_only(staff_client, two_versions):
    current, earlier = two_versions
    # What the earlier version holds: the quote that lost its words, now a draft.
    assert Quote.objects.get(source=earlier).status == Status.DRAFT
    option = f'<option value="{earlier.slug}"'
    html = Client().get("/quotes/").content.decode()
    assert f'<option value="{current.slug}"' in html and option not in html
    assert option in staff_client.get("/quotes/").content.decode()  # staff see its drafts
    # Named in a link, it is still a valid filter (and stays chosen).
    response = Client().get("/quotes/", {"source": earlier.slug})
    assert response.context["valid"]  # a lazy bool
    assert f"{option} selected" in response.content.decode()
    assert Client().get("/api/quotes/", {"source": earlier.slug}).status_code == 200


# --- 4. page_size -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["page_size=%00&page_size=5", "page_size=5&page_size=%00", "page_size=5%00"]
)
def test_a_nul_page_size_is_quoted_not_the_valid_one_beside_it(client, db, query):
    response = client.get(f"/api/quotes/?{query}")
    assert response.status_code == 400
    (message,) = response.json()["page_size"]
    assert message.startswith("Invalid page size '") and "\\x00'" in message, message
    assert "'5'" not in message


# --- 5. the cite endpoint's description ------------------------------------------------------


def test_the_schema_describes_the_apa_paragraph_locator_as_para(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    described = [
        schema["paths"]["/api/quotes/{id}/cite/"]["get"]["description"],
        schema["components"]["schemas"]["QuoteCitation"]["description"],
    ]
    for text in described:
        assert 'APA "Para. n."' in text, text
