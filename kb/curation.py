"""Editors' curation operations: plain functions, each one transaction, each keeping spans exact.

Every offset is a Python string index into ``Source.text`` and never changes here: splitting
or merging passages only moves the passage bounds and the quotes' and claims' passage
foreign key, so ``kb.integrity.corpus_problems()`` stays empty. Objects are saved one by
one (``full_clean()`` then ``save()``), never with ``QuerySet.update``, so the revision
history (django-simple-history) records each change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from kb.ingest.passages import CLOSING_MARKS
from kb.models import Passage, Person, Principle, Quote, SlugRedirect, Status, Theme
from kb.permissions import can_delete_for_good, check_archive, check_transition
from kb.texts import excerpt


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
    return f"{kind} “{excerpt(obj.text, 60)}” ({obj.start}–{obj.end})"


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


# How many published quotes and claims a refusal to hide a passage names (then "n more").
BOILERPLATE_NAMED = 5


def published_holdings(passage: Passage) -> list:
    """The published quotes of ``passage`` and the claims of published principles citing it:
    what readers reach through links to the passage (``/quotes/<id>/``, ``#p-N``)."""
    quotes = passage.quotes.filter(status=Status.PUBLISHED).order_by("start", "pk")
    claims = (
        passage.claims.filter(principle__status=Status.PUBLISHED)
        .select_related("principle")
        .order_by("start", "pk")
    )
    return [*quotes, *claims]


def check_boilerplate(passage: Passage) -> None:
    """Refuse (ValidationError) marking ``passage`` as boilerplate while it holds published
    quotes or claims of published principles.

    A boilerplate passage is hidden from readers, while a published quote or principle
    stays public and links to it: a missing ``#p-N`` anchor and a 404 passage page.
    Draft quotes and claims of unpublished principles are no obstacle.
    """
    held = published_holdings(passage)
    if not held:
        return
    names = [
        f"the published quote “{excerpt(obj.text, 60)}”"
        if isinstance(obj, Quote)
        else f"a claim of the published principle “{obj.principle.title}”"
        for obj in held[:BOILERPLATE_NAMED]
    ]
    if len(held) > BOILERPLATE_NAMED:
        names.append(f"{len(held) - BOILERPLATE_NAMED} more")
    raise ValidationError(
        f"¶{passage.number} cannot be marked as boilerplate (hidden from readers): it holds "
        + ", ".join(names)
        + ". Unpublish them or move them to another passage first."
    )


# A split point with no whitespace on either side is still between sentences after
# full-width terminal punctuation (Chinese and Japanese put no space between sentences:
# "…很重要。我们…"). ASCII "." is not enough there: "3.5", "xiaomi.com".
SENTENCE_END_WITHOUT_SPACE = "。！？；…"


def _at_boundary(text: str, i: int) -> bool:
    """Is ``text[:i] | text[i:]`` between two words (whitespace) or two sentences?"""
    if text[i - 1].isspace() or text[i].isspace():
        return True
    if text[i] in CLOSING_MARKS:
        return False
    before = text[:i].rstrip(CLOSING_MARKS)
    return bool(before) and before[-1] in SENTENCE_END_WITHOUT_SPACE


def check_split_point(passage: Passage, at: int) -> tuple[int, int]:
    """Refuse (ValidationError) a split of ``passage`` at ``at`` (an offset into the
    source's text) unless it is between two words or sentences, with words on both sides,
    and outside every quote and claim; return the bounds ``(first_end, second_start)``.

    Messages speak of the position in the passage's text (0 is its first character), as
    the admin's split form does, not of the offset in the source.
    """
    text, position = passage.text, at - passage.start
    if not 0 < position < len(text):
        raise ValidationError(
            f"Position {position} is not inside passage ¶{passage.number}: choose one from "
            f"1 to {len(text) - 1} (0 is its first character, {len(text)} its end)."
        )
    if not _at_boundary(text, position):
        context = text[max(0, position - 12) : position] + "|" + text[position : position + 12]
        raise ValidationError(
            f"Position {position} is inside a word (“{' '.join(context.split())}”): "
            "split at a space or line break between two words, or between two sentences."
        )
    first_end = passage.start + len(text[:position].rstrip())
    second_start = at + (len(text[position:]) - len(text[position:].lstrip()))
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
            f"Cannot split ¶{passage.number} at position {position}: the point is inside "
            + ", ".join(_describe(obj) for obj in inside)
            + ". Choose a point outside every quote and claim."
        )
    return first_end, second_start


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
    anchored to the new passage. A split point inside a word, or inside a quote's or
    claim's span, is refused (:func:`check_split_point`).
    """
    passage = Passage.objects.select_for_update().select_related("source").get(pk=passage.pk)
    text = passage.source.text
    first_end, second_start = check_split_point(passage, at)
    quotes, claims = _spans_of(passage)
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
    # Its addresses (its slug and the ones it had) lead to the theme it was merged into.
    SlugRedirect.hand_over(other, keep)
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
    SlugRedirect.hand_over(other, keep)  # their page leads to the person kept
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


# Archiving -------------------------------------------------------------------------------
#
# "Delete" in the admin archives a quote, a principle or a person: the row keeps its id, its
# links and its history, leaves every page, list, feed and API answer (``visible_to``), and
# comes back with ``restore``. A real delete is ``delete_for_good``, a separate permission.

ARCHIVABLE = (Quote, Principle, Person)
# What a restored row becomes: quotes and principles wait for a reviewer to publish them
# again; people need no reviewer.
RESTORED_STATUS = {Quote: Status.DRAFT, Principle: Status.DRAFT, Person: Status.PUBLISHED}
ARCHIVE_REASON = "Archived"
RESTORE_REASON = "Restored from the archive"


def _mark(obj, status, *, user, reason: str) -> None:
    # No full_clean: archiving or restoring never makes a row wrong, and a row whose span
    # drifted must still be taken down.
    obj.status = status
    obj._change_reason = reason
    if user is not None:
        obj._history_user = user
    obj.save()


@transaction.atomic
def archive(obj, *, user=None, reason: str = "") -> bool:
    """Archive ``obj`` (a quote, principle or person); False when it is archived already.

    Refused (ValidationError) for published work when ``user`` may not publish it.
    """
    if obj.status == Status.ARCHIVED:
        return False
    if user is not None:
        check_archive(user, obj)
    _mark(obj, Status.ARCHIVED, user=user, reason=reason or ARCHIVE_REASON)
    return True


@transaction.atomic
def restore(obj, *, user=None, reason: str = "") -> bool:
    """Bring an archived ``obj`` back (as a draft, or published for a person); False when it
    was not archived."""
    if obj.status != Status.ARCHIVED:
        return False
    _mark(obj, RESTORED_STATUS[type(obj)], user=user, reason=reason or RESTORE_REASON)
    return True


@transaction.atomic
def delete_for_good(objects, *, user) -> int:
    """Really delete ``objects`` (one model's rows), with their history kept and their old
    addresses gone; refused (PermissionDenied) without the ``purge_<model>`` permission."""
    objects = list(objects)
    for model in {type(obj) for obj in objects}:
        if not can_delete_for_good(user, model):
            raise PermissionDenied(
                f"You may not delete {model._meta.verbose_name_plural} for good "
                f"(the “purge_{model._meta.model_name}” permission): archive them instead."
            )
    for obj in objects:
        obj._history_user = user
        obj.delete()
    return len(objects)


__all__ = [
    "ARCHIVABLE",
    "add_theme",
    "archive",
    "check_boilerplate",
    "check_split_point",
    "delete_for_good",
    "merge_passages",
    "merge_people",
    "merge_themes",
    "published_holdings",
    "remove_theme",
    "restore",
    "set_speaker",
    "set_status",
    "split_passage",
]
