# Boilerplate passages (page chrome) leave the search index: nobody may find them, and an
# index of visible passages only lets an unfiltered passage search skip the join with
# kb_passage (kb.search.sqlite). New trigger bodies on SQLite, a new vector function on
# PostgreSQL; the boilerplate rows already indexed are dropped from the index.

from django.db import migrations


# Frozen (issue #23): the trigger bodies and vector functions of this migration are the ones
# 0002 now installs (0002 holds the definitions of 0007's time), so only the rows already
# indexed are left to drop here.
def index_without_boilerplate(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "DELETE FROM kb_search_passage WHERE rowid IN "
                "(SELECT id FROM kb_passage WHERE is_boilerplate)"
            )
        else:
            # The new vector function leaves a boilerplate passage's vector empty.
            cursor.execute("UPDATE kb_passage SET search_vector = NULL WHERE is_boilerplate")


class Migration(migrations.Migration):

    dependencies = [
        ("kb", "0006_quote_status_recent"),
    ]

    operations = [
        # Backwards: nothing to undo (the earlier code hid boilerplate passages in its queries).
        migrations.RunPython(index_without_boilerplate, migrations.RunPython.noop),
    ]
