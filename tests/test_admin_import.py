"""The admin import: upload or paste, preview (nothing written), confirm (the one pipeline)."""

import base64
import hashlib

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kb.admin.importing import NO_TEXT
from kb.models import Claim, Passage, Person, Principle, Quote, Source, Status

URL = "/admin/kb/source/import/"

INTERVIEW = """Lei Jun on the next ten years

Q: What has changed at Xiaomi?

A: The scale has changed. We still want to make friends with our users.

Q: Are your phones too cheap?

A: No. We set the price first and then work very hard to meet it.
"""

PROFILE = """Xiaomi's new phone

"We want every user to be our friend," said Wang Chuan, a co-founder of the company.

"Speed matters more than anything," Wang added.
"""

METADATA = {"kind": "interview", "subject": "Lei Jun", "interviewer": "Wang Li"}


def counts():
    return (
        Source.objects.count(),
        Passage.objects.count(),
        Quote.objects.count(),
        Person.objects.count(),
    )


def preview(client, text=None, *, file=None, **fields):
    data = {"preview": "Preview", **fields}
    if text is not None:
        data["text"] = text
    if file is not None:
        data["file"] = file
    return client.post(URL, data)


def carried_fields(response):
    """The hidden fields the preview page sends back, with the metadata as submitted."""
    carried = response.context["carried"]
    assert carried and carried["token"], response.context["form"].errors
    form = response.context["form"]
    fields = {
        key: form.data.get(key, "")
        for key in [*form.fields]
        if key not in ("file", "text", "data", "name", "sha256", "token")
        and key not in ("publish", "replace")
    }
    fields.update({key: carried[key] for key in ("data", "name", "sha256", "token")})
    return fields


def confirm(client, response, **changes):
    data = {**carried_fields(response), "confirm": "Confirm import", **changes}
    return client.post(URL, {key: value for key, value in data.items() if value is not None})


def form_errors(response) -> str:
    form = response.context["form"]
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@pytest.fixture
def importer(client, django_user_model):
    user = django_user_model.objects.create_user(
        "importer", password="a-long-test-password", is_staff=True
    )
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="kb", codename="add_source"),
        Permission.objects.get(content_type__app_label="kb", codename="view_source"),
    )
    client.force_login(user)
    return client


def test_it_answers_the_import_page_for_a_superuser(admin_client):
    assert reverse("admin:kb_source_import") == URL
    response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'name="file"' in html and 'name="text"' in html and 'name="preview"' in html
    assert 'name="confirm"' not in html
    assert "Import a source" in html  # the breadcrumb


def test_it_refuses_the_import_page_to_anonymous_users(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert client.post(URL, {"text": INTERVIEW, "preview": "1"}).status_code == 302
    assert counts() == (0, 0, 0, 0)


def test_it_refuses_the_import_page_to_staff_without_permission(staff_client):
    assert staff_client.get(URL).status_code == 403
    response = staff_client.post(URL, {"text": INTERVIEW, "preview": "1"})
    assert response.status_code == 403
    assert counts() == (0, 0, 0, 0)


def test_it_lets_staff_with_add_source_import(importer):
    assert importer.get(URL).status_code == 200
    response = preview(importer, INTERVIEW, **METADATA)
    assert confirm(importer, response).status_code == 302
    assert Source.objects.count() == 1


def test_it_links_the_import_page_from_the_source_changelist(admin_client, staff_client, db):
    html = admin_client.get(reverse("admin:kb_source_changelist")).content.decode()
    assert f'href="{URL}"' in html and "Import a source" in html
    assert "manage.py import_source" in html
    # The normal add form stays closed: it cannot cut passages.
    assert admin_client.get(reverse("admin:kb_source_add")).status_code == 403


def test_it_previews_a_pasted_interview_and_writes_nothing(admin_client):
    before = counts()
    response = preview(admin_client, INTERVIEW, **METADATA)
    assert response.status_code == 200
    assert counts() == before
    plan = response.context["plan"]
    assert [p.role for p in plan.passages] == ["title", "question", "answer", "question", "answer"]
    html = response.content.decode()
    assert "Lei Jun on the next ten years" in html
    assert "Wang Li" in html and "Lei Jun" in html
    assert "Q: What has changed at Xiaomi?" in html
    passages = response.context["preview"]["passages"]
    assert [p["speaker"] for p in passages] == ["", "Wang Li", "Lei Jun", "Wang Li", "Lei Jun"]
    quotes = response.context["preview"]["quotes"]
    assert [q["text"] for q in quotes] == [
        "The scale has changed. We still want to make friends with our users.",
        "No. We set the price first and then work very hard to meet it.",
    ]
    assert all(q["speaker"] == "Lei Jun" and q["attribution"] == "A:" for q in quotes)
    assert "We set the price first and then work very hard to meet it." in html
    assert 'name="confirm"' in html
    assert "already imported" not in html


def test_it_shows_unnamed_speakers_and_boilerplate(admin_client):
    text = (
        "Xiaomi opens a store\n\nSource: Example Daily\n\n"
        '"It is a good day," a company spokesman said.\n'
    )
    response = preview(admin_client, text)
    preview_ = response.context["preview"]
    assert any(p["is_boilerplate"] for p in preview_["passages"])
    assert [q["speaker"] for q in preview_["quotes"]] == ["(unnamed)"]
    html = response.content.decode()
    assert "(unnamed)" in html and "a company spokesman" in html and "boilerplate" in html


def test_it_imports_on_confirm_and_redirects_to_the_source(admin_client):
    response = preview(admin_client, INTERVIEW, publisher="Example Daily", **METADATA)
    assert counts() == (0, 0, 0, 0)
    response = confirm(admin_client, response, publish="on")
    source = Source.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:kb_source_change", args=[source.pk])
    assert source.text == INTERVIEW
    assert source.slug == "lei-jun-on-the-next-ten-years"
    assert source.kind == "interview" and source.publisher == "Example Daily"
    passages = list(source.passages.order_by("number"))
    assert len(passages) == 5
    assert passages[0].start == 0 and passages[-1].end <= len(source.text)
    for passage in passages:
        assert source.text[passage.start : passage.end] == passage.text
    assert passages[2].speaker.name == "Lei Jun" and passages[1].speaker.name == "Wang Li"
    quotes = list(source.quotes.all())
    assert len(quotes) == 2
    for quote in quotes:
        assert source.text[quote.start : quote.end] == quote.text
        assert quote.status == Status.PUBLISHED and quote.speaker.name == "Lei Jun"
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"{source.slug}: 5 passages (0 boilerplate), 2 speakers, 2 quotes" in shown
    page = admin_client.get(response["Location"])
    assert page.status_code == 200


def test_it_imports_an_uploaded_file_exactly_as_decoded(admin_client):
    data = PROFILE.replace("\n", "\r\n").encode("cp1252").replace(b"'", b"\x92")
    upload = SimpleUploadedFile("profile.txt", data, content_type="text/plain")
    response = preview(admin_client, file=upload, kind="profile", published="2014-05-02")
    assert response.status_code == 200
    assert response.context["carried"]["name"] == "profile.txt"
    assert counts() == (0, 0, 0, 0)
    assert confirm(admin_client, response).status_code == 302
    source = Source.objects.get()
    assert source.text == data.decode("cp1252")
    assert source.year == 2014 and source.kind == "profile"
    assert Quote.objects.get(text="We want every user to be our friend").speaker.name == (
        "Wang Chuan"
    )


def test_it_keeps_a_pasted_text_with_unix_line_ends(admin_client):
    response = preview(admin_client, INTERVIEW.replace("\n", "\r\n"), **METADATA)
    confirm(admin_client, response)
    assert Source.objects.get().text == INTERVIEW


@pytest.mark.parametrize(
    "fields,words",
    [
        ({"text": ""}, "upload a .txt file or paste"),
        ({"text": "  \n\t\n"}, "empty"),
        (
            {"file": lambda: SimpleUploadedFile("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\r")},
            "binary",
        ),
        ({"file": lambda: SimpleUploadedFile("notes.pdf", b"%PDF-1.4")}, ".txt"),
        ({"text": INTERVIEW, "url": "javascript:alert(1)"}, "bad url"),
        ({"text": INTERVIEW, "published": "2014-13-45"}, "bad date"),
        ({"text": INTERVIEW, "published": "15 July 2014"}, "bad date"),
        ({"text": INTERVIEW, "language": "english!"}, "bad language"),
        ({"text": INTERVIEW, "kind": "poem"}, "select a valid choice"),
        ({"text": "---\ntitle: x\nmood: happy\n---\nBody.\n"}, "unknown front matter key"),
        (
            {"text": INTERVIEW, "file": lambda: SimpleUploadedFile("a.txt", b"Other text.")},
            "not both",
        ),
    ],
    ids=[
        "empty",
        "blank",
        "binary",
        "not-txt",
        "javascript-url",
        "impossible-date",
        "prose-date",
        "language",
        "kind",
        "front-matter",
        "both",
    ],
)
def test_it_shows_bad_input_as_a_form_error_and_writes_nothing(admin_client, fields, words):
    data = {key: value() if callable(value) else value for key, value in fields.items()}
    response = admin_client.post(URL, {"preview": "Preview", **data})
    assert response.status_code == 200
    assert words in form_errors(response).lower()
    assert response.context["plan"] is None
    assert 'name="confirm"' not in response.content.decode()
    assert "errornote" in response.content.decode()
    assert counts() == (0, 0, 0, 0)


def test_it_refuses_a_file_over_the_size_limit(admin_client, settings):
    settings.KB_IMPORT_MAX_BYTES = 10
    upload = SimpleUploadedFile("big.txt", b"Eleven bytes and more.")
    response = preview(admin_client, file=upload)
    assert "larger than the 10 bytes limit" in form_errors(response)
    response = preview(admin_client, "A pasted text longer than ten bytes.")
    assert "larger than the 10 bytes limit" in form_errors(response)
    assert counts() == (0, 0, 0, 0)


def test_it_escapes_html_in_the_preview(admin_client):
    text = 'HTML in a text\n\n"<script>alert(1)</script> is not code here," said Wang Chuan.\n'
    response = preview(admin_client, text)
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    confirm(admin_client, response)
    assert "<script>alert(1)</script>" in Source.objects.get().text  # stored as written


def test_it_says_already_imported_and_offers_no_confirm(admin_client):
    confirm(admin_client, preview(admin_client, INTERVIEW, **METADATA))
    source = Source.objects.get()
    before = counts()
    response = preview(admin_client, INTERVIEW, **METADATA)
    html = response.content.decode()
    assert f"already imported {source.slug}" in html
    assert 'name="confirm"' not in html
    assert counts() == before


def test_it_refuses_a_tampered_confirm(admin_client):
    response = preview(admin_client, INTERVIEW, **METADATA)
    other = INTERVIEW.replace("very hard", "not at all").encode("utf-8")
    response = confirm(admin_client, response, data=base64.b64encode(other).decode("ascii"))
    assert response.status_code == 200
    assert "changed since the preview" in form_errors(response)
    assert counts() == (0, 0, 0, 0)
    # The page now previews what was sent; confirming that (seen) text works.
    assert "not at all" in response.content.decode()
    assert confirm(admin_client, response).status_code == 302
    assert Source.objects.get().text == other.decode("utf-8")


def test_it_refuses_a_confirm_whose_sha256_and_text_were_both_changed(admin_client):
    response = preview(admin_client, INTERVIEW, **METADATA)
    other = INTERVIEW.replace("very hard", "not at all").encode("utf-8")
    response = confirm(
        admin_client,
        response,
        data=base64.b64encode(other).decode("ascii"),
        sha256=hashlib.sha256(other).hexdigest(),
    )
    assert "changed since the preview" in form_errors(response)
    assert counts() == (0, 0, 0, 0)


def test_it_refuses_a_confirm_with_changed_metadata_or_no_preview(admin_client):
    response = preview(admin_client, INTERVIEW, **METADATA)
    changed = confirm(admin_client, response, subject="Someone Else")
    assert "changed since the preview" in form_errors(changed)
    forged = confirm(admin_client, response, token="forged")
    assert "not valid" in form_errors(forged)
    direct = admin_client.post(URL, {"text": INTERVIEW, "confirm": "Confirm import", **METADATA})
    assert "Preview the import before confirming" in form_errors(direct)
    assert counts() == (0, 0, 0, 0)


def test_it_asks_for_replace_when_the_title_is_taken(admin_client):
    confirm(admin_client, preview(admin_client, PROFILE))
    first = Source.objects.get()
    kept = Quote.objects.get(text="Speed matters more than anything")
    lost = Quote.objects.get(text="We want every user to be our friend")
    for quote in (kept, lost):
        quote.status = Status.PUBLISHED
        quote.save()
    principle = Principle.objects.create(title="Be fast")
    Claim.objects.create(
        principle=principle, text="Speed.", passage=kept.passage, start=kept.start, end=kept.end
    )
    changed = "Xiaomi's new phone\n\nAn added opening.\n\n" + PROFILE.split("\n\n", 2)[2]
    response = preview(admin_client, changed)
    assert "tick “replace”" in response.content.decode()
    ticked = preview(admin_client, changed, replace="on").content.decode()
    assert "This version will replace" in ticked and "tick “replace”" not in ticked
    before = counts()
    refused = confirm(admin_client, response)
    assert refused.status_code == 200
    assert "already stored as “xiaomis-new-phone”" in form_errors(refused)
    assert counts() == before
    response = confirm(admin_client, refused, replace="on")
    assert response.status_code == 302
    current = Source.objects.get(slug="xiaomis-new-phone")
    assert current.text == changed and current.pk != first.pk
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(m.endswith("[replaced]") for m in shown)
    assert any(
        m.startswith("No longer in the text, kept on the earlier version: quote")
        and "(now a draft)" in m
        for m in shown
    )
    kept.refresh_from_db()
    assert kept.source == current and current.text[kept.start : kept.end] == kept.text


def test_it_refuses_a_text_without_a_title(admin_client):
    response = preview(admin_client, "Just one sentence without a title line.\n")
    html = response.content.decode()
    assert "No title" in html and 'name="confirm"' not in html
    response = preview(admin_client, "Just one sentence without a title line.\n", title="Given")
    assert 'name="confirm"' in response.content.decode()


def test_it_imports_a_front_matter_title_and_a_labelled_first_paragraph(admin_client):
    text = (
        "---\ntitle: QA <b>Bold</b> quoted title\ninterviewer: QA interviewer\n---\n"
        "QA interviewer: What do you think of the phone market?\n\n"
        "Lei Jun: It is still growing.\n"
    )
    response = preview(admin_client, text, kind="interview", subject="Lei Jun")
    passages = response.context["preview"]["passages"]
    assert [(p["role"], p["speaker"]) for p in passages] == [
        ("question", "QA interviewer"),
        ("answer", "Lei Jun"),
    ]
    assert confirm(admin_client, response).status_code == 302
    source = Source.objects.get()
    assert source.slug == "qa-bold-quoted-title"
    first = source.passages.get(number=1)
    assert first.speaker.name == "QA interviewer"
    assert source.text[first.start : first.end] == first.text


@pytest.fixture
def editor(client, django_user_model):
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    call_command("setup_roles", verbosity=0)
    user = django_user_model.objects.create_user("editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return client


def test_it_offers_publish_only_to_users_who_may_publish(editor, admin_client):
    assert 'name="publish"' not in editor.get(URL).content.decode()
    assert 'name="replace"' in editor.get(URL).content.decode()
    assert 'name="publish"' in admin_client.get(URL).content.decode()


def test_it_refuses_a_forged_publish_from_an_editor(editor):
    response = preview(editor, INTERVIEW, **METADATA)
    assert 'name="publish"' not in response.content.decode()
    refused = confirm(editor, response, publish="on")
    assert refused.status_code == 200
    assert "You may not publish quotes" in form_errors(refused)
    assert counts() == (0, 0, 0, 0)
    refused = preview(editor, INTERVIEW, publish="true", **METADATA)
    assert "You may not publish quotes" in form_errors(refused)
    assert confirm(editor, response).status_code == 302
    assert set(Quote.objects.values_list("status", flat=True)) == {Status.DRAFT}


def test_it_reports_a_speaker_name_too_long_at_preview(admin_client):
    text = f"---\ntitle: Long\ninterviewer: {'N' * 300}\n---\nQ: Why?\n\nA: Because.\n"
    response = preview(admin_client, text, kind="interview")
    assert "bad interviewer" in form_errors(response)
    assert "300 characters, at most 200" in form_errors(response)
    assert response.context["plan"] is None
    assert 'name="confirm"' not in response.content.decode()
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "text,words",
    [
        (f"---\ntitle: Long\nauthor: {'A' * 201}\n---\nBody.\n", "bad author"),
        (f"---\ntitle: Long\npublisher: {'P' * 201}\n---\nBody.\n", "bad publisher"),
        ("---\ntitle: Only metadata\n---\n", "the text after the front matter is empty"),
        ("A title\n\nA text with a \x00 in it.\n", "contains a NUL character"),
    ],
    ids=["author", "publisher", "no-body", "nul"],
)
def test_it_reports_what_confirm_would_refuse_at_preview(admin_client, text, words):
    response = preview(admin_client, text)
    assert words in form_errors(response)
    assert NO_TEXT not in form_errors(response)
    assert 'name="confirm"' not in response.content.decode()
    assert counts() == (0, 0, 0, 0)
