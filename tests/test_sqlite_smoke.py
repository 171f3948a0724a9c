"""The embedded default keeps working: migrate, seed_demo and a request as each role, on SQLite."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CLIENT_SCRIPT = """
import json, django
django.setup()
from django.test import Client
from curation.management.commands.seed_demo import DEMO_PASSWORD, USERS
results = {}
for username, _, roles in USERS:
    client = Client()
    signed_in = client.post("/sign-in/", {"username": username, "password": DEMO_PASSWORD})
    home = client.get("/")
    me = client.get("/api/v1/me/")
    results[username] = [signed_in.status_code, home.status_code, me.json()["roles"],
                         all(f'data-role="{r}"' in home.content.decode() for r in roles)]
print(json.dumps(results))
"""

FUTURE_SCRIPT = """
import django
django.setup()
from django.utils import timezone
from core.models import AuditEntry
from curation.models import Notice, Review, Submission
now = timezone.now()
print(sum(model.objects.filter(**{field + "__gt": now}).count() for model, field in
          ((Notice, "created_at"), (AuditEntry, "created_at"), (Review, "created_at"), (Submission, "created_at"))))
"""


def run(env, *args):
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def sqlite_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASELINE_", "DJANGO_", "CELERY_", "REDIS_"))}
    env.update(
        DEBUG="true",
        BASELINE_REQUIRE_MFA="false",
        DATABASE_URL=f"sqlite:///{tmp_path}/demo.sqlite3",
        SECRET_KEY="smoke-test-secret-key-that-is-long-enough-0123",
        BASELINE_EXPORT_ROOT=str(tmp_path / "exports"),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


WRITERS_SCRIPT = """
import django
django.setup()
from django.db import transaction
from core import audit
from tests.races import all_at_once
from core.actors import SYSTEM

def write(n):
    for i in range(20):
        with transaction.atomic():
            audit.record(actor=SYSTEM, action="organisation.update", object_type="w", object_id=f"{n}-{i}")

outcomes = all_at_once(write, [(n,) for n in range(6)])
assert outcomes == [None] * 6, outcomes
count, broken = audit.verify()
assert broken is None, broken
print("ok", count)
"""


def test_simultaneous_writers_wait_for_each_other_on_sqlite(tmp_path):
    """`make run` serves requests from threads: on SQLite a transaction takes the write lock when
    it begins (IMMEDIATE), so simultaneous writers queue instead of failing with "database is
    locked", and the audit chain stays whole."""
    env = sqlite_env(tmp_path)
    run(env, "manage.py", "migrate", "--noinput")
    assert run(env, "-c", WRITERS_SCRIPT).startswith("ok ")


def test_demo_runs_on_sqlite(tmp_path):
    env = sqlite_env(tmp_path)
    run(env, "manage.py", "migrate", "--noinput")
    out = run(env, "manage.py", "seed_demo")
    assert "password for each" in out
    run(env, "manage.py", "seed_demo")  # idempotent
    results = json.loads(run(env, "-c", CLIENT_SCRIPT).strip().splitlines()[-1])
    assert set(results) == {"investigator", "reviewer1", "reviewer2", "reviewer3", "reviewer4", "curator",
                            "partner", "admin"}
    for username, (signed_in, home, roles, panels) in results.items():
        assert (signed_in, home, panels) == (302, 200, True), username
        assert roles, username
    run(env, "manage.py", "verify_audit_log")
    # Demo history is all in the past: no notice, review or log entry dated after "now" (issue 12).
    assert run(env, "-c", FUTURE_SCRIPT).strip().splitlines()[-1] == "0"


def test_import_runs_on_sqlite(tmp_path):
    """Development's import path (the ORM; the staging table is PostgreSQL's): the same per-line
    errors and outcome, and an intact audit log."""
    import hashlib

    env = sqlite_env(tmp_path)
    run(env, "manage.py", "migrate", "--noinput")
    run(env, "manage.py", "seed_demo")
    md5 = [hashlib.md5(f"sqlite-import-{n}".encode()).hexdigest() for n in range(3)]  # noqa: S324
    path = tmp_path / "candidates.csv"
    path.write_text("item_key,media_type,algorithm,value,external_reference\n"
                    f"a,image,md5,{md5[0]},R1\n"      # line 2
                    "bad,image,md5,nothex,R2\n"        # line 3
                    f"b,image,md5,{md5[1]},R3\n"      # line 4
                    f"again,image,md5,{md5[0]},R4\n")  # line 5: repeats a
    result = subprocess.run(
        [sys.executable, "manage.py", "import_candidates", str(path), "--submitter", "investigator"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Imported 2 items; 2 items with errors not imported." in result.stdout
    errors = result.stderr.splitlines()
    assert errors[0].startswith("line 3: item 'bad': md5: expected 32 hexadecimal")
    assert errors[1] == "line 5: item 'again': a signature repeats item 'a' of this file"
    run(env, "manage.py", "verify_audit_log")
