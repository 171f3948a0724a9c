"""TRUNCATE of the release tables is refused (docs/SECURITY.md G3), as the row triggers of 0008
already refuse changing a published release row by row. The function is core 0002's; superusers
are let through for the same reasons (see there). SQLite gets no triggers."""

from django.db import migrations

TABLES = ("curation_release", "curation_releasemember", "curation_releasefile", "curation_releasedelta")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                                  "FOR EACH STATEMENT EXECUTE FUNCTION baseline_refuse_truncate();", params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};", params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_refuses_truncate"), ("curation", "0009_audit_moved_to_core")]

    operations = [migrations.RunPython(create, drop)]
