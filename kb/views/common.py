"""Small helpers shared by the page views: pagination, counts, and filter chips."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, QueryDict
from django.utils.functional import cached_property

from kb.models import Status

PER_PAGE = 20
# Passages on a page of a source: a page is a run of this many passage numbers, so the page
# holding passage N is ``(N - 1) // PASSAGES_PER_PAGE + 1`` (``source_page_url``).
PASSAGES_PER_PAGE = 100


def source_page_url(source_url: str, number: int) -> str:
    """The address of passage ``number`` on its source's page: ``/sources/s/?page=3#p-250``."""
    page = (int(number) - 1) // PASSAGES_PER_PAGE + 1
    return f"{source_url}?page={page}#p-{number}" if page > 1 else f"{source_url}#p-{number}"


# Columns a quote card never shows: the whole source text and the passage text.
CARD_DEFER = ("source__text", "passage__text")


def published_quotes(relation: str = "quotes") -> Count:
    """Count of the published quotes reached through ``relation``."""
    return Count(relation, filter=Q(**{f"{relation}__status": Status.PUBLISHED}), distinct=True)


# A <select> longer than this becomes a text input taking the slug: rendering ten thousand
# options costs more than the rest of the page (bench pages), and nobody scrolls them.
MAX_SELECT_OPTIONS = 200


def bounded_selects(form, limit: int = MAX_SELECT_OPTIONS):
    """``form`` with each single-choice model <select> of more than ``limit`` rows as a text
    input for the slug (its value is still checked against the rows)."""
    for field in form.fields.values():
        if not isinstance(field, forms.ModelChoiceField) or isinstance(
            field, forms.ModelMultipleChoiceField
        ):
            continue
        # Whether there are more than ``limit``: reads limit + 1 ids at most, never counts all.
        if len(field.queryset.order_by().values_list("pk", flat=True)[: limit + 1]) > limit:
            field.widget = forms.TextInput(attrs={"placeholder": "slug", "spellcheck": "false"})
    return form


# The deepest page a list serves. OFFSET makes the database walk past every row before the
# page, so an unbounded page number is a scan that grows with the archive (bench pages);
# past this, readers narrow the filters or reverse the order, which reaches the other end.
MAX_PAGES = 50


class BoundedPaginator(Paginator):
    """A Paginator serving pages 1 to ``MAX_PAGES`` only; ``count`` stays the true total."""

    max_pages = MAX_PAGES

    @cached_property
    def all_pages(self) -> int:
        return Paginator.num_pages.func(self)

    @cached_property
    def num_pages(self) -> int:
        return min(self.all_pages, self.max_pages)

    @property
    def truncated(self) -> bool:
        """More pages exist than are served."""
        return self.all_pages > self.max_pages

    def page(self, number):
        """The page's ids first (one narrow query: no joins, no columns but the order's), then
        its rows with their joins: the joins of select_related on every matching row before
        the sort cost a theme page (1,700 quotes, SQLite) 80 ms of its 100."""
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(queryset.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = {row.pk: row for row in queryset.filter(pk__in=ids)} if ids else {}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def paginate(request, queryset, per_page: int = PER_PAGE) -> Page:
    """The requested page; a non-numeric ``page`` means page 1, an out-of-range one is a 404."""
    paginator = BoundedPaginator(queryset, per_page)
    try:
        number = int(request.GET.get("page", "1"))
    except (TypeError, ValueError):
        number = 1
    try:
        return paginator.page(number)
    except EmptyPage:
        raise Http404("There is no such page.") from None


@dataclass
class Chip:
    """An active filter, shown with a link that drops just that filter."""

    label: str
    query: QueryDict  # the current query without this filter (and without ``page``)
    invalid: bool = False


def _without(params: QueryDict, key: str, value: str | None = None) -> QueryDict:
    query = params.copy()
    query.pop("page", None)
    if value is None:
        query.pop(key, None)
    else:
        query.setlist(key, [v for v in query.getlist(key) if v != value])
    return query


def _multiple_chips(params, name, label, field, raw_values) -> list[Chip]:
    """One chip per value of a repeatable parameter (``theme=a&theme=b``), each removable."""
    key = field.to_field_name or "pk"
    try:
        found = field.queryset.filter(**{f"{key}__in": raw_values})
        known = {str(getattr(obj, key)): obj for obj in found}
    except (ValueError, TypeError, ValidationError):
        known = {}
    chips = []
    for raw in dict.fromkeys(raw_values):
        if raw in known:
            chips.append(Chip(f"{label}: {known[raw]}", _without(params, name, raw)))
        else:
            chips.append(Chip(f"{label}: {raw} (not valid)", _without(params, name, raw), True))
    return chips


def filter_chips(filterset, *, skip: tuple[str, ...] = ("ordering", "theme_match")) -> list[Chip]:
    """One chip per filter value in the query string; invalid values are chips too."""
    params = filterset.data
    form = filterset.form
    cleaned = getattr(form, "cleaned_data", {})
    chips: list[Chip] = []
    for name, field in form.fields.items():
        if name in skip:
            continue
        raw_values = [v for v in params.getlist(name) if v.strip()]
        if not raw_values:
            continue
        label = str(field.label or name.replace("_", " ").capitalize())
        if isinstance(field, forms.ModelMultipleChoiceField):
            chips.extend(_multiple_chips(params, name, label, field, raw_values))
            continue
        if name in form.errors or cleaned.get(name) in (None, ""):
            # Invalid, or a value the field cannot read (featured=maybe) and so ignores.
            shown = ", ".join(raw_values)
            chips.append(Chip(f"{label}: {shown} (not valid)", _without(params, name), True))
            continue
        value = cleaned[name]
        choices = getattr(field.widget, "choices", None)
        if choices is not None and not hasattr(value, "pk"):
            shown = {str(k): v for k, v in choices}.get(raw_values[0], value)
        else:
            shown = value
        chips.append(Chip(f"{label}: {shown}", _without(params, name)))
    return chips
