"""Autocomplete widgets that survive a value naming no row.

Django's autocomplete widgets look up the submitted value to show it again with the form's
errors; a value that is not even an id ("abc", from a tampered form) made that lookup raise
and the page a server error instead of "Select a valid choice".
"""

from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError

from kb.models import Passage
from kb.texts import excerpt


class _ShowsOnlyPossibleValues:
    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.attname)
        possible = []
        for item in value:
            try:
                target.to_python(item)
            except (ValidationError, TypeError, ValueError):
                continue  # the form reports it; there is no row to show
            possible.append(item)
        return super().optgroups(name, possible, attr)


class SafeAutocompleteSelect(_ShowsOnlyPossibleValues, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ShowsOnlyPossibleValues, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin:
    """For a ModelAdmin or an inline: its ``autocomplete_fields`` use the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        if db_field.related_model is Passage and "queryset" not in kwargs:
            # A passage is shown by its source's slug: one query for all the chosen ones,
            # without each one's source row read whole (its text is the original, MBs).
            kwargs["queryset"] = Passage.objects.select_related("source").defer(
                "source__text", "source__notes"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class PassageTextAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete answers, a passage's with the start of its text: a picker
    that says "xiaomi-2010 ¶7 — I told the team that…", not only "xiaomi-2010 ¶7"."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, Passage):
            result["text"] = f"{result['text']} — {excerpt(obj.text, 90)}"
        return result


def install(site):
    """Serve ``site``'s autocomplete with the view above (before its URLs are built)."""
    site.autocomplete_view = lambda request: PassageTextAutocompleteJsonView.as_view(
        admin_site=site
    )(request)
