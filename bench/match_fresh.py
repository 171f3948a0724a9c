"""Publication to matchable on a running server (`match-fresh`). Target <= 120 s.

A real deployment's web processes, started as tests/test_deployment_kill.py starts them: gunicorn
with deploy/gunicorn.conf.py and production settings; here SERVERS servers of one worker (4 threads)
each on its own port, so the port an answer comes from names the process that gave it; each with
the default BASELINE_MATCH_CHECK_SECONDS (30) and an index directory of its own (a host each). The
list holds ITEMS approved items, published by a real build (bench/releases.py, in a child process).
The servers first answer 10 s apart, so their checks for a newer release are spread over the 30 s
as in a deployment whose processes started at different times (started together, they would all
switch at once). Then a release adding one item is built and published, and a partner POSTs
`match/` with the item's MD5 over HTTP to every port every 0.5 s until each answers from the new
release with the match; then the item is retracted, a release removing it is published, and the
same until none matches it. The figures are seconds from each release's `published_at` to the
first such answer of each process, and the slowest.

The floor is BASELINE_MATCH_CHECK_SECONDS: a process looks for a newer release at most that often,
so a publication is served after at most that plus the index's load (fetch, SHA-256, map).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.matching import UNLIMITED, empty_list, partner_token

ROOT = Path(__file__).resolve().parent.parent
SERVERS = 3
ITEMS = 10_000
OFFSET = 300_000_000
POLL_SECONDS = 0.5
CHECK_SECONDS = 30  # BASELINE_MATCH_CHECK_SECONDS's default
GIVE_UP_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _match(port: int, token: str, md5: str) -> dict:
    """POST match/ over HTTP as a partner behind the proxy would (tests/test_deployment_kill.py)."""
    body = json.dumps({"signatures": [{"algorithm": "md5", "value": md5}]}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/match/", data=body, method="POST", headers={
        "Authorization": f"Token {token}", "Host": "localhost", "X-Forwarded-Proto": "https",
        "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"port {port} answered {error.code}: {error.read()[:300]!r}") from None


def _until(ports: list[int], token: str, md5: str, version: int, matching: bool, published_at: float) -> dict:
    """Poll every port every POLL_SECONDS until each answers from `version` with (or without) the
    item's match: per port the seconds since publication and the answers before that one."""
    seconds: dict[int, float] = {}
    earlier = dict.fromkeys(ports, 0)
    while len(seconds) < len(ports):
        if time.time() - published_at > GIVE_UP_SECONDS:
            raise RuntimeError(f"after {GIVE_UP_SECONDS} s only ports {sorted(seconds)} serve release {version}")
        began = time.monotonic()
        for port in ports:
            if port in seconds:
                continue
            answer = _match(port, token, md5)
            if answer["releases"].get("baseline") == version and bool(answer["results"][0]["matches"]) == matching:
                seconds[port] = round(time.time() - published_at, 1)
            else:
                earlier[port] += 1
        time.sleep(max(0.0, POLL_SECONDS - (time.monotonic() - began)))
    return {"seconds_slowest": max(seconds.values()), "seconds_per_process": sorted(seconds.values()),
            "earlier_answers_per_process": [earlier[p] for p in ports]}


def _publish() -> dict:
    from bench.releases import publish_measured
    from curation.models import Release

    figures = publish_measured()
    release = Release.objects.get(list="baseline", version=figures["version"])
    if release.status != Release.Status.PUBLISHED:
        raise RuntimeError(f"release {release.version} is {release.status}")
    return {"version": release.version, "build_seconds": figures["seconds"], "item_count": release.item_count,
            "published_at": release.published_at.timestamp()}


def _start(ports: list[int], logs: Path, index_dir: Path) -> list[subprocess.Popen]:
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BASELINE_WEB_WORKERS": "1", "BASELINE_WEB_THREADS": "4",
           "BASELINE_API_RATE": UNLIMITED, "BASELINE_MATCH_QUERY_RATE": UNLIMITED, "REDIS_URL": f"{redis}/12"}
    env.pop("BASELINE_MATCH_CHECK_SECONDS", None)  # the default, 30
    gunicorn = Path(sys.executable).parent / "gunicorn"
    servers = []
    for n, port in enumerate(ports):
        directory = index_dir / f"host-{n}"  # one host each: each fetches and checks its own copy
        with (logs / f"web{n}.log").open("wb") as out:
            servers.append(subprocess.Popen(  # noqa: S603
                [str(gunicorn), "config.wsgi:application", "-c", "deploy/gunicorn.conf.py"], cwd=ROOT,
                env={**env, "BASELINE_BIND": f"127.0.0.1:{port}", "BASELINE_MATCH_INDEX_DIR": str(directory)},
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
    return servers


def _stop(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
    for server in servers:
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


def _serving(ports: list[int], token: str, md5: str, logs: Path) -> list[float]:
    """Wait for each server's first answer (its first load of the index), one CHECK_SECONDS / len(ports)
    after the other, so their checks for a newer release are spread over the interval as in a
    deployment whose processes started at different times; the offsets of their first answers."""
    offsets, first = [], None
    for port in ports:
        deadline = time.monotonic() + 90
        while True:
            try:
                _match(port, token, md5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"port {port} never answered; logs in {logs}") from None
                time.sleep(0.5)
        first = time.monotonic() if first is None else first
        offsets.append(round(time.monotonic() - first, 1))
        if port != ports[-1]:
            time.sleep(CHECK_SECONDS / len(ports))
    return offsets


def bench_match_fresh(servers: int = SERVERS, items: int = ITEMS) -> dict:
    from bench.releases import load_approved
    from curation.models import Signature, Submission

    empty_list()
    load_approved(items, offset=OFFSET)
    first = _publish()
    token = partner_token()
    ports = [_free_port() for _ in range(servers)]
    with tempfile.TemporaryDirectory() as scratch:
        logs, index_dir = Path(scratch) / "logs", Path(scratch) / "index"
        logs.mkdir()
        running = _start(ports, logs, index_dir)
        try:
            [item] = load_approved(1, offset=OFFSET + items)  # approved now, listed by the next release
            md5 = Signature.objects.get(submission_id=item, algorithm="md5").value
            phases = _serving(ports, token, md5, logs)
            started = time.time()
            added = _publish()
            addition = _until(ports, token, md5, added["version"], True, added["published_at"])
            Submission.objects.filter(pk=item).update(status="retracted", retraction_reason="bench")
            Signature.objects.filter(submission_id=item).update(active=False)
            removed = _publish()
            removal = _until(ports, token, md5, removed["version"], False, removed["published_at"])
        finally:
            _stop(running)
    return {
        "web_processes": servers, "threads_each": 4, "match_check_seconds": CHECK_SECONDS,
        "poll_seconds": POLL_SECONDS, "first_answer_offsets_seconds": phases,
        "items": items, "first_release": {k: v for k, v in first.items() if k != "published_at"},
        "floor": f"{CHECK_SECONDS} s + the index's load (fetch, SHA-256 check, map) + up to {POLL_SECONDS} s polling",
        "addition_published_after_last_first_answer_seconds": round(added["published_at"] - started, 1),
        "addition": {"version": added["version"], "build_seconds": added["build_seconds"], **addition},
        "removal": {"version": removed["version"], "build_seconds": removed["build_seconds"], **removal},
        "target": "a publication (a removal included) served by every process within 120 s",
    }
