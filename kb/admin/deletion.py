"""The admin's "Are you sure?" page for a deletion, without the originals' text.

Django's page lists what a deletion takes with it (``admin.utils.get_deleted_objects``). Its
collector joins each row it finds to the row that led to it, every column included: each of
a source's passages came with the whole source, its original text and search vector too. A
3,450-passage source of 300 KB moved about a gigabyte from PostgreSQL for a 300 KB page (6 s
on PostgreSQL, a QA helper saw 42 s with a larger text). ``get_deleted_objects`` here is
Django's with a collector that leaves those columns out (a row's name never needs them).
"""

from __future__ import annotations

from django.contrib.admin.utils import NestedObjects, quote
from django.db import router
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

# Columns no admin name (``__str__``) reads, by model: the original text.
UNNAMED_COLUMNS = {"Source": ("text",)}
DEFAULT_UNNAMED = ()


def _unnamed(model) -> list[str]:
    names = UNNAMED_COLUMNS.get(model.__name__, DEFAULT_UNNAMED)
    return [name for name in names if any(f.name == name for f in model._meta.concrete_fields)]


class NamesOnlyCollector(NestedObjects):
    def related_objects(self, related_model, related_fields, objs):
        found = super().related_objects(related_model, related_fields, objs)
        deferred = _unnamed(related_model)
        for field in related_fields:  # the joined rows that led here
            deferred += [f"{field.name}__{name}" for name in _unnamed(field.related_model)]
        return found.defer(*deferred)


def _link_name(obj) -> str:
    """A many-to-many link row in words: "Link between quote “…” and theme “Vision”"."""
    ends = [f for f in obj._meta.concrete_fields if f.is_relation]
    described = [f"{f.related_model._meta.verbose_name} “{getattr(obj, f.name)}”" for f in ends]
    return "Link between " + " and ".join(described)


def get_deleted_objects(objs, request, admin_site):
    """``(to_delete, model_count, perms_needed, protected)`` as Django's function gives them."""
    try:
        first = objs[0]
    except IndexError:
        return [], {}, set(), []
    collector = NamesOnlyCollector(using=router.db_for_write(first._meta.model), origin=objs)
    collector.collect(objs)
    perms_needed = set()

    def format_callback(obj):
        opts = obj._meta
        if opts.auto_created:  # a many-to-many link ("Quote_themes object (56)" otherwise)
            return _link_name(obj)
        no_edit_link = f"{capfirst(opts.verbose_name)}: {obj}"
        if not admin_site.is_registered(obj.__class__):
            return no_edit_link
        if not admin_site.get_model_admin(obj.__class__).has_delete_permission(request, obj):
            perms_needed.add(opts.verbose_name)
        try:
            url = reverse(
                f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                None,
                (quote(obj.pk),),
            )
        except NoReverseMatch:
            return no_edit_link
        return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)

    to_delete = collector.nested(format_callback)
    protected = [format_callback(obj) for obj in collector.protected]
    model_count: dict[str, int] = {}
    for model, found in collector.model_objs.items():
        name = "links" if model._meta.auto_created else model._meta.verbose_name_plural
        model_count[name] = model_count.get(name, 0) + len(found)
    return to_delete, model_count, perms_needed, protected
