"""An index on the first 64 characters of each signature's value, so a curator's search by the
start of a value (at least 8 characters) reads the index instead of every row. text_pattern_ops
lets `LIKE 'abc%'` use it whatever the database's collation. SQLite (development) gets none."""

from django.db import migrations

INDEX = "curation_signature_value_head"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {INDEX} ON curation_signature "
                              "(LEFT(value, 64) text_pattern_ops);", params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX};", params=None)


class Migration(migrations.Migration):
    dependencies = [("curation", "0011_held_and_chains")]

    operations = [migrations.RunPython(create, drop)]
