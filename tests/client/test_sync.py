"""`baseline sync` and `baseline verify` (DESIGN.md section 10) against a live server: a first
mirror, deltas applied instead of whole downloads, the trust checks each refusing with its own exit
status and the previous mirror intact, a resumed download, a followed key rotation, a frozen feed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from curation.models import Download, Release
from curation.releases import signing
from curation.submissions.services import item_retract
from tests.client.conftest import BASELINE, client_db, public_key, resign, run
from tests.curation.helpers import approved_item, publish

pytestmark = client_db


def listed(personas, count: int = 1):
    return [approved_item(personas, algorithms=("md5", "sha256", "pdq")) for _ in range(count)]


def sync(url, mirror: Path, token_file: Path, *extra: str):
    return run("sync", url, mirror, "--token-file", token_file, *extra)


def held_version(mirror: Path) -> int:
    return json.loads((mirror / "current" / ".mirror.json").read_text())["version"]


def server_file(version: int, file_format: str) -> bytes:
    from curation.releases import storage

    record = Release.objects.get(version=version).files.get(format=file_format)
    with storage.open_file(record.path) as handle:
        return handle.read()


def test_a_first_sync_mirrors_the_release_and_verify_checks_it_offline(personas, live_server, token_file, tmp_path):
    listed(personas, 3)
    publish()
    mirror = tmp_path / "mirror"
    done = sync(live_server.url, mirror, token_file, "--public-key", public_key(), "--formats", "pdq,md5,csv.gz")
    assert done.returncode == 0, done.stderr
    assert "mirrored release 1" in done.stdout
    for file_format, name in (("csv", "baseline-v1.csv"), ("pdq", "baseline-v1.pdq.txt"),
                              ("csv.gz", "baseline-v1.csv.gz")):
        assert (mirror / "current" / name).read_bytes() == server_file(1, file_format)
    assert (mirror / "manifests" / "baseline-v1.manifest.json").read_bytes() == bytes(Release.objects.get().manifest)
    checked = run("verify", mirror)
    assert checked.returncode == 0 and "verified release 1" in checked.stdout, checked.stderr
    again = sync(live_server.url, mirror, token_file)
    assert again.returncode == 0 and "up to date" in again.stdout


def test_later_releases_are_rebuilt_from_signed_deltas_not_downloaded(personas, live_server, token_file, tmp_path):
    first = listed(personas, 4)
    publish()
    mirror = tmp_path / "mirror"
    assert sync(live_server.url, mirror, token_file, "--public-key", public_key(),
                "--formats", "pdq,sha256,threatexchange").returncode == 0
    listed(personas, 2)
    publish()
    item_retract(actor=personas.curator, item=first[0], reason="wrong entry")
    listed(personas, 1)
    publish()
    done = sync(live_server.url, mirror, token_file)
    assert done.returncode == 0, done.stderr
    assert held_version(mirror) == 3
    for file_format, name in (("csv", "baseline-v3.csv"), ("pdq", "baseline-v3.pdq.txt"),
                              ("sha256", "baseline-v3.sha256.txt"),
                              ("threatexchange", "baseline-v3.threatexchange.txt")):
        assert (mirror / "current" / name).read_bytes() == server_file(3, file_format)
    later = Download.objects.filter(user=personas.partner, release__version__in=(2, 3))
    assert set(later.values_list("file", flat=True)) - {"manifest", "signature"} == {"delta"}
    assert sorted(p.name for p in (mirror / "manifests").iterdir()) == [
        f"baseline-v{v}.{kind}.json" for v in (1, 2, 3) for kind in ("manifest", "signature")]
    assert not list((mirror / "versions").glob("v1")) and run("verify", mirror).returncode == 0


def test_without_a_key_nothing_is_trusted_unless_asked_on_first_use(personas, live_server, token_file, tmp_path):
    listed(personas)
    publish()
    refused = sync(live_server.url, tmp_path / "m", token_file)
    assert refused.returncode == 8 and "--public-key" in refused.stderr
    assert not (tmp_path / "m" / "current").exists()
    pinned = sync(live_server.url, tmp_path / "m", token_file, "--trust-server-key")
    assert pinned.returncode == 0, pinned.stderr
    assert "fingerprint" in pinned.stdout
    other = base64_key(Ed25519PrivateKey.generate())
    changed = sync(live_server.url, tmp_path / "m", token_file, "--public-key", other)
    assert changed.returncode == 8 and "pins key" in changed.stderr


def base64_key(private) -> str:
    import base64

    return base64.b64encode(signing.public_raw(private)).decode()


def _first_then_second(personas, live_server, token_file, tmp_path, url=None):
    listed(personas, 2)
    publish()
    mirror = tmp_path / "mirror"
    assert sync(live_server.url, mirror, token_file, "--public-key", public_key(), "--formats", "pdq").returncode == 0
    before = {p.name: p.read_bytes() for p in (mirror / "current").iterdir()}
    listed(personas, 2)
    publish()
    return mirror, before


def _intact(mirror: Path, before: dict) -> None:
    assert held_version(mirror) == 1
    assert {p.name: p.read_bytes() for p in (mirror / "current").iterdir()} == before
    assert run("verify", mirror).returncode == 0


def test_a_tampered_file_is_refused_and_the_previous_mirror_kept(personas, live_server, token_file, tmp_path, proxy):
    mirror, before = _first_then_second(personas, live_server, token_file, tmp_path)
    proxy.rules[r"/releases/2/files/(pdq|delta)/"] = lambda body: body.replace(b"0", b"1", 1)
    refused = sync(proxy.url, mirror, token_file)
    assert refused.returncode == 7, refused.stderr
    assert "differs from its signed manifest" in refused.stderr
    _intact(mirror, before)
    proxy.rules.clear()
    assert sync(proxy.url, mirror, token_file).returncode == 0 and held_version(mirror) == 2


def test_a_manifest_signed_by_another_key_is_refused(personas, live_server, token_file, tmp_path, proxy):
    mirror, before = _first_then_second(personas, live_server, token_file, tmp_path)
    stranger = Ed25519PrivateKey.generate()
    body, sig = resign(json.loads(bytes(Release.objects.get(version=2).manifest)), stranger)
    proxy.rules[r"/releases/2/manifest/"] = lambda _: body
    proxy.rules[r"/releases/2/signature/"] = lambda _: sig
    refused = sync(proxy.url, mirror, token_file)
    assert refused.returncode == 4 and "does not verify with the pinned key" in refused.stderr
    _intact(mirror, before)


def test_a_release_that_does_not_chain_is_refused(personas, live_server, token_file, tmp_path, proxy):
    from curation.releases import signing_keys

    mirror, before = _first_then_second(personas, live_server, token_file, tmp_path)
    manifest = json.loads(bytes(Release.objects.get(version=2).manifest))
    manifest["previous_manifest_sha256"] = "0" * 64  # validly signed, but not after release 1
    body, sig = resign(manifest, signing_keys.private_key())
    proxy.rules[r"/releases/2/manifest/"] = lambda _: body
    proxy.rules[r"/releases/2/signature/"] = lambda _: sig
    refused = sync(proxy.url, mirror, token_file)
    assert refused.returncode == 5 and "does not chain to release 1" in refused.stderr
    _intact(mirror, before)


def test_an_older_release_than_the_mirror_holds_is_refused(personas, live_server, token_file, tmp_path, proxy):
    mirror, _ = _first_then_second(personas, live_server, token_file, tmp_path)
    assert sync(proxy.url, mirror, token_file).returncode == 0 and held_version(mirror) == 2
    before = {p.name: p.read_bytes() for p in (mirror / "current").iterdir()}
    proxy.rules[r"/releases/latest/"] = lambda body: json.dumps({**json.loads(body), "version": 1}).encode()
    refused = sync(proxy.url, mirror, token_file)
    assert refused.returncode == 6 and "older than release 2" in refused.stderr
    assert {p.name: p.read_bytes() for p in (mirror / "current").iterdir()} == before


def test_a_killed_download_resumes_and_never_switches_half_way(personas, live_server, token_file, tmp_path, proxy):
    listed(personas, 1)
    publish()
    mirror = tmp_path / "mirror"
    assert sync(proxy.url, mirror, token_file, "--public-key", public_key()).returncode == 0
    before = {p.name: p.read_bytes() for p in (mirror / "current").iterdir()}
    listed(personas, 40)
    publish()
    proxy.chunk, proxy.slow = 1024, 0.2  # the csv.gz takes seconds
    size = Release.objects.get(version=2).files.get(format="csv.gz").size
    assert size > 4 * 1024
    process = subprocess.Popen([str(BASELINE), "sync", proxy.url, str(mirror), "--token-file", str(token_file),
                                "--formats", "csv.gz"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    part = mirror / ".partial" / "v2" / "baseline-v2.csv.gz.part"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (part.exists() and part.stat().st_size >= 2048):
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    assert 0 < part.stat().st_size < size
    assert held_version(mirror) == 1
    assert {p.name: p.read_bytes() for p in (mirror / "current").iterdir()} == before
    proxy.slow = 0.0
    resumed = sync(proxy.url, mirror, token_file, "--formats", "csv.gz")
    assert resumed.returncode == 0, resumed.stderr
    assert any(path.endswith("/files/csv.gz/") and value.startswith("bytes=") and value != "bytes=0-"
               for path, value in proxy.ranges), proxy.ranges
    assert (mirror / "current" / "baseline-v2.csv.gz").read_bytes() == server_file(2, "csv.gz")
    assert run("verify", mirror).returncode == 0


def test_a_key_rotation_announced_in_a_signed_manifest_is_followed(personas, live_server, token_file, tmp_path,
                                                                   settings):
    listed(personas)
    publish()
    mirror = tmp_path / "mirror"
    assert sync(live_server.url, mirror, token_file, "--public-key", public_key()).returncode == 0
    successor = tmp_path / "next.pem"
    signing.generate_private_key_file(successor)
    settings.BASELINE_NEXT_SIGNING_KEY_FILE = str(successor)
    listed(personas)
    publish()  # signed by the old key, announcing the successor
    assert json.loads(bytes(Release.objects.get(version=2).manifest))["next_key"]
    settings.BASELINE_SIGNING_KEY_FILE, settings.BASELINE_NEXT_SIGNING_KEY_FILE = str(successor), None
    listed(personas)
    publish()  # signed by the successor
    done = sync(live_server.url, mirror, token_file)
    assert done.returncode == 0, done.stderr
    state = json.loads((mirror / "current" / ".mirror.json").read_text())
    assert (state["version"], state["key"]) == (3, public_key())
    assert run("verify", mirror).returncode == 0


def test_a_feed_that_stops_moving_exits_3_after_max_age(personas, live_server, token_file, tmp_path):
    from freezegun import freeze_time

    listed(personas)
    with freeze_time(timezone.now() - timedelta(days=10)):
        publish()  # the newest release the service offers was made ten days ago
    mirror = tmp_path / "mirror"
    fresh = sync(live_server.url, mirror, token_file, "--public-key", public_key(), "--max-age", "30")
    assert fresh.returncode == 0, fresh.stderr
    frozen = sync(live_server.url, mirror, token_file)  # --max-age 7 by default
    assert frozen.returncode == 3 and "made 10 days ago" in frozen.stderr and "looks frozen" in frozen.stderr
    assert run("verify", mirror).returncode == 3
    assert run("verify", mirror, "--max-age", "30").returncode == 0
    assert held_version(mirror) == 1


def test_verify_finds_a_file_changed_in_the_mirror(personas, live_server, token_file, tmp_path):
    listed(personas)
    publish()
    mirror = tmp_path / "mirror"
    assert sync(live_server.url, mirror, token_file, "--public-key", public_key()).returncode == 0
    csv = mirror / "current" / "baseline-v1.csv"
    csv.write_bytes(csv.read_bytes() + b"x")
    broken = run("verify", mirror)
    assert broken.returncode == 7 and "baseline-v1.csv differs" in broken.stderr


def test_the_worst_of_list_is_named_as_not_offered_until_the_service_has_it(live_server, token_file, tmp_path):
    refused = sync(live_server.url, tmp_path / "m", token_file, "--list", "worst-of", "--public-key", public_key())
    assert refused.returncode == 1 and "does not offer the worst-of list" in refused.stderr
    assert not (tmp_path / "m" / "current").exists()
