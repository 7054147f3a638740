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
