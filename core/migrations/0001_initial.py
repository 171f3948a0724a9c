"""The audit log's models move here from the curation app. State only: the tables keep their names
(`curation_audithead`, `curation_auditentry`) and their rows, so the hash chain and the append-only
trigger (curation 0002) are untouched. The content types are renamed so existing permissions and
any reference by content type follow the models."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("auditentry", "audithead")


def rename_content_types(apps, schema_editor, old="curation", new="core"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def rename_back(apps, schema_editor):
    rename_content_types(apps, schema_editor, old="core", new="curation")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0005_user_must_change_password"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("curation", "0008_published_releases_frozen"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditHead",
                    fields=[
                        ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                        ("seq", models.BigIntegerField(default=0)),
                        ("hash", models.CharField(default="0" * 64, max_length=64)),
                    ],
                    options={"db_table": "curation_audithead"},
                ),
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("seq", models.BigIntegerField(unique=True)),
                        ("created_at", models.DateTimeField()),
                        ("actor_username", models.CharField(blank=True, max_length=150)),
                        ("action", models.CharField(db_index=True, max_length=64)),
                        ("object_type", models.CharField(max_length=64)),
                        ("object_id", models.CharField(db_index=True, max_length=64)),
                        ("details", models.JSONField(default=dict)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64, unique=True)),
                        ("actor", models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                                    related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("organisation", models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                                           related_name="+", to="accounts.organisation")),
                    ],
                    options={"db_table": "curation_auditentry", "ordering": ["seq"],
                             "verbose_name_plural": "audit entries"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, rename_back),
    ]
