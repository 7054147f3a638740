# Source URLs: http(s) only, in the validator (a clear message) and in the database.

import django.core.validators
from django.db import migrations, models


# On SQLite, adding a constraint rebuilds kb_source, and SQLite refuses to rename the new
# table while the FTS triggers of other tables (kb_quote's …) name it: the triggers come off
# before and go back, re-indexed, after (kb.search.sqlite; PostgreSQL needs nothing).
def drop_sqlite_search_triggers(apps, schema_editor):
    from kb.search import sqlite

    sqlite.before_table_rebuild(apps, schema_editor)


def restore_sqlite_search_triggers(apps, schema_editor):
    from kb.search import sqlite

    sqlite.after_table_rebuild(apps, schema_editor)


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
