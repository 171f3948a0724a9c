"""Issue 13 item 7: a deployment survives a killed worker. Two gunicorn web processes (deploy/
gunicorn.conf.py) and two Celery workers plus beat run with production settings against one
PostgreSQL database, Redis and a real S3-compatible server (moto_server). A curator publishes
through the API; the worker building it is killed outright (SIGKILL of its whole process group,
not a pool child); beat's watchdog restarts the build as a new attempt on the other worker, and
the release is published exactly once, within 5 minutes, with every file byte-identical through
both web processes (302 to a presigned URL, fetched from the store, checked against the manifest).

It takes about a minute and is part of `make test`."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.object_storage import moto_server  # noqa: F401  (the session fixture)
from tests.scratch_db import scratch_database, signing_key_file

ROOT = Path(__file__).resolve().parents[1]
LOGS: list[Path] = []  # the processes' logs, named in a timeout's message
ITEMS = 60_000  # enough for a build of several seconds, so there is a build to kill
SETUP = f"""
from accounts.models import Organisation, Role
from accounts.services import organisation_create, token_create, user_create
from bench.releases import load_approved
from core.actors import SYSTEM
from curation.releases.services import feed_grant
load_approved({ITEMS})
secretariat = organisation_create(actor=SYSTEM, name="Secretariat", country="FR", kind=Organisation.Kind.SECRETARIAT)
curator = user_create(actor=SYSTEM, username="curator", organisation=secretariat, roles=[Role.CURATOR])
partner_org = organisation_create(actor=SYSTEM, name="Example Networks", country="SE", kind=Organisation.Kind.PARTNER)
partner = user_create(actor=SYSTEM, username="partner", organisation=partner_org, roles=[Role.PARTNER])
feed_grant(actor=SYSTEM, organisation=partner_org, feed_name="standard")
keys = [token_create(actor=SYSTEM, user=user, name="t")[1] for user in (curator, partner)]
print("TOKENS", *keys)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port: int, token: str, path: str, method: str = "GET", body: bytes | None = None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method, headers={
        "Authorization": f"Token {token}", "Host": "localhost", "X-Forwarded-Proto": "https",
        "Content-Type": "application/json"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OSError:  # not listening yet
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; logs: {LOGS}")


@pytest.mark.django_db
def test_a_killed_building_worker_delays_the_release_but_it_is_published_once(moto_server, tmp_path):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("production runs on PostgreSQL")

    with scratch_database(f"deploy_kill_{os.getpid()}") as url:
        _run_and_kill(moto_server, url, tmp_path)


def _run_and_kill(moto_server: str, url: str, tmp_path: Path) -> None:  # noqa: F811
    import boto3

    bucket = f"kill-{os.getpid()}"
    boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=bucket)
    key = signing_key_file(tmp_path / "signing-key.pem")
    redis_db = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "deploy-kill-test-" + "x" * 40, "ALLOWED_HOSTS": "localhost",
           "DATABASE_URL": url, "REDIS_URL": f"{redis_db}/13", "CELERY_BROKER_URL": f"{redis_db}/15",
           "BASELINE_SIGNING_KEY_FILE": str(key), "BASELINE_EXPORT_STORAGE": "storages.backends.s3.S3Storage",
           "AWS_STORAGE_BUCKET_NAME": bucket, "AWS_S3_ENDPOINT_URL": moto_server, "AWS_S3_REGION_NAME": "us-east-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_S3_ADDRESSING_STYLE": "path",
           "BASELINE_BUILD_HEARTBEAT_SECONDS": "1", "BASELINE_BUILD_STALE_SECONDS": "5",
           "BASELINE_BUILD_WATCHDOG_SECONDS": "2", "BASELINE_WEB_WORKERS": "1", "BASELINE_WEB_THREADS": "4",
           "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings"}
    venv = Path(sys.executable).parent
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    manage = [sys.executable, str(ROOT / "manage.py")]
    processes: dict[str, subprocess.Popen] = {}
    logs = tmp_path / "logs"
    logs.mkdir()
    LOGS[:] = [logs]

    def start(label: str, command: list[str], **extra) -> None:
        out = open(logs / f"{label}.log", "wb")  # noqa: SIM115 - closed with the process
        processes[label] = subprocess.Popen(command, cwd=ROOT, env={**env, **extra}, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    try:
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True, capture_output=True)
        done = subprocess.run([*manage, "shell", "-c", SETUP], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        curator_token, partner_token = done.stdout.split("TOKENS", 1)[1].split()
        ports = [_free_port(), _free_port()]
        for n, port in enumerate(ports):
            start(f"web{n}", [str(venv / "gunicorn"), "config.wsgi:application", "-c", "deploy/gunicorn.conf.py"],
                  BASELINE_BIND=f"127.0.0.1:{port}")
        for n in (1, 2):
            start(f"worker{n}", [str(venv / "celery"), "-A", "config", "worker", "--concurrency=1", "-n",
                                 f"w{n}@%h", "--prefetch-multiplier=1", "--without-gossip", "--without-mingle"])
        start("beat", [str(venv / "celery"), "-A", "config", "beat", "--schedule", str(tmp_path / "beat")])
        for port in ports:
            _wait(lambda port=port: _call(port, curator_token, "/api/v1/releases/")[0] == 200, 60, "the web")

        status, _, body = _call(ports[0], curator_token, "/api/v1/releases/", "POST", b'{"note": "kill test"}')
        assert status in (201, 202), body
        version = json.loads(body)["version"]

        def building_worker():
            """The worker whose pool runs the build, once it has started (its attempt beats)."""
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT r.attempts, r.progress FROM curation_release r WHERE r.version = %s",
                                   [version]).fetchone()
            if not row or row[0] < 1 or not row[1].startswith(("taking", "writing")):
                return None
            inspect = subprocess.run([str(venv / "celery"), "-A", "config", "inspect", "active", "--json",
                                      "--timeout", "3"], cwd=ROOT, env=env, capture_output=True, text=True)
            try:
                active = json.loads(inspect.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                return None
            for worker, tasks_ in active.items():
                if any(t["name"] == "curation.tasks.release_build" for t in tasks_):
                    return f"worker{worker.split('@')[0][1:]}"
            return None

        victim = _wait(building_worker, 120, "a worker to start the build")
        killed_at = time.monotonic()
        os.killpg(processes[victim].pid, signal.SIGKILL)  # the whole worker: main process and its pool
        processes[victim].wait(10)

        def published():
            status, _, body = _call(ports[1], curator_token, f"/api/v1/releases/{version}/")
            return status == 200 and json.loads(body)["status"] == "published" and json.loads(body)
        release = _wait(published, 300, "the release to be published by the other worker")
        delay = time.monotonic() - killed_at
        assert release["attempts"] >= 2 and delay < 300, (release["attempts"], delay)
        with psycopg.connect(url) as conn:
            actions = [a for (a,) in conn.execute(
                "SELECT action FROM curation_auditentry WHERE action IN ('release.publish', 'release.restart') "
                "ORDER BY seq")]
        assert actions.count("release.publish") == 1 and "release.restart" in actions, actions

        status, _, manifest_body = _call(ports[0], partner_token, f"/api/v1/releases/{version}/manifest/")
        assert status == 200
        manifest = json.loads(manifest_body)
        assert manifest["item_count"] == ITEMS
        for entry in manifest["files"]:
            if entry["feed"] != "standard":
                continue
            seen = []
            for port in ports:
                status, headers, _ = _call(port, partner_token, f"/api/v1/releases/{version}/files/{entry['format']}/")
                assert status == 302, (entry["format"], status)
                assert headers["Location"].startswith(moto_server)
                with urllib.request.urlopen(headers["Location"], timeout=60) as stored:  # noqa: S310 - the store
                    seen.append(stored.read())
            assert seen[0] == seen[1], entry["format"]
            assert (len(seen[0]), hashlib.sha256(seen[0]).hexdigest()) == (entry["size"], entry["sha256"])
        _removal_stops_matching(ports, url, curator_token, partner_token, version)
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


def _removal_stops_matching(ports: list[int], url: str, curator_token: str, partner_token: str, version: int) -> None:
    """Issue 15: every web process matches the published release, and an item removed by the next
    release stops matching through each of them within 2 minutes of its publication, without a
    restart (each looks for a newer release every BASELINE_MATCH_CHECK_SECONDS, 30 by default)."""
    with psycopg.connect(url) as conn:
        item_id, md5 = conn.execute("SELECT submission_id, value FROM curation_signature WHERE algorithm = 'md5' "
                                    "ORDER BY value LIMIT 1").fetchone()
    query = json.dumps({"signatures": [{"algorithm": "md5", "value": md5}]}).encode()

    def answer(port: int) -> dict:
        status, _, body = _call(port, partner_token, "/api/v1/match/", "POST", query)
        assert status == 200, body
        return json.loads(body)

    for port in ports:
        found = _wait(lambda port=port: answer(port)["results"][0]["matches"], 60, "a match through each process")
        assert found[0]["item_id"] == str(item_id) and answer(port)["releases"] == {"baseline": version}
    status, _, body = _call(ports[0], curator_token, f"/api/v1/submissions/{item_id}/retract/", "POST",
                            b'{"reason": "a wrong entry"}')
    assert status == 200, body
    status, _, body = _call(ports[0], curator_token, "/api/v1/releases/", "POST", b'{"note": "removal"}')
    assert status in (201, 202), body
    removal = json.loads(body)["version"]

    def published():
        status, _, body = _call(ports[1], curator_token, f"/api/v1/releases/{removal}/")
        return status == 200 and json.loads(body)["status"] == "published"

    _wait(published, 300, "the removal's release")
    published_at = time.monotonic()
    delays = []
    for port in ports:
        def gone(port=port):
            body = answer(port)
            return body["releases"] == {"baseline": removal} and body["results"][0]["matches"] == []
        _wait(gone, 150, f"the removal to stop matching through port {port}")
        delays.append(time.monotonic() - published_at)
    print(f"removal served by both web processes {max(delays):.1f} s after its publication")
    assert max(delays) <= 120, delays
