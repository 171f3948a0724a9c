"""A published release never changes (DESIGN.md invariant 4), enforced by PostgreSQL itself.

Triggers refuse any UPDATE or DELETE of a published release's row (an UPDATE that changes nothing
is let through), and any INSERT, UPDATE or DELETE of the membership and file rows of a published
release. Nothing in the code changes a published release: builds write only while the release is
`building`, and on-request deltas live in their own table. The member and file triggers run once
per statement over its transition tables, so a snapshot of millions of rows pays one check. SQLite
(development only) gets no triggers.
"""

from django.db import migrations

RELEASE_SQL = """
CREATE OR REPLACE FUNCTION curation_release_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' AND (TG_OP = 'DELETE' OR NEW IS DISTINCT FROM OLD) THEN
        RAISE EXCEPTION 'release % is published and never changes (% refused)', OLD.version, TG_OP;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER curation_release_frozen
    BEFORE UPDATE OR DELETE ON curation_release
    FOR EACH ROW EXECUTE FUNCTION curation_release_frozen();

CREATE OR REPLACE FUNCTION curation_release_rows_frozen() RETURNS trigger AS $$
DECLARE
    frozen bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT r.version INTO frozen FROM curation_release r
            WHERE r.status = 'published' AND r.id IN (SELECT n.release_id FROM new_rows n) LIMIT 1;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT r.version INTO frozen FROM curation_release r
            WHERE r.status = 'published' AND (r.id IN (SELECT n.release_id FROM new_rows n)
                                              OR r.id IN (SELECT o.release_id FROM old_rows o)) LIMIT 1;
    ELSE
        SELECT r.version INTO frozen FROM curation_release r
            WHERE r.status = 'published' AND r.id IN (SELECT o.release_id FROM old_rows o) LIMIT 1;
    END IF;
    IF frozen IS NOT NULL THEN
        RAISE EXCEPTION 'release % is published and never changes (% on % refused)', frozen, TG_OP, TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

ROWS_SQL = """
CREATE TRIGGER {table}_frozen_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION curation_release_rows_frozen();
CREATE TRIGGER {table}_frozen_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION curation_release_rows_frozen();
CREATE TRIGGER {table}_frozen_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION curation_release_rows_frozen();
"""

TABLES = ("curation_releasemember", "curation_releasefile")

DROP_SQL = """
DROP TRIGGER IF EXISTS curation_release_frozen ON curation_release;
DROP FUNCTION IF EXISTS curation_release_frozen();
{rows}
DROP FUNCTION IF EXISTS curation_release_rows_frozen();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(RELEASE_SQL, params=None)
    for table in TABLES:
        schema_editor.execute(ROWS_SQL.format(table=table), params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    rows = "\n".join(f"DROP TRIGGER IF EXISTS {table}_frozen_{event} ON {table};"
                     for table in TABLES for event in ("insert", "update", "delete"))
    schema_editor.execute(DROP_SQL.format(rows=rows), params=None)


class Migration(migrations.Migration):
    dependencies = [("curation", "0007_min_reviewer_organisations")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
