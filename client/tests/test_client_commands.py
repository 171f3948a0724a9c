"""The client's own tests, without a service: `baseline hash` (the installed console script) on the
shared test vectors, and the pure parts of `sync` — rebuilding files from deltas, following a key
rotation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baseline_client import rebuild, trust
from baseline_client.errors import SIGNATURE, Failure
from client.tests.vectors import TESTDATA, VECTORS, comparable

BASELINE = Path(sys.executable).parent / "baseline"


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(BASELINE), *map(str, args)], capture_output=True, text=True, timeout=300)


def test_baseline_hash_computes_the_shared_vectors():
    files = [TESTDATA / v["file"] for v in VECTORS["vectors"]]
    done = run("hash", "--seconds-per-hash", VECTORS["seconds_per_hash"], *files)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(Path(line["file"]).relative_to(TESTDATA).as_posix(), line["media_type"], comparable(line["signatures"]))
            for line in lines] == [(v["file"], v["media_type"], v["signatures"]) for v in VECTORS["vectors"]]
    assert all(line["external_reference"] == "" for line in lines)  # for the submitter to fill in


def test_one_file_is_a_submission_body_and_a_bad_file_is_named(tmp_path):
    one = run("hash", TESTDATA / "pdq" / "misc" / "small.jpg")
    assert set(json.loads(one.stdout)) == {"media_type", "signatures", "external_reference"}
    (tmp_path / "notes.txt").write_text("not media")
    bad = run("hash", tmp_path / "notes.txt", TESTDATA / "pdq" / "misc" / "small.jpg")
    assert bad.returncode == 9
    assert "notes.txt: skipped (unsupported_media_type)" in bad.stderr
    assert len(bad.stdout.splitlines()) == 1


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_deltas_fold_into_the_next_release_s_files(tmp_path):
    a, b, c = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b", \
        "00000000-0000-0000-0000-00000000000c"
    video = '["' + "1" * 64 + ',90,0.000"]'
    old = tmp_path / "v1.csv"
    old.write_text("item_id,media_type,algorithm,value,added_in_version\n"
                   f"{a},image,md5,{'a' * 32},1\n{a},image,pdq,{'f' * 64},1\n{b},image,md5,{'b' * 32},1\n")
    changes = rebuild.Changes()
    changes.apply(2, ["change,item_id,media_type,algorithm,value", f"added,{c},video,md5,{'c' * 32}",
                      f'added,{c},video,vpdq,"{video.replace(chr(34), 2 * chr(34))}"',
                      f"removed,{a},image,md5,{'a' * 32}", f"removed,{a},image,pdq,{'f' * 64}"])
    changes.apply(3, ["change,item_id,media_type,algorithm,value", f"removed,{c},video,md5,{'c' * 32}"])
    new = tmp_path / "v3.csv"
    rebuild.write("csv", old, changes, new)
    vpdq_cell = '"' + video.replace('"', '""') + '"'
    assert _lines(new) == ["item_id,media_type,algorithm,value,added_in_version", f"{b},image,md5,{'b' * 32},1",
                           f"{c},video,vpdq,{vpdq_cell},2"]
    values = tmp_path / "v1.md5.txt"
    values.write_text(f"{'a' * 32}\n{'b' * 32}\n")
    rebuild.write("md5", values, changes, tmp_path / "v3.md5.txt")
    assert _lines(tmp_path / "v3.md5.txt") == ["b" * 32]
    with pytest.raises(ValueError, match="header"):
        rebuild.Changes().apply(2, ["item_id,change"])


def _key() -> tuple[Ed25519PrivateKey, bytes]:
    private = Ed25519PrivateKey.generate()
    return private, private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _manifest(private, version: int, **extra) -> trust.Manifest:
    import base64

    data = json.dumps({"list": "baseline", "version": version, "files": [], **extra}, sort_keys=True).encode()
    return trust.Manifest(data, json.loads(data), base64.b64encode(private.sign(data)).decode())


def test_a_rotation_is_followed_only_when_a_verified_manifest_announced_it():
    (old, old_raw), (new, new_raw), (stranger, _) = _key(), _key(), _key()
    keys = trust.Keys(old_raw)
    keys.check(_manifest(old, 1), "baseline")
    with pytest.raises(Failure) as caught:
        keys.check(_manifest(new, 2), "baseline")  # not announced
    assert caught.value.status == SIGNATURE
    keys.check(_manifest(old, 2, next_key=trust.encode_key(new_raw)), "baseline")
    keys.check(_manifest(new, 3), "baseline")
    assert keys.current == new_raw and keys.announced is None
    with pytest.raises(Failure):
        keys.check(_manifest(old, 4), "baseline")  # the old key is retired once the new one signed
    with pytest.raises(Failure):
        keys.check(_manifest(stranger, 4), "baseline")
