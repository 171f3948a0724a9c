"""Migration 0013 on a database built by the code before it (tests/fixtures/pre_interval/, made by
tests/fixtures/make_pre_interval_db.py: releases 1–5 published with one `ReleaseMember` row per
item per release, an item that left and came back, a failed attempt, deltas on request, and
release 6 interrupted after its snapshot).

After `migrate`, every published file is rendered again from the membership intervals and must
equal the stored file byte for byte, deltas included; `verify_release` passes on every release;
the interrupted build resumes and publishes release 6 with the right changes; and the stays are
fewer rows than the copies were. Run as partners and operators run it: `manage.py` in a
subprocess against a restored PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.scratch_db import scratch_database, signing_key_file

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "pre_interval"

CHECK = r"""
import hashlib
from django.core.management import call_command
from curation.models import Listing, Release, ReleaseDelta
from curation.releases import build, membership
from curation.releases.storage import open_file

def stored(path):
    with open_file(path) as handle:
        return handle.read()

published = list(Release.objects.filter(status="published").order_by("version"))
assert [r.version for r in published] == [1, 2, 3, 4, 5], [r.version for r in published]
for release in published:
    for record in release.files.all():
        again = b"".join(membership.chunks_for(release, record.format))
        assert again == stored(record.path), (release.version, record.format)
        assert hashlib.sha256(again).hexdigest() == record.sha256
    expected = {"item_count": release.item_count, "signature_counts": release.signature_counts,
                "added": release.added, "removed": release.removed}
    assert membership.counts(release) == expected, release.version
    call_command("verify_release", release.version)
for delta in ReleaseDelta.objects.all():
    earlier = Release.objects.get(version=delta.since_version)
    from curation.releases import exports
    again = b"".join(exports.render_delta(membership.delta_rows(delta.release, earlier)))
    assert again == stored(delta.path), ("delta", delta.since_version)
rows = Listing.objects.count()
copies = sum(r.item_count for r in published)
print(f"stays {rows} copies {copies}")
assert rows < copies
[a] = Listing.objects.filter(entered_version=1, left_version=2)  # A: listed in v1, retracted in v2, back in v5
assert Listing.objects.filter(submission_id=a.submission_id, entered_version=5, left_version=None).exists()

sixth = Release.objects.get(version=6)
assert sixth.status == "building" and not Listing.objects.filter(entered_version=6).exists()
assert build.release_build(sixth.pk) == "published"
sixth.refresh_from_db()
assert (sixth.added, sixth.removed, sixth.item_count) == (1, 0, release.item_count + 1), (sixth.added, sixth.removed)
call_command("verify_release", 6)
print("interval migration checked")
"""


@pytest.mark.django_db
def test_published_releases_read_back_exactly_after_the_migration(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the fixture is a PostgreSQL dump")
    with scratch_database(f"pre_interval_{os.getpid()}") as url:
        subprocess.run(["psql", "--quiet", "--set", "ON_ERROR_STOP=1", "--file", str(FIXTURE / "db.sql"), url],
                       check=True, capture_output=True)
        exports = tmp_path / "exports"
        shutil.copytree(FIXTURE / "exports", exports)
        key = signing_key_file(tmp_path / "signing-key.pem")
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "migration-test-" + "x" * 40,
               "ALLOWED_HOSTS": "localhost", "BASELINE_SIGNING_KEY_FILE": str(key),
               "BASELINE_EXPORT_ROOT": str(exports)}
        env.pop("CELERY_BROKER_URL", None)  # the resumed build runs in process
        manage = [sys.executable, str(ROOT / "manage.py")]
        done = subprocess.run([*manage, "migrate", "--no-input"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "0013_membership_intervals" in subprocess.run(
            [*manage, "showmigrations", "curation"], env=env, capture_output=True, text=True, check=True).stdout
        done = subprocess.run([*manage, "shell", "-c", CHECK], env=env, capture_output=True, text=True)
        assert done.returncode == 0 and "interval migration checked" in done.stdout, done.stdout + done.stderr[-3000:]
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT to_regclass('curation_releasemember')").fetchone()[0] is None
