"""Revision history in the admin (django-simple-history), change reasons, actions with a form.

Every curated model's admin derives from :class:`CuratedAdmin`: a "History" page listing
who changed what and when, a revert to an earlier version (where it is safe), an optional
"reason for the change" field stored with the revision, and a "Deleted …" page listing the
deleted rows with a "Restore" button (``kb.curation.restore_deleted``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from kb import cache, curation
from kb.admin import deletion
from kb.admin.autocomplete import SafeAutocompleteMixin
from kb.curation import GUARDED_STATUSES, check_transition

REASON_FIELD = "change_reason"
ACTION_TEMPLATE = "admin/kb/action_form.html"
DELETED_TEMPLATE = "admin/kb/deleted_list.html"
DELETED_PER_PAGE = 50


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


class CuratedAdmin(SafeAutocompleteMixin, SimpleHistoryAdmin):
    form = CuratedForm
    history_revert = True  # False: the history is shown, never reverted from here
    change_list_template = "admin/kb/change_list.html"  # the "Deleted … (n)" link

    def delete_model(self, request, obj):
        with cache.one_change():  # a source goes with its passages: one new token
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with cache.one_change():
            super().delete_queryset(request, queryset)

    def get_deleted_objects(self, objs, request):
        # Django's, without loading a source's whole text for each of its passages.
        return deletion.get_deleted_objects(objs, request, self.admin_site)

    @property
    def restorable(self) -> bool:
        """Deleted rows are listed and restorable (kb.curation.RESTORABLE says which)."""
        return self.model in curation.RESTORABLE

    def _urlname(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self):
        urls = super().get_urls()
        if not self.restorable:
            return urls
        # Before the defaults: their "<path:object_id>/" would take "deleted/".
        return [
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name=self._urlname("deleted"),
            ),
            path(
                "deleted/<int:object_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name=self._urlname("restore"),
            ),
            *urls,
        ]

    def changelist_view(self, request, extra_context=None):
        if self.restorable:
            extra_context = {
                **(extra_context or {}),
                "deleted_url": reverse(f"admin:{self._urlname('deleted')}"),
                "deleted_total": curation.deleted_records(self.model).count(),
            }
        return super().changelist_view(request, extra_context)

    def deleted_view(self, request):
        """The deleted rows, newest deletion first, with who deleted them and a Restore button."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        page = Paginator(curation.deleted_records(self.model), DELETED_PER_PAGE).get_page(
            request.GET.get("p")
        )
        records = list(page.object_list)
        reasons = curation.blockers(self.model, records)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Deleted {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "page": page,
            "rows": [(record, reasons[record.history_id]) for record in records],
            "can_restore": self.has_add_permission(request),
            "restore_urlname": f"admin:{self._urlname('restore')}",
        }
        return TemplateResponse(request, DELETED_TEMPLATE, context)

    def restore_view(self, request, object_id):
        """Restore a deleted row (POST, the model's add permission), then show it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            result = curation.restore_deleted(self.model, object_id, user=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(reverse(f"admin:{self._urlname('deleted')}"))
        obj = result.obj
        self.log_addition(request, obj, curation.RESTORE_REASON)
        url = reverse(f"admin:{self._urlname('change')}", args=[obj.pk])
        self.message_user(
            request,
            format_html('{} <a href="{}">“{}”</a>.', curation.RESTORE_REASON, url, str(obj)),
            messages.SUCCESS,
        )
        for note in result.notes:
            self.message_user(request, note, messages.WARNING)
        return HttpResponseRedirect(url)

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
