"""Create (or bring up to date) the editors' groups: Editor and Reviewer. Safe to run again.

Editor: add and change sources, passages, quotes, themes, people, principles, claims and
search aliases (and delete the curated rows, never sources or passages); no user
management. Reviewer: the same, plus publishing and rejecting quotes and principles.
"""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

CURATED = ["quote", "theme", "person", "principle", "claim", "searchalias"]
EDITOR = [
    *(
        f"{action}_{model}"
        for model in ["source", "passage"]
        for action in ("view", "add", "change")
    ),
    *(f"{action}_{model}" for model in CURATED for action in ("view", "add", "change", "delete")),
]
REVIEWER = [*EDITOR, "publish_quote", "publish_principle"]
ROLES = {"Editor": EDITOR, "Reviewer": REVIEWER}


def permissions(codenames):
    found = {
        p.codename: p
        for p in Permission.objects.filter(content_type__app_label="kb", codename__in=codenames)
    }
    missing = sorted(set(codenames) - set(found))
    if missing:
        raise LookupError(f"Missing permissions (run migrate first): {', '.join(missing)}")
    return [found[c] for c in codenames]


class Command(BaseCommand):
    help = "Create or update the Editor and Reviewer groups and their permissions."

    @transaction.atomic
    def handle(self, *args, **options):
        for name, codenames in ROLES.items():
            group, created = Group.objects.get_or_create(name=name)
            group.permissions.set(permissions(codenames))
            verb = "Created" if created else "Updated"
            if options["verbosity"]:
                self.stdout.write(f"{verb} group {name} ({len(codenames)} permissions).")
