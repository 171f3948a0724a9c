"""The partner client as a partner gets it: `make client-wheel`, then in a fresh virtual
environment `pip install --only-binary :all: --find-links dist/client baseline-client` (no compiler:
pdqhash comes as the wheel the target built), then `baseline sync`, `verify`, `hash` and `scan`
against a live server. The blurred copy of a listed photograph is found offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from baseline_client.hashing.media import pdq_from_image_bytes

from client.tests.vectors import TESTDATA, VECTORS, comparable
from tests.client.conftest import client_db, public_key
from tests.curation.helpers import approved_item, publish

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = TESTDATA / "pdq" / "bridge-mods"


@pytest.fixture(scope="session")
def fresh_client(tmp_path_factory) -> Path:
    """The `baseline` script of a new virtual environment holding only the client and what it needs."""
    subprocess.run(["make", "-C", str(ROOT), "client-wheel"], check=True, capture_output=True)
    venv = tmp_path_factory.mktemp("client-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--only-binary", ":all:",
                                "--find-links", str(ROOT / "dist" / "client"), "baseline-client"],
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    packages = subprocess.run([str(venv / "bin" / "pip"), "list", "--format", "json"], capture_output=True,
                              text=True, check=True).stdout
    assert not {"django", "Django"} & {p["name"] for p in json.loads(packages)}
    return venv / "bin" / "baseline"


def _run(script: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(script), *map(str, args)], capture_output=True, text=True, timeout=300,
                          cwd=script.parent)  # not the repository: nothing importable from here


@client_db
def test_in_a_fresh_environment_the_client_syncs_verifies_hashes_and_scans(fresh_client, personas, live_server,
                                                                             token_file, tmp_path):
    original, quality = pdq_from_image_bytes((BRIDGE / "aaa-orig.jpg").read_bytes())
    photo = approved_item(personas, algorithms=(), signatures=[{"algorithm": "pdq", "value": original,
                                                                "quality": quality}])
    publish()
    mirror = tmp_path / "mirror"
    synced = _run(fresh_client, "sync", live_server.url, mirror, "--token-file", token_file, "--public-key",
                  public_key(), "--formats", "pdq")
    assert synced.returncode == 0, synced.stderr
    assert _run(fresh_client, "verify", mirror).returncode == 0
    vector = VECTORS["vectors"][0]
    hashed = _run(fresh_client, "hash", "--seconds-per-hash", VECTORS["seconds_per_hash"], TESTDATA / vector["file"])
    assert comparable(json.loads(hashed.stdout)["signatures"]) == vector["signatures"]
    scanned = _run(fresh_client, "scan", BRIDGE / "blur-a-lot.jpg", TESTDATA / "pdq" / "misc", "--list", mirror)
    assert scanned.returncode == 0, scanned.stderr
    records = [json.loads(line) for line in scanned.stdout.splitlines()]
    assert [(Path(r["path"]).name, r["item_id"], r["algorithm"]) for r in records] == [
        ("blur-a-lot.jpg", str(photo.pk), "pdq")]
