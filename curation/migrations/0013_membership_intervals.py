"""Membership by intervals (DESIGN.md section 5): an item's stay on a list is recorded once, with
the version it entered and the version it left, instead of one `ReleaseMember` row per item per
release. Releases get their list; `(list, version)` is unique and one build runs at a time per list.

The existing membership is turned into stays: for each item, each run of consecutive published
releases that held it with the same `added_in_version` becomes one stay, entered at the run's first
version and left at the next published version (none while the item is still listed). Rows of
releases that were never published (a build interrupted after its snapshot) are dropped: the build
fixes its membership again when it runs. Before `ReleaseMember` goes, every published release's
contents are read back from the stays and compared with its old rows; any difference stops the
migration, so no published file can change a byte (tests/curation/releases/test_interval_migration.py).

On PostgreSQL, triggers say exactly what may change once published: a stay is inserted only with
`entered_version` = the version its list is building; only `left_version` changes, from empty to
the version being built, or back (a retry undoing an earlier attempt); only stays entered by the
version being built are deleted. TRUNCATE is refused. SQLite (development) gets no triggers.
"""

import django.db.models.deletion
from django.db import migrations, models

INTERVALS_SQL = """
WITH p AS (
    SELECT id, version, ROW_NUMBER() OVER (ORDER BY version) AS rn
    FROM curation_release WHERE status = 'published'
), m AS (
    SELECT rm.submission_id, rm.added_in_version, p.version, p.rn,
           p.rn - ROW_NUMBER() OVER (PARTITION BY rm.submission_id, rm.added_in_version ORDER BY p.rn) AS grp
    FROM curation_releasemember rm JOIN p ON p.id = rm.release_id
), runs AS (
    SELECT submission_id, added_in_version, MIN(version) AS entered, MAX(rn) AS last_rn
    FROM m GROUP BY submission_id, added_in_version, grp
)
INSERT INTO curation_listing (list, submission_id, entered_version, left_version, added_in_version)
SELECT 'baseline', r.submission_id, r.entered, nxt.version, r.added_in_version
FROM runs r LEFT JOIN p nxt ON nxt.rn = r.last_rn + 1
"""

MEMBERS_BACK_SQL = """
INSERT INTO curation_releasemember (release_id, submission_id, added_in_version)
SELECT %s, submission_id, added_in_version FROM curation_listing
WHERE list = 'baseline' AND entered_version <= %s AND (left_version IS NULL OR left_version > %s)
"""

DIFFERENCE_SQL = """
SELECT COUNT(*) FROM (
    (SELECT submission_id, added_in_version FROM curation_releasemember WHERE release_id = %s
     EXCEPT SELECT submission_id, added_in_version FROM curation_listing
            WHERE list = 'baseline' AND entered_version <= %s AND (left_version IS NULL OR left_version > %s))
    UNION ALL
    (SELECT submission_id, added_in_version FROM curation_listing
            WHERE list = 'baseline' AND entered_version <= %s AND (left_version IS NULL OR left_version > %s)
     EXCEPT SELECT submission_id, added_in_version FROM curation_releasemember WHERE release_id = %s)
) d
"""

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION curation_listing_frozen() RETURNS trigger AS $$
DECLARE
    bad text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT n.submission_id::text INTO bad FROM new_rows n
            WHERE n.left_version IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM curation_release r
                WHERE r.list = n.list AND r.status = 'building' AND r.version = n.entered_version)
            LIMIT 1;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT n.submission_id::text INTO bad FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id
            WHERE o.id IS NULL
               OR (n.list, n.submission_id, n.entered_version, n.added_in_version)
                  IS DISTINCT FROM (o.list, o.submission_id, o.entered_version, o.added_in_version)
               OR (n.left_version IS DISTINCT FROM o.left_version AND NOT (
                       (o.left_version IS NULL) <> (n.left_version IS NULL) AND EXISTS (
                           SELECT 1 FROM curation_release r
                           WHERE r.list = n.list AND r.status = 'building'
                             AND r.version = COALESCE(n.left_version, o.left_version))))
            LIMIT 1;
    ELSE
        SELECT o.submission_id::text INTO bad FROM old_rows o
            WHERE NOT EXISTS (
                SELECT 1 FROM curation_release r
                WHERE r.list = o.list AND r.status = 'building' AND r.version = o.entered_version)
            LIMIT 1;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'the membership of published releases never changes: % of the stay of item % refused '
                        '(a build only opens stays, and closes open ones, with the version it builds)', TG_OP, bad;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER curation_listing_frozen_insert AFTER INSERT ON curation_listing
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION curation_listing_frozen();
CREATE TRIGGER curation_listing_frozen_update AFTER UPDATE ON curation_listing
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION curation_listing_frozen();
CREATE TRIGGER curation_listing_frozen_delete AFTER DELETE ON curation_listing
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION curation_listing_frozen();
CREATE TRIGGER curation_listing_no_truncate BEFORE TRUNCATE ON curation_listing
    FOR EACH STATEMENT EXECUTE FUNCTION baseline_refuse_truncate();
"""

DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS curation_listing_frozen_insert ON curation_listing;
DROP TRIGGER IF EXISTS curation_listing_frozen_update ON curation_listing;
DROP TRIGGER IF EXISTS curation_listing_frozen_delete ON curation_listing;
DROP TRIGGER IF EXISTS curation_listing_no_truncate ON curation_listing;
DROP FUNCTION IF EXISTS curation_listing_frozen();
"""


def stays_from_members(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(INTERVALS_SQL)
        cursor.execute("SELECT id, version FROM curation_release WHERE status = 'published' ORDER BY version")
        for release_id, version in cursor.fetchall():
            cursor.execute(DIFFERENCE_SQL, [release_id, version, version, version, version, release_id])
            differences = cursor.fetchone()[0]
            if differences:
                raise RuntimeError(f"release {version}: its membership read back from stays differs from its "
                                   f"rows in {differences} place(s); nothing was migrated")


def members_from_stays(apps, schema_editor):
    """Back to one row per item per published release, read from the stays."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, version FROM curation_release WHERE status = 'published'")
        for release_id, version in cursor.fetchall():
            cursor.execute(MEMBERS_BACK_SQL, [release_id, version, version])


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_audit_refuses_truncate"),  # baseline_refuse_truncate()
        ("curation", "0012_signature_value_prefix"),
    ]

    operations = [
        migrations.CreateModel(
            name="Listing",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("list", models.CharField(default="baseline", max_length=20)),
                ("entered_version", models.PositiveIntegerField()),
                ("left_version", models.PositiveIntegerField(blank=True, null=True)),
                ("added_in_version", models.PositiveIntegerField()),
                ("submission", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                 to="curation.submission")),
            ],
            options={
                "indexes": [
                    models.Index(fields=["list", "entered_version"], name="listing_entered"),
                    models.Index(fields=["list", "left_version"], name="listing_left"),
                ],
                "constraints": [
                    models.UniqueConstraint(condition=models.Q(("left_version__isnull", True)),
                                            fields=("list", "submission"), name="listing_one_open_per_item"),
                    models.UniqueConstraint(fields=("list", "submission", "entered_version"),
                                            name="listing_unique_entry"),
                    models.CheckConstraint(condition=models.Q(("left_version__isnull", True),
                                                              ("left_version__gt", models.F("entered_version")),
                                                              _connector="OR"),
                                           name="listing_leaves_after_entering"),
                ],
            },
        ),
        migrations.RemoveConstraint(model_name="release", name="release_one_building"),
        migrations.AddField(model_name="release", name="list",
                            field=models.CharField(default="baseline", max_length=20)),
        migrations.AlterField(model_name="release", name="version", field=models.PositiveIntegerField()),
        migrations.AddConstraint(
            model_name="release",
            constraint=models.UniqueConstraint(fields=("list", "version"), name="release_unique_list_version"),
        ),
        migrations.AddConstraint(
            model_name="release",
            constraint=models.UniqueConstraint(condition=models.Q(("status", "building")), fields=("list",),
                                               name="release_one_building_per_list"),
        ),
        migrations.RunPython(stays_from_members, members_from_stays),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.DeleteModel(name="ReleaseMember"),
    ]
