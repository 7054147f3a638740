"""Import a source from the admin: upload or paste, preview, confirm.

The same pipeline as ``manage.py import_source``: :func:`plan_from_bytes` makes the plan,
:func:`store_plan` writes it in one transaction.  Nothing is written at preview.

The preview page re-submits the same form: the text travels back as base64 in a hidden
field, with its sha256 and a token signed by the server over that sha256 and the
metadata.  On confirm the pipeline runs again on the bytes received, and the import only
goes ahead when they (and the metadata) are exactly what was previewed; otherwise the new
preview is shown for the editor to check and confirm.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from kb.ingest.decode import describe_size_limit
from kb.ingest.frontmatter import (
    FRONT_MATTER_KEYS,
    parse_published,
    validate_language,
    validate_url,
)
from kb.ingest.pipeline import plan_from_bytes
from kb.ingest.plan import ImportPlan, IngestError
from kb.ingest.store import environment_problem, known_people, slug_for, store_plan
from kb.models import Quote, Source
from kb.permissions import can_publish

TEMPLATE = "admin/kb/import_source.html"
METADATA_FIELDS = FRONT_MATTER_KEYS
TOKEN_SALT = "kb.admin.importing.preview"
TOKEN_MAX_AGE = 24 * 60 * 60  # a preview can be confirmed for a day
EXCERPT_CHARS = 100
_SHA256 = re.compile(r"[0-9a-f]{64}")

NO_TEXT = "Upload a .txt file or paste the text."
NUL_IN_TEXT = (
    "The pasted text contains a NUL character (U+0000), which no text document holds: "
    "remove it, or upload the file."
)
NO_PUBLISH = (
    "You may not publish quotes: import them as drafts (untick “publish”) and a reviewer "
    "will publish them (the “publish_quote” permission)."
)
TWO_TEXTS = "Upload a file or paste the text, not both."
NOT_PREVIEWED = "Preview the import before confirming it."
CHANGED = (
    "The text or its metadata changed since the preview: check the new preview below "
    "and confirm again."
)
EXPIRED = "The preview has expired or is not valid: check the new preview below and confirm again."
NO_TITLE = "No title: fill in the title, or give a 'title:' line in the front matter."
SLUG_TAKEN = (
    "A different text is already stored as “{slug}”: tick “replace” to store this "
    "version in its place, or change the title."
)


def can_import(request) -> bool:
    """Importing creates a source (and its passages, people, quotes): it needs add_source.

    ``SourceAdmin.has_add_permission`` stays False so the normal add form (which cannot
    cut passages) is never offered.
    """
    user = request.user
    return (
        user.is_active and user.is_staff and (user.is_superuser or user.has_perm("kb.add_source"))
    )


def _ingest_validator(function):
    def validate(value):
        try:
            return function(value)
        except IngestError as error:
            raise forms.ValidationError(str(error)) from None

    return validate


class ImportSourceForm(forms.Form):
    # Step 1: the text, as a file or pasted (exactly one).
    file = forms.FileField(
        required=False,
        label="Text file",
        help_text="A .txt file, UTF-8 or another encoding (detected).",
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,text/plain"}),
    )
    text = forms.CharField(
        required=False,
        strip=False,  # every offset indexes the text: keep it exactly
        label="Or paste the text",
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100, "class": "vLargeTextField"}),
        # CharField refuses U+0000 with a generic message; say which text has it.
        error_messages={"null_characters_not_allowed": NUL_IN_TEXT},
    )
    # After a preview: the text's bytes, their name and sha256, and the server's token.
    data = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    name = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    sha256 = forms.CharField(required=False, widget=forms.HiddenInput)
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    # Metadata: each one, when given, wins over the text's front matter.
    title = forms.CharField(required=False, max_length=300)
    url = forms.CharField(required=False, max_length=500, label="URL")
    author = forms.CharField(required=False, max_length=200)
    publisher = forms.CharField(required=False, max_length=200)
    published = forms.CharField(
        required=False,
        max_length=100,
        label="Published date",
        help_text="YYYY-MM-DD",
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "size": 10}),
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "— from the front matter, else other —"), *Source.Kind.choices],
    )
    language = forms.CharField(
        required=False, max_length=20, help_text="A code such as en or zh-CN (default en)."
    )
    subject = forms.CharField(
        required=False,
        max_length=200,
        help_text="The person the source is by or about: the essay's author, the interviewee.",
    )
    interviewer = forms.CharField(
        required=False,
        max_length=200,
        help_text="Who asks the questions in an interview when the text does not name them.",
    )
    publish = forms.BooleanField(
        required=False,
        help_text="Publish the extracted quotes (and the new people who speak them; "
        "otherwise new people wait as drafts).",
    )
    replace = forms.BooleanField(
        required=False,
        help_text="Store this text in place of a different one already stored under the "
        "same title (curated quotes are re-anchored to the new text).",
    )

    STEP_ONE_FIELDS = ("file", "text")
    HIDDEN_FIELDS = ("data", "name", "sha256", "token")

    def __init__(self, *args, max_bytes: int, may_publish: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        # Publishing needs kb.publish_quote, as in the publish action and the change form:
        # without it the option is not offered, and a forged "publish" is refused in clean().
        self.may_publish = may_publish
        if not may_publish:
            del self.fields["publish"]

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if not upload.name.lower().endswith(".txt"):
            raise forms.ValidationError("Upload a .txt file.")
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                f"file is larger than the {describe_size_limit(self.max_bytes)} limit"
            )
        return upload

    def clean_data(self):
        value = self.cleaned_data.get("data") or ""
        if not value:
            return None
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise forms.ValidationError(
                "The previewed text was damaged in transit: start over."
            ) from None

    def clean_sha256(self):
        value = (self.cleaned_data.get("sha256") or "").strip().lower()
        if value and not _SHA256.fullmatch(value):
            raise forms.ValidationError("Not a sha256.")
        return value

    def clean_url(self):
        return _ingest_validator(validate_url)(self.cleaned_data["url"].strip())

    def clean_published(self):
        value = self.cleaned_data["published"].strip()
        _ingest_validator(parse_published)(value)
        return value

    def clean_language(self):
        value = self.cleaned_data["language"].strip()
        if value:
            _ingest_validator(validate_language)(value)
        return value

    def clean(self):
        cleaned = super().clean()
        given = [
            bool(cleaned.get("file")),
            bool(cleaned.get("text")),
            bool(cleaned.get("data")),
        ]
        if not self.may_publish and forms.BooleanField().to_python(self.data.get("publish")):
            self.add_error(None, NO_PUBLISH)
        if "file" in self.errors or "text" in self.errors or "data" in self.errors:
            return cleaned
        if sum(given) > 1:
            raise forms.ValidationError(TWO_TEXTS)
        if not any(given):
            raise forms.ValidationError(NO_TEXT)
        return cleaned

    def source_bytes(self) -> tuple[bytes, str]:
        """The bytes to import and the name they came under (after ``is_valid()``)."""
        cleaned = self.cleaned_data
        if cleaned.get("file"):
            upload = cleaned["file"]
            return upload.read(self.max_bytes + 1), upload.name
        if cleaned.get("text"):
            # A browser sends a textarea's line breaks as CRLF; the pasted text had "\n".
            text = cleaned["text"].replace("\r\n", "\n").replace("\r", "\n")
            return text.encode("utf-8"), "pasted text"
        return cleaned["data"], cleaned.get("name") or "pasted text"

    def options(self) -> dict[str, str]:
        """The metadata given, for :func:`plan_from_bytes` (empty values are left out)."""
        values = {key: (self.cleaned_data.get(key) or "").strip() for key in METADATA_FIELDS}
        return {key: value for key, value in values.items() if value}

    def metadata_fields(self):
        return [self[name] for name in METADATA_FIELDS]

    def choice_fields(self):
        return [self[name] for name in ("publish", "replace") if name in self.fields]


def preview_token(digest: str, options: dict) -> str:
    return signing.dumps({"sha256": digest, "options": _options_digest(options)}, salt=TOKEN_SALT)


def _options_digest(options: dict) -> str:
    return hashlib.sha256(json.dumps(options, sort_keys=True).encode("utf-8")).hexdigest()


def _check_previewed(form: ImportSourceForm, digest: str, options: dict) -> str | None:
    """Why the confirmed bytes and metadata are not what was previewed; None when they are."""
    cleaned = form.cleaned_data
    if not cleaned.get("data") or not cleaned.get("token"):
        return NOT_PREVIEWED
    try:
        signed = signing.loads(cleaned["token"], salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return EXPIRED
    if not isinstance(signed, dict):
        return EXPIRED
    if cleaned.get("sha256") != digest or signed.get("sha256") != digest:
        return CHANGED
    if signed.get("options") != _options_digest(options):
        return CHANGED
    return None


def import_source_view(model_admin, request):
    """``admin/kb/source/import/``: step 1, preview, confirm."""
    if not can_import(request):
        raise PermissionDenied
    max_bytes = settings.KB_IMPORT_MAX_BYTES
    form_options = {"max_bytes": max_bytes, "may_publish": can_publish(request.user, Quote)}
    if request.method != "POST":
        form = ImportSourceForm(**form_options)
        return _render(model_admin, request, form)

    form = ImportSourceForm(request.POST, request.FILES, **form_options)
    if not form.is_valid():
        carried = _carried_from(form)
        return _render(model_admin, request, form, carried=carried)

    data, name = form.source_bytes()
    options = form.options()
    digest = hashlib.sha256(data).hexdigest()
    from_step_one = not form.cleaned_data.get("data")
    try:
        plan = plan_from_bytes(data, options, known_people(), name=name, max_bytes=max_bytes)
    except IngestError as error:
        form.add_error(None, str(error))
        # A text refused at step 1 must be fixed and given again; a previewed one stays.
        carried = None if from_step_one else _carried(data, name, options)
        return _render(model_admin, request, form, carried=carried)

    carried = _carried(data, name, options)
    if "confirm" in request.POST:
        refusal = _check_previewed(form, digest, options)
        if refusal:
            form.add_error(None, refusal)
            return _render(model_admin, request, form, plan=plan, carried=carried)
        problem = _store_problem(plan, replace=form.cleaned_data["replace"])
        if problem:
            form.add_error(None, problem)
            return _render(model_admin, request, form, plan=plan, carried=carried)
        try:
            with transaction.atomic():
                result = store_plan(
                    plan,
                    slug=slug_for(plan),
                    publish=form.may_publish and form.cleaned_data.get("publish", False),
                    replace=form.cleaned_data["replace"],
                )
        except IngestError as error:
            form.add_error(None, str(error))
            return _render(model_admin, request, form, plan=plan, carried=carried)
        except (DatabaseError, OSError) as error:
            problem = environment_problem(error)
            if problem is None:
                raise
            form.add_error(
                None,
                f"The source could not be stored: {problem}. Nothing was written; the "
                "preview below is kept, confirm again once the problem is fixed.",
            )
            return _render(model_admin, request, form, plan=plan, carried=carried)
        return _done(model_admin, request, result)

    return _render(model_admin, request, form, plan=plan, carried=carried)


def _store_problem(plan: ImportPlan, *, replace: bool) -> str | None:
    """What ``store_plan`` would refuse, worded for the admin (it words it for the command)."""
    if Source.objects.filter(sha256=plan.sha256).exists():
        return None  # store_plan answers "already imported", nothing to refuse
    if not plan.metadata.title.strip():
        return NO_TITLE
    slug = slug_for(plan)
    if slug and not replace and Source.objects.filter(slug=slug).exists():
        return SLUG_TAKEN.format(slug=slug)
    return None


def _done(model_admin, request, result):
    source = result.source
    if result.status == "exists":
        model_admin.message_user(request, result.summary(), messages.WARNING)
    else:
        model_admin.log_addition(request, source, f"Imported from the admin: {result.summary()}")
        model_admin.message_user(request, result.summary(), messages.SUCCESS)
    for line in result.to_check:
        model_admin.message_user(
            request, f"Re-anchored to changed words, please check: {line}", messages.WARNING
        )
    for orphan in result.orphans:
        model_admin.message_user(
            request,
            f"No longer in the text, kept on the earlier version: {orphan}",
            messages.WARNING,
        )
    return HttpResponseRedirect(reverse("admin:kb_source_change", args=[source.pk]))


def _carried(data: bytes, name: str, options: dict) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    return {
        "data": base64.b64encode(data).decode("ascii"),
        "name": name,
        "sha256": digest,
        "token": preview_token(digest, options),
        "size": len(data),
    }


def _carried_from(form: ImportSourceForm) -> dict | None:
    """Keep a previewed text through a form error in the metadata (no new token)."""
    cleaned = getattr(form, "cleaned_data", {})
    data = cleaned.get("data")
    if not data:
        return None
    return {
        "data": base64.b64encode(data).decode("ascii"),
        "name": cleaned.get("name") or "pasted text",
        "sha256": hashlib.sha256(data).hexdigest(),
        "token": "",
        "size": len(data),
    }


def _render(model_admin, request, form, *, plan: ImportPlan | None = None, carried=None):
    opts = model_admin.model._meta
    existing = slug_owner = None
    if plan is not None:
        existing = Source.objects.filter(sha256=plan.sha256).only("pk", "slug", "title").first()
        slug = slug_for(plan)
        if existing is None and slug:
            slug_owner = Source.objects.filter(slug=slug).only("pk", "slug", "title").first()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Import a source",
        "opts": opts,
        "app_label": opts.app_label,
        "has_view_permission": model_admin.has_view_permission(request),
        "form": form,
        "carried": carried,
        "max_size": describe_size_limit(settings.KB_IMPORT_MAX_BYTES),
        "plan": plan,
        "preview": _describe(plan) if plan is not None else None,
        "existing": existing,
        "slug_owner": slug_owner,
        "replacing": "replace" in form.fields and bool(form["replace"].value()),
        "slug": slug_for(plan) if plan is not None else "",
        # Confirm only what this page shows: a fresh token, a new text, a title.
        "can_confirm": plan is not None
        and carried is not None
        and bool(carried.get("token"))
        and existing is None
        and bool(plan.metadata.title.strip()),
    }
    return TemplateResponse(request, TEMPLATE, context)


def _describe(plan: ImportPlan) -> dict:
    text = plan.text
    passages = [
        {
            "number": p.number,
            "role": p.role,
            "speaker": p.speaker or "",
            "is_boilerplate": p.is_boilerplate,
            "start": p.start,
            "end": p.end,
            "excerpt": _excerpt(text[p.start : p.end]),
        }
        for p in plan.passages
    ]
    quotes = [
        {
            "passage": q.passage_number,
            "speaker": q.speaker or "(unnamed)",
            "attribution": q.attribution,
            "reason": q.reason,
            "text": text[q.start : q.end],
        }
        for q in plan.quotes
    ]
    meta = plan.metadata
    metadata = [
        ("Title", meta.title),
        ("URL", meta.url),
        ("Author", meta.author),
        ("Publisher", meta.publisher),
        ("Published", meta.published.isoformat() if meta.published else ""),
        ("Kind", meta.kind),
        ("Language", meta.language),
        ("Subject", meta.subject),
        ("Interviewer", meta.interviewer),
    ]
    return {
        "metadata": metadata,
        "passages": passages,
        "quotes": quotes,
        "people": plan.people,
        # Who the import would create (as drafts): a company or a heading taken for a
        # name shows here, before anything is written.
        "new_people": [person.name for person in plan.people if not person.existing],
        "speakers": sorted({p.speaker for p in plan.passages if p.speaker}),
        "characters": len(text),
        "boilerplate": plan.boilerplate_count,
        # A guessed encoding may have garbled the text, which would be stored for good:
        # the editor checks the lines it may have garbled before confirming.
        "encoding_warning": plan.decoding_warning,
        "encoding_samples": plan.decoding.samples if plan.decoding_warning else (),
    }


def _excerpt(text: str, length: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
