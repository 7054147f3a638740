"""Revision history in the admin (django-simple-history), change reasons, actions with a form.

Every curated model's admin derives from :class:`CuratedAdmin`: a "History" page listing
who changed what and when, a revert to an earlier version (where it is safe), and an
optional "reason for the change" field stored with the revision.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from kb.curation import GUARDED_STATUSES, check_transition

REASON_FIELD = "change_reason"
ACTION_TEMPLATE = "admin/kb/action_form.html"


class CuratedForm(forms.ModelForm):
    """The model's form plus the optional change reason and the publish-permission check."""

    change_reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=100,
        help_text="Optional: kept with this revision in the history.",
    )
    request = None  # set by CuratedAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if self.request is not None and status in GUARDED_STATUSES:
            instance = self.instance
            current = None
            if instance.pk:
                current = (
                    type(instance)
                    .objects.filter(pk=instance.pk)
                    .values_list("status", flat=True)
                    .first()
                )
            if status != current:
                try:
                    check_transition(self.request.user, instance, status)
                except ValidationError as exc:
                    self.add_error("status", exc)
        return cleaned


class CuratedAdmin(SimpleHistoryAdmin):
    form = CuratedForm
    history_revert = True  # False: the history is shown, never reverted from here

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if not any(REASON_FIELD in opts.get("fields", ()) for _, opts in fieldsets):
            fieldsets.append(("Revision", {"fields": [REASON_FIELD]}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get(REASON_FIELD) if hasattr(form, "cleaned_data") else ""
        if reason:
            obj._change_reason = reason
        super().save_model(request, obj, form, change)

    def revert_disabled(self, request, obj=None):
        return not self.history_revert or super().revert_disabled(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.history_revert:
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def action_with_form(modeladmin, request, queryset, *, form, title, apply, intro=""):
    """An admin action that asks for a value on an intermediate page, then applies it.

    ``form`` is a bound-able Form class (``form(data)``); ``apply(cleaned_data)`` does the
    work and returns None (or a message was sent). Returns the page, or None when done.
    """
    bound = form(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and bound.is_valid():
        try:
            apply(bound.cleaned_data)
        except ValidationError as exc:
            modeladmin.message_user(request, " ".join(exc.messages), level="error")
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": modeladmin.model._meta,
        "form": bound,
        "objects": queryset,
        "action": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
        "media": modeladmin.media + bound.media,
    }
    return TemplateResponse(request, ACTION_TEMPLATE, context)


__all__ = ["CuratedAdmin", "CuratedForm", "action_with_form"]
