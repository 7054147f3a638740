"""The base of every editors' admin: revision history, change reasons, archiving, actions
with a form.

Every curated model's admin derives from :class:`CuratedAdmin`: a "History" page listing
who changed what and when (django-simple-history), a revert to an earlier version (where
it is safe), and an optional "reason for the change" field stored with the revision.

For the archivable models (``kb.curation.ARCHIVABLE``: quotes, principles, people) "delete"
archives (the row leaves the site and keeps its history), the "Restore" action brings it
back, and "Delete for good" is a separate action for those with the ``purge_<model>``
permission. Archiving published work is a reviewer's decision (``kb.permissions``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin import action as admin_action
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from kb import cache, curation
from kb.admin import deletion
from kb.admin.autocomplete import SafeAutocompleteMixin
from kb.models import Status
from kb.permissions import (
    GUARDED_STATUSES,
    can_delete_for_good,
    can_publish,
    check_archive,
    check_transition,
)

REASON_FIELD = "change_reason"
ACTION_TEMPLATE = "admin/kb/action_form.html"
ARCHIVE_TEMPLATE = "admin/kb/archive_confirmation.html"
# The actions of an archivable model's admin (add them to its ``actions``).
ARCHIVE_ACTIONS = ["delete_selected", "restore_selected", "delete_for_good"]


class CuratedForm(forms.ModelForm):
    """The model's form plus the optional change reason and the publish-permission check."""

    change_reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=100,
        help_text="Optional: kept with this revision in the history.",
    )
    request = None  # set by CuratedAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hide_refused_statuses()

    def hide_refused_statuses(self):
        """Offer only the statuses this user may choose (``clean`` still refuses the rest).

        An editor without the publish permission sees no "Published" or "Rejected" choice,
        except the one the object already has (shown, so the form says what it is).
        """
        field = self.fields.get("status")
        if field is None or self.request is None:
            return
        if can_publish(self.request.user, self._meta.model):
            return
        current = self.instance.status if self.instance.pk else None
        # The widget's choices only: a forged "published" still reaches ``clean``, which
        # refuses it with the reason (the field's own check would say "not a valid choice").
        field.widget.choices = [
            (value, label)
            for value, label in field.choices
            if value not in GUARDED_STATUSES or value == current
        ]

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
        if self.request is not None and status == Status.ARCHIVED and self.instance.pk:
            stored = type(self.instance).objects.filter(pk=self.instance.pk).first()
            if stored is not None:
                try:
                    check_archive(self.request.user, stored)
                except ValidationError as exc:
                    self.add_error("status", exc)
        return cleaned


class CuratedAdmin(SafeAutocompleteMixin, SimpleHistoryAdmin):
    form = CuratedForm
    history_revert = True  # False: the history is shown, never reverted from here
    change_list_template = "admin/kb/change_list.html"  # the "Archived … (n)" link
    object_history_list_template = "admin/kb/history_list.html"  # no literal "None"

    @property
    def archivable(self) -> bool:
        """ "Delete" archives this model's rows (kb.curation.ARCHIVABLE says which)."""
        return self.model in curation.ARCHIVABLE

    def delete_model(self, request, obj):
        with cache.one_change():  # a source goes with its passages: one new token
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with cache.one_change():
            super().delete_queryset(request, queryset)

    def get_deleted_objects(self, objs, request):
        # Django's, without loading a source's whole text for each of its passages.
        return deletion.get_deleted_objects(objs, request, self.admin_site)

    def changelist_view(self, request, extra_context=None):
        if self.archivable:
            url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            extra_context = {
                **(extra_context or {}),
                "archived_url": f"{url}?status__exact={Status.ARCHIVED}",
                "archived_total": self.model.objects.filter(status=Status.ARCHIVED).count(),
            }
        return super().changelist_view(request, extra_context)

    # Archiving ---------------------------------------------------------------------------

    def _archive_one(self, request, obj) -> bool:
        try:
            with cache.one_change():
                changed = curation.archive(obj, user=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return False
        if changed:
            self.log_change(request, obj, curation.ARCHIVE_REASON)
        return changed

    def delete_view(self, request, object_id, extra_context=None):
        """For an archivable model: "Are you sure?", then archive (never a real delete)."""
        if not self.archivable:
            return super().delete_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]
        )
        if request.method == "POST":
            if self._archive_one(request, obj):
                self.message_user(
                    request,
                    f"The {self.opts.verbose_name} “{obj}” was archived: it is off the site. "
                    "The “Restore” action brings it back.",
                    messages.SUCCESS,
                )
                changelist = reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
                )
                return HttpResponseRedirect(changelist)
            return HttpResponseRedirect(change_url)
        refusal = ""
        try:
            check_archive(request.user, obj)
        except ValidationError as exc:
            refusal = " ".join(exc.messages)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Archive this {self.opts.verbose_name}?",
            "opts": self.opts,
            "object": obj,
            "change_url": change_url,
            "refusal": refusal,
            "archived": obj.status == Status.ARCHIVED,
            **(extra_context or {}),
        }
        return TemplateResponse(request, ARCHIVE_TEMPLATE, context)

    @admin_action(
        description="Archive the selected %(verbose_name_plural)s", permissions=["delete"]
    )
    def delete_selected(self, request, queryset):
        """Replaces Django's site-wide delete action: archive, each row on its own."""
        archived = sum(self._archive_one(request, obj) for obj in queryset)
        if archived:
            self.message_user(
                request,
                f"{archived} archived: off the site, restorable with “Restore”.",
                messages.SUCCESS,
            )

    @admin_action(
        description="Restore the selected archived %(verbose_name_plural)s",
        permissions=["change"],
    )
    def restore_selected(self, request, queryset):
        restored = 0
        with cache.one_change():
            for obj in queryset:
                if curation.restore(obj, user=request.user):
                    self.log_change(request, obj, curation.RESTORE_REASON)
                    restored += 1
        if restored:
            label = Status(curation.RESTORED_STATUS[self.model]).label.lower()
            self.message_user(request, f"{restored} restored (as {label}).", messages.SUCCESS)
        else:
            self.message_user(request, "None of them was archived.", messages.INFO)

    def has_purge_permission(self, request) -> bool:
        return can_delete_for_good(request.user, self.model)

    @admin_action(
        description="Delete the selected %(verbose_name_plural)s for good (not archive)",
        permissions=["purge"],
    )
    def delete_for_good(self, request, queryset):
        if not self.has_purge_permission(request):
            raise PermissionDenied

        def apply(data):
            rows = list(queryset)
            try:
                with cache.one_change():
                    self.log_deletions(request, rows)
                    curation.delete_for_good(rows, user=request.user)
            except PermissionDenied as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            self.message_user(request, f"{len(rows)} deleted for good.", messages.SUCCESS)

        return action_with_form(
            self,
            request,
            queryset,
            form=PurgeForm,
            title=f"Delete {self.opts.verbose_name_plural} for good",
            intro="They are deleted, not archived: they cannot be restored here, and their "
            "old addresses stop answering. Their revision history is kept.",
            apply=apply,
        )

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


class PurgeForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, delete them for good", help_text="Archiving can be undone; this cannot."
    )


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


__all__ = ["ARCHIVE_ACTIONS", "CuratedAdmin", "CuratedForm", "action_with_form"]
