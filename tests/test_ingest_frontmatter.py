"""Front matter: the optional ``---`` block, and metadata merging and validation."""

from datetime import date

import pytest

from kb.ingest.frontmatter import build_metadata, split_front_matter
from kb.ingest.plan import IngestError, SourceMetadata

FRONT = (
    "---\n"
    "title: Lei Jun: the Xiaomi model\n"
    "url: https://example.com/lei-jun?id=4\n"
    'publisher: "Fortune China"\n'
    "published: 2014-07-15\n"
    "kind: interview\n"
    "\n"
    "subject: Lei Jun\n"
    "---\n"
    "Body line one.\n\n---\nnot front matter\n"
)


def test_it_splits_front_matter_from_the_body_untouched():
    front, body = split_front_matter(FRONT)
    assert front == {
        "title": "Lei Jun: the Xiaomi model",
        "url": "https://example.com/lei-jun?id=4",
        "publisher": "Fortune China",
        "published": "2014-07-15",
        "kind": "interview",
        "subject": "Lei Jun",
    }
    assert body == "Body line one.\n\n---\nnot front matter\n"


def test_it_handles_crlf_front_matter_and_keeps_the_body_crlf():
    front, body = split_front_matter("---\r\nauthor: Wang\r\n---\r\nText\r\nmore\r\n")
    assert front == {"author": "Wang"}
    assert body == "Text\r\nmore\r\n"


@pytest.mark.parametrize("text", ["No front matter here.\n", "\n---\ntitle: x\n---\n", "---"])
def test_it_returns_the_text_unchanged_without_front_matter(text):
    assert split_front_matter(text) == ({}, text)


def test_it_names_an_unknown_key():
    with pytest.raises(IngestError) as error:
        split_front_matter("---\ntitle: x\nrating: 5\n---\nbody")
    assert "unknown front matter key 'rating'" in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: x\njust a line\n---\nbody", "malformed front matter line 3"),
        ("---\ntitle: x\nbody without a closing fence\n", "malformed front matter line 3"),
        ("---\ntitle: x\n", "front matter is not closed by a '---' line"),
        ("---\ntitle: x\ntitle: y\n---\n", "front matter key 'title' is given twice"),
    ],
)
def test_it_refuses_malformed_blocks(text, message):
    with pytest.raises(IngestError) as error:
        split_front_matter(text)
    assert message in str(error.value)


def test_it_builds_metadata_with_options_winning_unless_empty():
    front = {"title": "From file", "kind": "essay", "subject": "Lei Jun", "published": "2014-07-15"}
    options = {"title": "From options", "kind": None, "subject": "  ", "verbosity": 2}
    assert build_metadata(front, options) == SourceMetadata(
        title="From options",
        kind="essay",
        subject="Lei Jun",
        published=date(2014, 7, 15),
    )


def test_it_defaults_kind_and_language():
    metadata = build_metadata({}, {})
    assert (metadata.kind, metadata.language, metadata.published) == ("other", "en", None)


def test_it_accepts_kind_in_any_case_and_a_date_object():
    metadata = build_metadata({"kind": "Interview"}, {"published": date(2014, 1, 2)})
    assert (metadata.kind, metadata.published) == ("interview", date(2014, 1, 2))


@pytest.mark.parametrize("value", ["15/07/2014", "2014-13-01", "2014-02-30", "2014-7-5", "soon"])
def test_it_refuses_bad_dates(value):
    with pytest.raises(IngestError) as error:
        build_metadata({"published": value}, {})
    assert str(error.value).startswith(f"bad date {value!r}")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://example.com/file",
        "http://",
        "https:///path",
        "example.com/page",
        "https://exa mple.com/",
    ],
)
def test_it_refuses_bad_urls(url):
    with pytest.raises(IngestError) as error:
        build_metadata({}, {"url": url})
    assert str(error.value).startswith(f"bad URL {url!r}")


@pytest.mark.parametrize("url", ["http://example.com", "HTTPS://Example.com/a?b=c#d"])
def test_it_keeps_good_urls_as_given(url):
    assert build_metadata({"url": url}, {}).url == url


def test_it_lists_the_kind_choices():
    with pytest.raises(IngestError) as error:
        build_metadata({"kind": "podcast"}, {})
    assert str(error.value) == (
        "bad kind 'podcast': choose one of interview, article, essay, profile, speech, other"
    )


def test_a_speech_or_essays_speaker_line_is_its_subject():
    front, body = split_front_matter(
        "---\ntitle: A letter\nkind: essay\nspeaker: Lei Jun\n---\nDear friends,\n"
    )
    assert front["subject"] == "Lei Jun" and body == "Dear friends,\n"
    assert build_metadata(front, {}).subject == "Lei Jun"
