# Source URLs: http(s) only, in the validator (a clear message) and in the database.

import django.core.validators
from django.db import migrations, models


# SQLite refuses to rename a rebuilt table while the search triggers of other tables name
# it: they come off before and go back after, as they were (their SQL is kept in a
# scratch table meanwhile; the FTS5 tables and their contents stay, since the rows keep
# their ids). PostgreSQL needs nothing. Frozen here: no live code (issue #23).
def drop_sqlite_search_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS kb_search_saved_triggers")
        cursor.execute(
            "CREATE TABLE kb_search_saved_triggers AS SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND name LIKE 'kb_search_%'"
        )
        cursor.execute("SELECT name FROM kb_search_saved_triggers")
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def restore_sqlite_search_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'kb_search_saved_triggers'"
        )
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT name, sql FROM kb_search_saved_triggers")
        for name, sql in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(sql)
        cursor.execute("DROP TABLE kb_search_saved_triggers")


class Migration(migrations.Migration):

    dependencies = [
        ('kb', '0003_history_and_publish_permissions'),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_search_triggers, restore_sqlite_search_triggers),
        migrations.AlterField(
            model_name='historicalsource',
            name='url',
            field=models.URLField(blank=True, max_length=500, validators=[django.core.validators.URLValidator(message='Enter a valid web address starting with http:// or https://.', schemes=['http', 'https'])]),
        ),
        migrations.AlterField(
            model_name='source',
            name='url',
            field=models.URLField(blank=True, max_length=500, validators=[django.core.validators.URLValidator(message='Enter a valid web address starting with http:// or https://.', schemes=['http', 'https'])]),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('url', ''), ('url__istartswith', 'http://'), ('url__istartswith', 'https://'), _connector='OR'), name='source_url_http', violation_error_message='Enter a valid web address starting with http:// or https://.'),
        ),
        migrations.RunPython(restore_sqlite_search_triggers, drop_sqlite_search_triggers),
    ]
