"""Bulk actions shared by the quote and principle admins: status changes and themes."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from kb import curation
from kb.admin.autocomplete import SafeAutocompleteSelect
from kb.admin.base import action_with_form
from kb.models import Person, Status, Theme
from kb.permissions import can_publish, check_transition


def themes_by_name():
    return Prefetch("themes", queryset=Theme.objects.order_by("name"))


def change_status(modeladmin, request, queryset, status, *, validate=False):
    """Set ``status`` on each selected object with ``save()``; report what was refused."""
    changed, refused = 0, []
    try:
        check_transition(request.user, modeladmin.model(), status)
    except ValidationError as exc:
        modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
        return
    for obj in queryset:
        if obj.status == status:
            continue
        previous, obj.status = obj.status, status
        if validate:
            try:
                obj.full_clean()
                modeladmin.check_publishable(obj)
            except ValidationError as exc:
                obj.status = previous
                refused.append(f"“{obj}”: {' '.join(exc.messages)}")
                continue
        obj._history_user = request.user
        obj.save()
        changed += 1
    label = Status(status).label.lower()
    if changed:
        name = modeladmin.model._meta.verbose_name
        plural = modeladmin.model._meta.verbose_name_plural
        modeladmin.message_user(
            request,
            f"{changed} {name if changed == 1 else plural} set to {label}.",
            messages.SUCCESS,
        )
    for reason in refused:
        modeladmin.message_user(request, f"Not set to {label}: {reason}", messages.ERROR)
    if not changed and not refused:
        modeladmin.message_user(request, f"Nothing to change: already {label}.", messages.INFO)


class StatusActionsMixin:
    """Bulk publish / back to draft / send to review / reject."""

    actions = ["publish", "unpublish", "send_to_review", "reject"]
    guarded_actions = ("publish", "reject")

    def get_actions(self, request):
        """Publish and reject are offered only to users who may use them (and refused too)."""
        actions = super().get_actions(request)
        if not can_publish(request.user, self.model):
            for name in self.guarded_actions:
                actions.pop(name, None)
        return actions

    def check_publishable(self, obj):
        """Extra checks before publishing, beyond the model's ``full_clean``."""

    @admin.action(description="Publish the selected %(verbose_name_plural)s")
    def publish(self, request, queryset):
        change_status(self, request, queryset, Status.PUBLISHED, validate=True)

    @admin.action(description="Unpublish the selected %(verbose_name_plural)s (back to draft)")
    def unpublish(self, request, queryset):
        change_status(self, request, queryset, Status.DRAFT)

    @admin.action(description="Send the selected %(verbose_name_plural)s to review")
    def send_to_review(self, request, queryset):
        change_status(self, request, queryset, Status.REVIEW)

    @admin.action(description="Reject the selected %(verbose_name_plural)s")
    def reject(self, request, queryset):
        change_status(self, request, queryset, Status.REJECTED)


def autocomplete(modeladmin, field_name: str) -> SafeAutocompleteSelect:
    """The admin's search-as-you-type select for ``field_name`` of the admin's model.

    It asks /admin/autocomplete/ with that field (as an autocomplete_fields entry does), so
    the choices are the related admin's search results, for users who may view them.
    """
    field = modeladmin.model._meta.get_field(field_name)
    return SafeAutocompleteSelect(field, modeladmin.admin_site)


def theme_choice_form(modeladmin) -> type[forms.Form]:
    class ThemeChoiceForm(forms.Form):
        theme = forms.ModelChoiceField(
            queryset=Theme.objects.all(), widget=autocomplete(modeladmin, "themes")
        )

    return ThemeChoiceForm


def speaker_choice_form(modeladmin) -> type[forms.Form]:
    class SpeakerChoiceForm(forms.Form):
        speaker = forms.ModelChoiceField(
            queryset=Person.objects.all(),
            required=False,
            help_text="Empty: no speaker.",
            widget=autocomplete(modeladmin, "speaker"),
        )

    return SpeakerChoiceForm


class ThemeActionsMixin:
    """Bulk add or remove a theme (chosen on a confirmation page)."""

    @admin.action(
        description="Add a theme to the selected %(verbose_name_plural)s", permissions=["change"]
    )
    def add_theme(self, request, queryset):
        def apply(data):
            n = curation.add_theme(queryset, data["theme"])
            self.message_user(request, f"Theme “{data['theme']}” added to {n}.")

        return action_with_form(
            self,
            request,
            queryset,
            form=theme_choice_form(self),
            title="Add a theme",
            apply=apply,
        )

    @admin.action(
        description="Remove a theme from the selected %(verbose_name_plural)s",
        permissions=["change"],
    )
    def remove_theme(self, request, queryset):
        def apply(data):
            n = curation.remove_theme(queryset, data["theme"])
            self.message_user(request, f"Theme “{data['theme']}” removed from {n}.")

        return action_with_form(
            self,
            request,
            queryset,
            form=theme_choice_form(self),
            title="Remove a theme",
            apply=apply,
        )
