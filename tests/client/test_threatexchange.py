"""The python-threatexchange extension `baseline_client.threatexchange` (DESIGN.md section 10) as
partners run it: the installed `threatexchange` console script in a subprocess, its state in a
temporary HOME, against the live server: the commands of the design, `fetch` verified as `baseline
sync` verifies (a tampered manifest or file fails the fetch and stores nothing), and a retracted
item reaching the store as a deletion at the next release."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from baseline_client.hashing.media import pdq_from_image_bytes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from curation.models import Download, Release
from curation.releases import signing
from curation.submissions.services import item_retract
from tests.client.conftest import client_db, public_key, resign
from tests.curation.helpers import TESTDATA, approved_item, publish

pytestmark = client_db

THREATEXCHANGE = Path(sys.executable).parent / "threatexchange"
ORIGINAL = TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg"
BLURRED = TESTDATA / "pdq" / "bridge-mods" / "blur-a-lot.jpg"  # PDQ distance 4 from the original
UNRELATED = TESTDATA / "pdq" / "misc" / "c.png"
COLLAB = "BASELINE"


class Threatexchange:
    """`threatexchange` with its state (HOME, TX_STATEDIR) under a test's folder."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.state = home / ".threatexchange"

    def __call__(self, *args, timeout: float = 180) -> subprocess.CompletedProcess:
        assert THREATEXCHANGE.exists(), f"{THREATEXCHANGE}: requirements/dev.txt installs threatexchange"
        env = {k: v for k, v in os.environ.items() if k not in ("TX_BASELINE_TOKEN", "TX_VERBOSE")}
        env.update(HOME=str(self.home), TX_STATEDIR=str(self.state))
        return subprocess.run([str(THREATEXCHANGE), *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, env=env)

    def ok(self, *args) -> subprocess.CompletedProcess:
        done = self(*args)
        assert done.returncode == 0, f"threatexchange {' '.join(map(str, args))}: {done.stdout}\n{done.stderr}"
        return done

    def configure(self, url: str, token_file: Path, *extra: str) -> None:
        """The design's three commands."""
        self.ok("config", "extensions", "add", "baseline_client.threatexchange")
        # The "=" form: a token may begin with "-", which argparse would take for an option.
        self.ok("config", "api", "baseline", f"--credentials={token_file.read_text().strip()}")
        self.ok("config", "collab", "edit", "baseline", "--create", "--server", url, "--public-key", public_key(),
                *extra, COLLAB)

    def stored(self):
        """The fetched state the CLI keeps for the collab (a pickled FetchDelta), or None."""
        path = self.state / "fetched" / "baseline" / f"{COLLAB}.state.pickle"
        return pickle.loads(path.read_bytes()) if path.exists() else None  # noqa: S301 - written by this test

    def matches(self, image: Path) -> list[str]:
        done = self("match", "photo", image)
        return [line for line in done.stdout.splitlines() if f"({COLLAB})" in line]


@pytest.fixture
def tx(tmp_path) -> Threatexchange:
    home = tmp_path / "home"
    home.mkdir()
    return Threatexchange(home)


def list_image(personas, image: Path, *, filler: bool = True):
    """An item listing the image's PDQ; with `filler`, another item with an unrelated PDQ first:
    python-threatexchange 1.2's PDQ index, saved holding a single hash, matches nothing once
    loaded (facebook/ThreatExchange issue 1318), and `match` loads the saved index."""
    if filler:
        approved_item(personas, algorithms=("pdq",))
    value, quality = pdq_from_image_bytes(image.read_bytes())
    return approved_item(personas, algorithms=(), signatures=[{"algorithm": "pdq", "value": value,
                                                               "quality": quality}])


def test_fetch_then_match_finds_a_listed_image_and_nothing_else(personas, live_server, token_file, tx):
    item = list_image(personas, ORIGINAL)
    video = approved_item(personas, media_type="video", algorithms=("md5", "sha256", "vpdq"))
    publish()
    tx.configure(live_server.url, token_file)
    fetched = tx("fetch")
    assert fetched.returncode == 0, fetched.stderr
    found = tx.matches(BLURRED)
    assert len(found) == 1 and found[0].startswith("pdq ") and str(item.pk) in found[0], found
    assert "POSITIVE_CLASS baseline" in found[0] and "since release 1" in found[0]
    assert tx.matches(UNRELATED) == []
    signals = tx.ok("dataset", "--print-signals", "--print-signals-only").stdout.split("\n")
    values = {s.algorithm: s.value for s in video.signatures.all()}
    assert {f"video_md5 {values['md5']}", f"video_sha256 {values['sha256']}"} <= set(signals)
    stored = tx.stored()
    assert (stored.checkpoint.version, stored.checkpoint.manifest_sha256) == (
        1, Release.objects.get().manifest_sha256)
    assert ("vpdq", values["vpdq"]) in stored.updates  # stored; indexed where the vpdq extension is installed
    again = tx("fetch")
    assert again.returncode == 0 and len(tx.matches(BLURRED)) == 1


def test_fetch_without_a_token_says_how_to_give_one(personas, live_server, token_file, tx):
    list_image(personas, ORIGINAL)
    publish()
    tx.ok("config", "extensions", "add", "baseline_client.threatexchange")
    tx.ok("config", "collab", "edit", "baseline", "--create", "--server", live_server.url, "--public-key",
          public_key(), COLLAB)
    refused = tx("fetch")
    assert refused.returncode != 0 and "threatexchange config api baseline --credentials TOKEN" in refused.stderr
    assert "no token stored" in tx.ok("config", "api", "baseline").stdout
    tx.ok("config", "api", "baseline", "--credentials-file", token_file)
    credentials = tx.state / "baseline" / "credentials"
    assert credentials.read_text() == token_file.read_text() and credentials.stat().st_mode & 0o777 == 0o600
    assert tx("fetch").returncode == 0 and len(tx.matches(BLURRED)) == 1


def test_a_tampered_manifest_fails_the_fetch_and_stores_nothing(personas, live_server, token_file, tx, proxy):
    list_image(personas, ORIGINAL)
    publish()
    tx.configure(proxy.url, token_file)
    proxy.rules[r"/releases/1/manifest/"] = lambda body: body.replace(b'"item_count":', b'"item_count":9')
    refused = tx("fetch")
    assert refused.returncode == 3, refused.stderr
    assert "signature check failed" in refused.stderr and "does not verify with the pinned key" in refused.stderr
    assert tx.stored() is None and tx.matches(BLURRED) == []
    stranger = Ed25519PrivateKey.generate()  # a manifest validly signed, by a key nobody pinned
    body, sig = resign(json.loads(bytes(Release.objects.get().manifest)), stranger)
    proxy.rules[r"/releases/1/manifest/"] = lambda _: body
    proxy.rules[r"/releases/1/signature/"] = lambda _: sig
    assert tx("fetch").returncode == 3 and tx.stored() is None
    proxy.rules.clear()
    assert tx("fetch").returncode == 0 and len(tx.matches(BLURRED)) == 1


def test_a_tampered_later_release_keeps_the_signals_stored_before(personas, live_server, token_file, tx, proxy):
    first = list_image(personas, ORIGINAL)
    publish()
    tx.configure(proxy.url, token_file)
    assert tx("fetch").returncode == 0
    item_retract(actor=personas.curator, item=first, reason="wrong entry")
    publish()
    proxy.rules[r"/releases/2/files/(csv|delta)/"] = lambda body: body.replace(b"removed", b"added", 1)
    refused = tx("fetch")
    assert refused.returncode == 3 and "differs from its signed manifest" in refused.stderr
    assert tx.stored().checkpoint.version == 1 and len(tx.matches(BLURRED)) == 1
    proxy.rules.clear()
    assert tx("fetch").returncode == 0 and tx.matches(BLURRED) == []


def test_a_retracted_item_stops_matching_after_the_next_release(personas, live_server, token_file, tx):
    first = list_image(personas, ORIGINAL)
    publish()
    tx.configure(live_server.url, token_file)
    assert tx("fetch").returncode == 0 and len(tx.matches(BLURRED)) == 1
    item_retract(actor=personas.curator, item=first, reason="wrong entry")
    later = list_image(personas, UNRELATED, filler=False)
    publish()
    fetched = tx("fetch")
    assert fetched.returncode == 0, fetched.stderr
    assert tx.matches(BLURRED) == []
    found = tx.matches(UNRELATED)
    assert len(found) == 1 and str(later.pk) in found[0] and "since release 2" in found[0]
    stored = tx.stored()
    assert stored.checkpoint.version == 2
    kept = {key for key, value in stored.updates.items() if value is not None}
    assert len(kept) == 2 and ("pdq", later.signatures.get(algorithm="pdq").value) in kept
    assert "delta" in Download.objects.filter(user=personas.partner, release__version=2).values_list(
        "file", flat=True)
    assert tx("fetch", "--clear").returncode == 0 and tx.stored() is None
    assert tx("fetch").returncode == 0  # from scratch, from the mirror already up to date
    assert tx.matches(BLURRED) == [] and len(tx.matches(UNRELATED)) == 1


def test_a_worst_of_collab_asks_for_that_list(personas, live_server, token_file, tx):
    """This service does not publish the websites list yet (DESIGN.md section 12): the fetch says so."""
    list_image(personas, ORIGINAL)
    publish()
    tx.configure(live_server.url, token_file, "--list", "worst-of")
    refused = tx("fetch")
    assert refused.returncode == 3 and "does not offer the worst-of list" in refused.stderr
    assert tx.stored() is None


def test_a_lost_mirror_folder_still_brings_deletions_checked_back_along_the_chain(personas, live_server, token_file,
                                                                                   tx, proxy):
    first = list_image(personas, ORIGINAL)
    publish()
    tx.configure(proxy.url, token_file)
    assert tx("fetch").returncode == 0 and len(tx.matches(BLURRED)) == 1
    shutil.rmtree(tx.state / "baseline" / COLLAB)  # the mirror, not the stored signals
    item_retract(actor=personas.curator, item=first, reason="wrong entry")
    list_image(personas, UNRELATED, filler=False)
    publish()
    list_image(personas, UNRELATED.parent / "wee.jpg", filler=False)
    publish()
    release_2 = json.loads(bytes(Release.objects.get(version=2).manifest))
    changed = signing.canonical_manifest({**release_2, "removed": 0})
    proxy.rules[r"/releases/2/manifest/"] = lambda _: changed  # not the manifest release 3 names
    refused = tx("fetch")
    assert refused.returncode == 3 and "does not chain to release 2" in refused.stderr
    assert tx.stored().checkpoint.version == 1 and len(tx.matches(BLURRED)) == 1
    proxy.rules.clear()
    fetched = tx("fetch")
    assert fetched.returncode == 0, fetched.stderr
    assert tx.stored().checkpoint.version == 3
    assert tx.matches(BLURRED) == [] and len(tx.matches(UNRELATED)) == 1


def test_the_calls_hma_makes_fetch_convert_and_resume(personas, live_server, token_file, tmp_path):
    """HMA 2.0 itself is not installed here: this replays, in process, what its fetcher and
    storage do with an exchange (OpenMediaMatch background_tasks/fetcher.py, storage/postgres):
    the collab and the credentials loaded from JSON, for_collab under set_default, fetch_iter,
    the checkpoint stored as JSON and read back, each record converted and pickled."""
    from baseline_client.threatexchange import BaselineSignalExchangeAPI as API
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal
    from threatexchange.utils import dataclass_json

    first = list_image(personas, ORIGINAL)
    publish()
    collab = dataclass_json.dataclass_load_dict(
        {"name": "BASELINE", "api": "baseline", "enabled": True, "server": live_server.url,
         "public_key": public_key(), "mirror_dir": str(tmp_path / "mirror")}, API.get_config_cls())
    credentials = dataclass_json.dataclass_load_dict({"token": token_file.read_text().strip()},
                                                     API.get_credential_cls())
    stored: dict[str, object] = {}

    def fetch(checkpoint_json: str | None) -> str:
        with credentials.set_default(credentials, "db"):
            client = API.for_collab(collab)
        checkpoint = None if checkpoint_json is None else dataclass_json.dataclass_loads(
            checkpoint_json, API.get_checkpoint_cls())
        for delta in client.fetch_iter([PdqSignal, VideoMD5Signal], checkpoint):
            for key, value in delta.updates.items():
                if value is None or not API.naive_convert_to_signal_type([PdqSignal, VideoMD5Signal], collab,
                                                                         {key: value}):
                    stored.pop(str(key), None)
                else:
                    stored[str(key)] = pickle.loads(pickle.dumps(value))  # noqa: S301 - as HMA stores it
            checkpoint_json = dataclass_json.dataclass_dumps(delta.checkpoint)
        return checkpoint_json

    checkpoint = fetch(None)
    value = first.signatures.get(algorithm="pdq").value
    assert str(("pdq", value)) in stored and len(stored) == 2
    assert stored[str(("pdq", value))].item_ids == (str(first.pk),)
    item_retract(actor=personas.curator, item=first, reason="wrong entry")
    publish()
    assert json.loads(fetch(checkpoint))["version"] == 2
    assert str(("pdq", value)) not in stored and len(stored) == 1


def test_the_client_imports_without_threatexchange():
    """threatexchange is an optional dependency: the rest of the client never needs it."""
    blocked = ("import sys; sys.modules['threatexchange'] = None\n"
               "import baseline_client, baseline_client.cli, baseline_client.mirror, baseline_client.hashing.media\n"
               "try:\n    import baseline_client.threatexchange\nexcept ImportError:\n    print('optional')")
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "optional", done.stderr
