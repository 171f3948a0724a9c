"""TRUNCATE of the audit chain is refused, and so is moving its head backwards (docs/SECURITY.md G3).

The append-only trigger (curation 0002) refuses UPDATE and DELETE of entries, but TRUNCATE is not
a row operation: before this, `TRUNCATE curation_auditentry` and a reset of the head made
`verify_audit_log` report an intact, empty chain. Statement triggers now refuse TRUNCATE of the
entries and the head, and a row trigger refuses deleting the head or moving it to an earlier (or
the same, rewritten) position.

Superusers are let through: a superuser can disable any trigger anyway, and the test suite, which
runs as one, empties tables between transactional tests with TRUNCATE. The service's own database
role must not be a superuser (deploy/ and the settings checklist say so); for it the refusal holds.
SQLite (development only) gets no triggers.
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION baseline_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% of % is refused: the audit log and published releases are append-only', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION curation_audithead_forward_only() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' OR NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) THEN
        RAISE EXCEPTION 'the audit head only moves forward (% refused)', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER curation_auditentry_no_truncate BEFORE TRUNCATE ON curation_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION baseline_refuse_truncate();
CREATE TRIGGER curation_audithead_no_truncate BEFORE TRUNCATE ON curation_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION baseline_refuse_truncate();
CREATE TRIGGER curation_audithead_forward_only BEFORE UPDATE OR DELETE ON curation_audithead
    FOR EACH ROW EXECUTE FUNCTION curation_audithead_forward_only();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS curation_auditentry_no_truncate ON curation_auditentry;
DROP TRIGGER IF EXISTS curation_audithead_no_truncate ON curation_audithead;
DROP TRIGGER IF EXISTS curation_audithead_forward_only ON curation_audithead;
DROP FUNCTION IF EXISTS curation_audithead_forward_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
