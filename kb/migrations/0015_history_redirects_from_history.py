"""SlugRedirect rows from the revision history: every earlier slug of each source, theme,
principle and person keeps leading where it led before this migration.

Before, an old address was found by walking the history at each request (``kb.moved``,
as of 0013): the newest earlier holders of the slug, the first that still exists (or, for a
deleted one, the row now holding one of the slugs it had *after* that one). The same walk
runs here once, over the whole history, and its answer is stored; a slug held by a row now
stays that row's. Visibility (drafts told to staff only) is applied when the redirect is
read, as it was. The walk is frozen here: migrations run no live code.
"""

from collections import defaultdict

from django.db import migrations
from django.db.models import Max

KINDS = {"source": "Source", "theme": "Theme", "principle": "Principle", "person": "Person"}


def redirect_targets(current: dict, held: list) -> dict:
    """``{old slug: row}`` for one model: ``current`` is ``{row: slug}`` now, ``held`` the
    ``(row, slug, when it last held it)`` of every slug every row ever had."""
    holder_of = {slug: pk for pk, slug in current.items()}
    slugs_of = defaultdict(list)  # row → its slugs, oldest first
    holders_of = defaultdict(list)  # slug → its holders, newest first
    for pk, slug, _ in sorted(held, key=lambda row: row[2]):
        slugs_of[pk].append(slug)
        holders_of[slug].insert(0, pk)

    def target(pk, slug):
        """Where ``slug`` of row ``pk`` leads: the row itself, or for a deleted one the row
        now holding the newest of the slugs it had later."""
        if pk in current:
            return pk if current[pk] != slug else None
        later = slugs_of[pk][slugs_of[pk].index(slug) + 1 :]
        return next((holder_of[s] for s in reversed(later) if s in holder_of), None)

    found = {}
    for slug, holders in holders_of.items():
        if slug in holder_of:
            continue  # held now: that row's page
        to = next((t for t in (target(pk, slug) for pk in holders) if t), None)
        if to is not None:
            found[slug] = to
    return found


def redirects_from_history(apps, schema_editor):
    SlugRedirect = apps.get_model("kb", "SlugRedirect")
    rows = []
    for kind, name in KINDS.items():
        model = apps.get_model("kb", name)
        history = apps.get_model("kb", f"Historical{name}")
        current = dict(model.objects.values_list("pk", "slug"))
        held = list(
            history.objects.values_list("id", "slug").annotate(until=Max("history_date")).order_by()
        )
        for slug, pk in redirect_targets(current, held).items():
            rows.append(SlugRedirect(kind=kind, old_slug=slug, **{f"{kind}_id": pk}))
    SlugRedirect.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("kb", "0014_history_slug_redirect_archive")]

    operations = [
        migrations.RunPython(redirects_from_history, migrations.RunPython.noop, elidable=True),
    ]
