"""Editors' curation operations: plain functions, each one transaction, each keeping spans exact.

Every offset is a Python string index into ``Source.text`` and never changes here: splitting
or merging passages only moves the passage bounds and the quotes' and claims' passage
foreign key, so ``kb.integrity.corpus_problems()`` stays empty. Objects are saved one by
one (``full_clean()`` then ``save()``), never with ``QuerySet.update``, so the revision
history (django-simple-history) records each change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, Subquery

from kb.ingest.passages import CLOSING_MARKS
from kb.models import Claim, Passage, Person, Principle, Quote, SearchAlias, Source, Status, Theme

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


def _excerpt(text: str, length: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _describe(obj) -> str:
    kind = "quote" if isinstance(obj, Quote) else "claim"
    return f"{kind} “{_excerpt(obj.text)}” ({obj.start}–{obj.end})"


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
        f"the published quote “{_excerpt(obj.text)}”"
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


# Deleted rows ---------------------------------------------------------------------------
#
# A deleted row lives on in its revision history: its last record ("-") holds every field,
# and the record before it the many-to-many links (the "-" record has none: the links are
# gone before django-simple-history writes it). Sources are not restorable (their history
# leaves out the text, which is never rewritten) and neither are passages (they are deleted
# only by a merge, and a restored one would overlap the merged passage: split it instead).

RESTORE_REASON = "Restored from history"
RESTORABLE = (Quote, Claim, Principle, Theme, Person, SearchAlias)
# Claims deleted with their principle (one cascade) are restored with it: same user,
# deleted at most this long before it (the cascade deletes them first).
CASCADE_WINDOW = timedelta(seconds=10)
# What a deleted parent was: why a row pointing to it cannot come back.
GONE = {
    Source: "it was deleted with its text",
    Passage: "it was deleted, or merged into its neighbour",
    Principle: "restore the principle first",
}
# Why a restored span no longer fits (the keys of kb.models.span_errors).
SPAN_HINTS = {
    "start": "Its passage was split or merged since: quote the words again from the passage "
    "that now holds them.",
    "text": "The source's words at its start:end are no longer its text.",
}
# Links the database cut without a revision (no signal is sent for them).
NOT_RECORDED = {
    Person: "Quotes and passages they spoke lost their speaker when they were deleted: "
    "set it again.",
    Theme: "Its quotes and principles lost the tag when it was deleted: tag them again.",
}


def deleted_records(model):
    """The last revision ("-") of each ``model`` row that is deleted and not restored since."""
    history = model.history.model
    pk = model._meta.pk.attname
    latest = (
        history.objects.filter(**{pk: OuterRef(pk)}).order_by("-history_id").values("history_id")
    )
    return (
        history.objects.filter(history_type="-", history_id=Subquery(latest[:1]))
        .exclude(**{f"{pk}__in": model._default_manager.values("pk")})
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def _parent_fields(model):
    return [f for f in model._meta.concrete_fields if f.many_to_one]


def _describe_gone(related_model, pk) -> str:
    history = getattr(related_model, "history", None)
    if history is None:
        return f"#{pk}"
    record = history.filter(**{related_model._meta.pk.attname: pk}).order_by("-history_id").first()
    if record is None:
        return f"#{pk}"
    # A passage's name reads its source, which may be gone too: its number is enough.
    return f"¶{record.number}" if related_model is Passage else f"“{record.history_object}”"


def missing_parents(model, records) -> dict[int, list[tuple[models.Field, object]]]:
    """For each record (by history_id), the foreign keys pointing to rows that are gone.

    One query per foreign key of the model, whatever the number of records.
    """
    missing = {record.history_id: [] for record in records}
    for fk in _parent_fields(model):
        values = {getattr(r, fk.attname) for r in records} - {None}
        if not values:
            continue
        existing = set(
            fk.related_model._default_manager.filter(pk__in=values).values_list("pk", flat=True)
        )
        for record in records:
            value = getattr(record, fk.attname)
            if value is not None and value not in existing:
                missing[record.history_id].append((fk, value))
    return missing


def restore_blocker(fk, value) -> str:
    """Why a row whose ``fk`` points to the deleted row ``value`` cannot be restored."""
    why = GONE.get(fk.related_model, "it was deleted")
    return (
        f"its {fk.verbose_name} {_describe_gone(fk.related_model, value)} no longer exists ({why})."
    )


def blockers(model, records) -> dict[int, str]:
    """For each record (by history_id) a reason it cannot be restored, or ""."""
    reasons = {}
    for history_id, gone in missing_parents(model, records).items():
        required = [
            (fk, value) for fk, value in gone if fk.remote_field.on_delete is not models.SET_NULL
        ]
        reason = " ".join(restore_blocker(fk, value) for fk, value in required)
        reasons[history_id] = reason[:1].upper() + reason[1:]
    return reasons


@dataclass
class RestoreResult:
    obj: models.Model
    notes: list[str] = field(default_factory=list)  # what could not come back as it was


def _links_before(record):
    """The revision just before the deletion: it holds the row's many-to-many links."""
    pk = record.instance_type._meta.pk.attname
    return (
        type(record)
        .objects.filter(**{pk: getattr(record, pk)}, history_id__lt=record.history_id)
        .exclude(history_type="-")
        .order_by("-history_id")
        .first()
    )


def _restore_links(obj, record, notes: list[str]) -> None:
    m2m_fields = record._history_m2m_fields
    if not m2m_fields:
        return
    before = _links_before(record)
    for m2m in m2m_fields:
        if before is None:
            notes.append(f"Its {m2m.verbose_name} were not recorded before the deletion.")
            continue
        target = m2m.related_model
        through_field = m2m.m2m_reverse_field_name()
        wanted = [getattr(row, f"{through_field}_id") for row in getattr(before, m2m.name).all()]
        existing = list(target._default_manager.filter(pk__in=wanted))
        if existing:
            getattr(obj, m2m.name).set(existing)
        gone = [pk for pk in wanted if pk not in {t.pk for t in existing}]
        if gone:
            names = ", ".join(_describe_gone(target, pk) for pk in gone)
            notes.append(f"Not restored: its {m2m.verbose_name} {names} (deleted since).")


def _restore_one(model, record, *, user, notes: list[str]):
    obj = record.history_object
    for fk, value in missing_parents(model, [record])[record.history_id]:
        if fk.remote_field.on_delete is models.SET_NULL:
            setattr(obj, fk.attname, None)
            notes.append(
                f"Its {fk.verbose_name} {_describe_gone(fk.related_model, value)} is deleted: "
                f"restored without one."
            )
        else:
            raise ValidationError(f"Cannot restore “{obj}”: {restore_blocker(fk, value)}")
    if getattr(obj, "status", None) in GUARDED_STATUSES and user and not can_publish(user, model):
        notes.append(
            f"Restored as a draft: it was {Status(obj.status).label.lower()}, and you "
            f"may not publish or reject {model._meta.verbose_name_plural}."
        )
        obj.status = Status.DRAFT
    try:
        obj.full_clean()
    except ValidationError as exc:
        fields = getattr(exc, "error_dict", {})
        hints = [hint for name, hint in SPAN_HINTS.items() if name in fields]
        raise ValidationError(
            " ".join([f"Cannot restore “{obj}”:", *exc.messages, *hints])
        ) from exc
    obj._change_reason = RESTORE_REASON
    if user is not None:
        obj._history_user = user
    try:
        with transaction.atomic():  # a savepoint: a concurrent restore loses cleanly
            obj.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError(f"Cannot restore “{obj}”: it was restored already.") from exc
    _restore_links(obj, record, notes)
    return obj


def _restore_claims_deleted_with(principle, record, *, user, notes: list[str]) -> None:
    claims = deleted_records(Claim).filter(
        principle_id=principle.pk,
        history_user_id=record.history_user_id,
        history_date__gte=record.history_date - CASCADE_WINDOW,
        history_date__lte=record.history_date,
    )
    restored = 0
    for claim_record in claims.order_by("position", "id"):
        try:
            with transaction.atomic():
                _restore_one(Claim, claim_record, user=user, notes=notes)
            restored += 1
        except ValidationError as exc:
            notes.append(" ".join(exc.messages))
    if restored:
        notes.insert(0, f"{restored} claim{'s' if restored != 1 else ''} deleted with it restored.")
    if principle.status == Status.PUBLISHED and (
        not principle.claims.exists() or principle.claims.filter(passage__isnull=True).exists()
    ):
        principle.status = Status.DRAFT
        principle._change_reason = RESTORE_REASON
        principle.save()
        notes.append("Restored as a draft: a published principle needs evidence for every claim.")


@transaction.atomic
def restore_deleted(model, object_id, *, user=None) -> RestoreResult:
    """Recreate the deleted ``model`` row ``object_id`` (same pk) from its last revision.

    Refused (ValidationError, saying why) when a row it needs is gone (a quote's passage,
    a claim's principle), when its words are no longer its source's at start:end, or when
    it would clash with a row made since (a theme of the same name). A deleted optional
    link (a quote's speaker) is left empty, and reported in ``notes``.
    """
    if model not in RESTORABLE:
        raise ValidationError(f"Deleted {model._meta.verbose_name_plural} cannot be restored.")
    record = deleted_records(model).filter(**{model._meta.pk.attname: object_id}).first()
    if record is None:
        raise ValidationError(
            f"No deleted {model._meta.verbose_name} #{object_id} to restore "
            "(it exists, or was never recorded)."
        )
    notes: list[str] = []
    obj = _restore_one(model, record, user=user, notes=notes)
    if model is Principle:
        _restore_claims_deleted_with(obj, record, user=user, notes=notes)
    if model in NOT_RECORDED:
        notes.append(NOT_RECORDED[model])
    return RestoreResult(obj, notes)


__all__ = [
    "RESTORABLE",
    "add_theme",
    "blockers",
    "can_publish",
    "check_boilerplate",
    "check_split_point",
    "check_transition",
    "deleted_records",
    "merge_passages",
    "merge_people",
    "merge_themes",
    "published_holdings",
    "remove_theme",
    "restore_deleted",
    "set_speaker",
    "set_status",
    "split_passage",
]
