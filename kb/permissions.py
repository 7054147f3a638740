"""Who may do what to curated rows, beyond Django's add/change/delete permissions.

Publishing and rejecting are a reviewer's decision (``publish_quote``, ``publish_principle``),
and so is taking published work down: archiving a published quote or principle needs the
same permission. A real delete (gone for good, with its old addresses) is a separate
permission (``purge_<model>``) that no editors' group holds: superusers, by default.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from kb.models import Principle, Quote, Status, can_see_unpublished

__all__ = [
    "GUARDED_STATUSES",
    "can_delete_for_good",
    "can_publish",
    "can_see_unpublished",
    "check_archive",
    "check_transition",
]

# Status changes that need the "publish" permission of the model (publish_quote …).
GUARDED_STATUSES = frozenset({Status.PUBLISHED, Status.REJECTED})
PUBLISH_PERMISSIONS = {Quote: "kb.publish_quote", Principle: "kb.publish_principle"}
NO_PUBLISH_PERMISSION = (
    "You may not publish or reject {plural}: a reviewer must do it "
    "(ask for the “{permission}” permission)."
)
NO_TAKE_DOWN_PERMISSION = (
    "You may not archive the published {name} “{obj}”: taking published work down is a "
    "reviewer's decision (ask for the “{permission}” permission, or ask a reviewer)."
)


def can_publish(user, model) -> bool:
    """May ``user`` set ``model`` objects to published or rejected?"""
    permission = PUBLISH_PERMISSIONS.get(model)
    return permission is None or bool(user and user.has_perm(permission))


def _permission_name(model) -> str:
    return PUBLISH_PERMISSIONS[model].split(".", 1)[1]


def check_transition(user, obj, status) -> None:
    """Refuse (ValidationError) a change to published/rejected by a user without the right."""
    if status in GUARDED_STATUSES and not can_publish(user, type(obj)):
        raise ValidationError(
            NO_PUBLISH_PERMISSION.format(
                plural=type(obj)._meta.verbose_name_plural, permission=_permission_name(type(obj))
            )
        )


def check_archive(user, obj) -> None:
    """Refuse (ValidationError) archiving published work by a user who may not publish."""
    if obj.status == Status.PUBLISHED and not can_publish(user, type(obj)):
        raise ValidationError(
            NO_TAKE_DOWN_PERMISSION.format(
                name=type(obj)._meta.verbose_name, obj=obj, permission=_permission_name(type(obj))
            )
        )


def can_delete_for_good(user, model) -> bool:
    """May ``user`` really delete ``model`` rows (not archive them)?"""
    return bool(user and user.has_perm(f"kb.purge_{model._meta.model_name}"))
