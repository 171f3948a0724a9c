from django.db import migrations

DEFAULT_CRITERIA = [
    ("real_child", "Is a real child depicted (not drawn, animated or generated)?"),
    ("under_13", "Does the child appear to be 13 or younger?"),
    ("sexual_abuse", "Does it show sexual activity involving the child, or focus on the child's genital or anal area?"),
]

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION curation_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER curation_auditentry_append_only
    BEFORE UPDATE OR DELETE ON curation_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION curation_auditentry_append_only();
"""


def create_initial_data(apps, schema_editor):
    AuditHead = apps.get_model("curation", "AuditHead")
    CriteriaSet = apps.get_model("curation", "CriteriaSet")
    Criterion = apps.get_model("curation", "Criterion")
    AuditHead.objects.get_or_create(pk=1)
    criteria_set, created = CriteriaSet.objects.get_or_create(version=1, defaults={"is_active": True})
    if created:
        for position, (key, question) in enumerate(DEFAULT_CRITERIA):
            Criterion.objects.create(criteria_set=criteria_set, key=key, question=question, position=position)


def append_only_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("curation", "0001_initial")]

    operations = [
        migrations.RunPython(create_initial_data, migrations.RunPython.noop),
        migrations.RunPython(append_only_trigger, migrations.RunPython.noop),
    ]
