"""The audit log's models now belong to the core app (core 0001). State only: nothing in the
database changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("curation", "0008_published_releases_frozen"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry"), migrations.DeleteModel(name="AuditHead")],
            database_operations=[],
        ),
    ]
