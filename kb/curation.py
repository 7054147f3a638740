"""Editors' curation operations: plain functions, each one transaction, each keeping spans exact.

Every offset is a Python string index into ``Source.text`` and never changes here: splitting
or merging passages only moves the passage bounds and the quotes' and claims' passage
foreign key, so ``kb.integrity.corpus_problems()`` stays empty. Objects are saved one by
one (``full_clean()`` then ``save()``), never with ``QuerySet.update``, so the revision
history (django-simple-history) records each change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from kb.models import Passage, Person, Principle, Quote, Status, Theme

# Status changes that need the "publish" permission of the model (publish_quote …).
GUARDED_STATUSES = frozenset({Status.PUBLISHED, Status.REJECTED})
PUBLISH_PERMISSIONS = {Quote: "kb.publish_quote", Principle: "kb.publish_principle"}
NO_PUBLISH_PERMISSION = (
    "You may not publish or reject {plural}: a reviewer must do it "
    "(ask for the “{permission}” permission)."
)


def can_publish(user, model) -> bool:
    """May ``user`` set ``model`` objects to published or rejected?"""
    permission = PUBLISH_PERMISSIONS.get(model)
    return permission is None or bool(user and user.has_perm(permission))


def check_transition(user, obj, status) -> None:
    """Refuse (ValidationError) a change to published/rejected by a user without the right."""
    if status in GUARDED_STATUSES and not can_publish(user, type(obj)):
        raise ValidationError(
            NO_PUBLISH_PERMISSION.format(
                plural=type(obj)._meta.verbose_name_plural,
                permission=PUBLISH_PERMISSIONS[type(obj)].split(".", 1)[1],
            )
        )


def _save(obj, reason: str = "") -> None:
    obj.full_clean()
    if reason:
        obj._change_reason = reason
    obj.save()


@transaction.atomic
def set_status(obj, status, *, user=None, reason: str = "") -> bool:
    """Move ``obj`` (quote or principle) to ``status``; False when it already has it."""
    if obj.status == status:
        return False
    if user is not None:
        check_transition(user, obj, status)
    previous, obj.status = obj.status, status
    try:
        _save(obj, reason)
    except ValidationError:
        obj.status = previous
        raise
    return True


# Passages ------------------------------------------------------------------------------


def _spans_of(passage: Passage) -> tuple[list[Quote], list]:
    return list(passage.quotes.all()), list(passage.claims.all())


def _describe(obj) -> str:
    kind = "quote" if isinstance(obj, Quote) else "claim"
    text = " ".join(str(obj.text).split())
    text = text if len(text) <= 60 else text[:59] + "…"
    return f"{kind} “{text}” ({obj.start}–{obj.end})"


def _renumber(passages: list[Passage]) -> None:
    """Give ``passages`` (all of a source, in text order) the numbers 1, 2, 3 …

    Numbers are unique per source: changed rows first move out of the way (past the
    highest number in use), then take their final number.
    """
    changed = [(n, p) for n, p in enumerate(passages, 1) if p.number != n]
    if not changed:
        return
    top = max(p.number for p in passages) + len(passages) + 1
    for i, (_, passage) in enumerate(changed):
        passage.number = top + i
        passage.save(update_fields=["number"])
    for n, passage in changed:
        passage.number = n
        passage.save(update_fields=["number"])


@dataclass
class SplitResult:
    first: Passage
    second: Passage
    moved: int  # quotes and claims now anchored in the second passage


@transaction.atomic
def split_passage(passage: Passage, at: int, *, reason: str = "") -> SplitResult:
    """Split ``passage`` at ``at`` (an offset into ``source.text``) into two passages.

    The whitespace around the split point is left between the two passages (as the
    importer does). Quotes and claims keep their offsets; those after the split point are
    anchored to the new passage. A split point inside a quote's or claim's span is refused.
    """
    passage = Passage.objects.select_for_update().select_related("source").get(pk=passage.pk)
    text = passage.source.text
    if not passage.start < at < passage.end:
        raise ValidationError(
            f"The split point {at} is not inside passage ¶{passage.number} "
            f"({passage.start}–{passage.end})."
        )
    first_end = passage.start + len(text[passage.start : at].rstrip())
    second_start = at + (len(text[at : passage.end]) - len(text[at : passage.end].lstrip()))
    if first_end <= passage.start or second_start >= passage.end:
        raise ValidationError(
            "Both parts of a split passage need words: choose a point between two words."
        )
    quotes, claims = _spans_of(passage)
    inside = [
        obj for obj in [*quotes, *claims] if not (obj.end <= first_end or obj.start >= second_start)
    ]
    if inside:
        raise ValidationError(
            f"Cannot split ¶{passage.number} at {at}: the point is inside "
            + ", ".join(_describe(obj) for obj in inside)
            + ". Choose a point outside every quote and claim."
        )
    source = passage.source
    following = list(source.passages.filter(number__gt=passage.number).order_by("number"))
    # Make room for the new number first (highest first, so numbers stay unique).
    for later in reversed(following):
        later.number += 1
        later.save(update_fields=["number"])
    old_end = passage.end
    passage.end, passage.text = first_end, text[passage.start : first_end]
    _save(passage, reason or "split")
    second = Passage(
        source=source,
        number=passage.number + 1,
        start=second_start,
        end=old_end,
        text=text[second_start:old_end],
        speaker=passage.speaker,
        is_boilerplate=passage.is_boilerplate,
    )
    _save(second, reason or f"split from ¶{passage.number}")
    moved = 0
    for obj in [*quotes, *claims]:
        if obj.start >= second_start:
            obj.passage = second
            _save(obj, reason or f"re-anchored: ¶{passage.number} was split")
            moved += 1
    return SplitResult(passage, second, moved)


@transaction.atomic
def merge_passages(first: Passage, second: Passage, *, reason: str = "") -> Passage:
    """Merge two neighbouring passages of a source into the first (the text between joins).

    The merged passage keeps the first one's speaker and boilerplate flag; the quotes and
    claims of the second are anchored to it, their offsets unchanged; the passages after
    are renumbered.
    """
    if first.pk == second.pk:
        raise ValidationError("Choose two different passages to merge.")
    locked = Passage.objects.select_for_update().select_related("source")
    first, second = sorted(locked.filter(pk__in=[first.pk, second.pk]), key=lambda p: p.number)
    if first.source_id != second.source_id:
        raise ValidationError("Only passages of the same source can be merged.")
    if second.number != first.number + 1:
        raise ValidationError(
            f"¶{first.number} and ¶{second.number} are not neighbours: merge neighbours only."
        )
    source = first.source
    first.end, first.text = second.end, source.text[first.start : second.end]
    _save(first, reason or f"merged with ¶{second.number}")
    for obj in [*second.quotes.all(), *second.claims.all()]:
        obj.passage = first
        _save(obj, reason or f"re-anchored: ¶{second.number} merged into ¶{first.number}")
    second._change_reason = reason or f"merged into ¶{first.number}"
    second.delete()
    _renumber(list(source.passages.order_by("number")))
    first.refresh_from_db()
    return first


# Themes and people ----------------------------------------------------------------------


@dataclass
class MergeResult:
    quotes: int = 0
    principles: int = 0
    passages: int = 0


@transaction.atomic
def merge_themes(keep: Theme, other: Theme, *, reason: str = "") -> MergeResult:
    """Tag everything tagged ``other`` with ``keep`` instead, then delete ``other``."""
    if keep.pk == other.pk:
        raise ValidationError("Choose two different themes to merge.")
    reason = reason or f"theme “{other.name}” merged into “{keep.name}”"
    result = MergeResult()
    for model, counter in ((Quote, "quotes"), (Principle, "principles")):
        for obj in model.objects.filter(themes=other):
            obj._change_reason = reason
            # From the object's side, so its revision history records the change.
            obj.themes.add(keep)
            obj.themes.remove(other)
            setattr(result, counter, getattr(result, counter) + 1)
    if keep.description == "" and other.description:
        keep.description = other.description
        _save(keep, reason)
    other._change_reason = reason
    other.delete()
    return result


@transaction.atomic
def merge_people(keep: Person, other: Person, *, reason: str = "") -> MergeResult:
    """Attribute ``other``'s quotes and passages to ``keep``, add their names as aliases."""
    if keep.pk == other.pk:
        raise ValidationError("Choose two different people to merge.")
    reason = reason or f"“{other.name}” merged into “{keep.name}”"
    result = MergeResult()
    for quote in Quote.objects.filter(speaker=other).select_related("source", "passage"):
        quote.speaker = keep
        _save(quote, reason)
        result.quotes += 1
    for passage in Passage.objects.filter(speaker=other).select_related("source"):
        passage.speaker = keep
        _save(passage, reason)
        result.passages += 1
    known = {name.casefold() for name in [keep.name, *keep.aliases]}
    for name in [other.name, *other.aliases]:
        if name.casefold() not in known:
            keep.aliases.append(name)
            known.add(name.casefold())
    if not keep.description and other.description:
        keep.description = other.description
    other._change_reason = reason
    other.delete()
    # The other's name is free now: full_clean would refuse it as a duplicate before.
    _save(keep, reason)
    return result


# Bulk labels ----------------------------------------------------------------------------


@transaction.atomic
def add_theme(objects, theme: Theme, *, reason: str = "") -> int:
    changed = 0
    for obj in objects:
        if not obj.themes.filter(pk=theme.pk).exists():
            obj._change_reason = reason or f"theme “{theme.name}” added"
            obj.themes.add(theme)
            changed += 1
    return changed


@transaction.atomic
def remove_theme(objects, theme: Theme, *, reason: str = "") -> int:
    changed = 0
    for obj in objects:
        if obj.themes.filter(pk=theme.pk).exists():
            obj._change_reason = reason or f"theme “{theme.name}” removed"
            obj.themes.remove(theme)
            changed += 1
    return changed


@transaction.atomic
def set_speaker(quotes, person: Person | None, *, reason: str = "") -> int:
    changed = 0
    for quote in quotes:
        if quote.speaker_id != (person.pk if person else None):
            quote.speaker = person
            _save(quote, reason or f"speaker set to {person or 'nobody'}")
            changed += 1
    return changed


__all__ = [
    "add_theme",
    "can_publish",
    "check_transition",
    "merge_passages",
    "merge_people",
    "merge_themes",
    "remove_theme",
    "set_speaker",
    "set_status",
    "split_passage",
]
