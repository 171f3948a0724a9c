"""static/baseline-verify.py as partners run it: Debian's python3 in a subprocess, in a folder of
files downloaded from the service, reading the verdict lines and the exit status."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from curation.releases.services import feed_grant
from tests.curation.helpers import approved_item, publish

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "static" / "baseline-verify.py"
SYSTEM_PYTHON = "/usr/bin/python3"  # what a partner has: Debian's python3 with python3-cryptography


@dataclass
class Download:
    folder: Path
    key: str  # base64 of the raw public key, as the page shows it
    key_id: str
    files: dict[str, dict]  # name -> manifest entry

    manifest = "baseline-v1.manifest.json"
    signature = "baseline-v1.signature.json"


def attachment_name(response) -> str:
    match = re.fullmatch(r'attachment; filename="([^"]+)"', response["Content-Disposition"])
    assert match, response["Content-Disposition"]
    return match.group(1)


def download_release(client, folder: Path, version: int = 1) -> None:
    """Save what the release page's buttons download, under the names the service gives them."""
    for url in (f"/api/v1/releases/{version}/manifest/", f"/api/v1/releases/{version}/signature/"):
        response = client.get(url)
        assert response.status_code == 200
        (folder / attachment_name(response)).write_bytes(response.content)
    for entry in client.get(f"/api/v1/releases/{version}/").json()["files"]:
        response = client.get(entry["url"])
        (folder / attachment_name(response)).write_bytes(b"".join(response.streaming_content))


@pytest.fixture
def download(personas, api, tmp_path) -> Download:
    approved_item(personas, algorithms=("md5", "sha256", "photodna"))
    publish(personas.curator)
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    client = api(personas.partner)
    folder = tmp_path / "release"
    folder.mkdir()
    download_release(client, folder)
    shutil.copy(SCRIPT, folder / "baseline-verify.py")
    key = client.get("/api/v1/signing-keys/").json()[0]
    manifest = json.loads((folder / Download.manifest).read_bytes())
    return Download(folder, key["public_key"], key["key_id"], {f["name"]: f for f in manifest["files"]})


def verify(download: Download, *args: str, python: tuple[str, ...] = (SYSTEM_PYTHON,)):
    args = args or (Download.manifest, Download.signature, download.key)
    result = subprocess.run([*python, "baseline-verify.py", *args], cwd=download.folder, capture_output=True,
                            text=True, timeout=60, check=False)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def fingerprint(key: str) -> str:
    digest = hashlib.sha256(base64.b64decode(key)).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, 64, 4))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_an_untouched_download_verifies_ok(download):
    result = verify(download)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    manifest_sha256 = sha256((download.folder / Download.manifest).read_bytes())
    assert lines[0] == (f"ok      signature of {Download.manifest} (key {download.key_id}; "
                        f"manifest sha256 {manifest_sha256})")
    standard = [name for name, entry in download.files.items() if entry["feed"] == "standard"]
    for name in standard:
        entry = download.files[name]
        assert f"ok      {name} (size {entry['size']} bytes, sha256 {entry['sha256']})" in lines
    # The photodna feed's files were not downloaded (the partner does not hold it): not checked, not failed.
    photodna = [name for name, entry in download.files.items() if entry["feed"] == "photodna"]
    assert photodna and all(f"not checked  {name}: not in {download.folder}" in lines for name in photodna)
    assert lines[-1] == (
        f"OK: release v1: the signature is valid and {len(standard)} files match the manifest; "
        f"{len(photodna)} listed files not here, not checked. Signed by key {download.key_id}, fingerprint "
        f"{fingerprint(download.key)}: trust it only if the list's operators confirmed this fingerprint to you "
        "by another channel.")


def test_named_files_only_are_checked_and_the_key_may_be_a_file(download):
    (download.folder / "key.txt").write_text(download.key + "\n")
    result = verify(download, Download.manifest, Download.signature, "key.txt", "baseline-v1.csv")
    assert result.returncode == 0, result.stderr
    assert last_line(result.stdout).startswith(
        "OK: release v1: the signature is valid and 1 file matches the manifest. Signed by key ")


def test_a_tampered_file_is_named_with_expected_and_found(download):
    entry = download.files["baseline-v1.md5.txt"]
    (download.folder / "baseline-v1.md5.txt").write_bytes(b"tampered\n")
    result = verify(download)
    assert result.returncode == 1
    assert (f"FAILED  baseline-v1.md5.txt: differs from the signed manifest\n"
            f"        expected: size {entry['size']} bytes, sha256 {entry['sha256']}\n"
            f"        found:    size 9 bytes, sha256 {sha256(b'tampered' + bytes([10]))}\n") in result.stderr
    assert last_line(result.stderr) == ("VERIFICATION FAILED: 1 file does not match the signed manifest "
                                        "(baseline-v1.md5.txt). Do not use it; download again.")
    assert "ok      baseline-v1.csv" in result.stdout  # the others are still reported
    assert not result.stdout.startswith("OK") and "\nOK" not in result.stdout


def test_a_missing_file_that_was_asked_for_fails(download):
    entry = download.files["baseline-v1.csv"]
    (download.folder / "baseline-v1.csv").unlink()
    result = verify(download, Download.manifest, Download.signature, download.key, "baseline-v1.csv",
                    "baseline-v1.sha256.txt")
    assert result.returncode == 1
    assert (f"FAILED  baseline-v1.csv: missing (not found at baseline-v1.csv)\n"
            f"        expected: size {entry['size']} bytes, sha256 {entry['sha256']}\n") in result.stderr
    assert "ok      baseline-v1.sha256.txt" in result.stdout
    assert last_line(result.stderr) == ("VERIFICATION FAILED: 1 file does not match the signed manifest "
                                        "(baseline-v1.csv). Do not use it; download again.")


def test_a_folder_holding_no_file_of_the_manifest_fails(download):
    for name in download.files:
        (download.folder / name).unlink(missing_ok=True)
    result = verify(download)
    assert result.returncode == 1
    assert last_line(result.stderr) == (f"VERIFICATION FAILED: no file listed in the manifest is in {download.folder}: "
                                        "save the files beside the manifest, or name them after the public key.")


def test_a_file_of_another_release_is_not_in_the_manifest(download):
    (download.folder / "baseline-v2.csv").write_bytes((download.folder / "baseline-v1.csv").read_bytes())
    result = verify(download, Download.manifest, Download.signature, download.key, "baseline-v2.csv")
    assert result.returncode == 1
    assert "FAILED  baseline-v2.csv: not listed in this manifest (a file of another release?)" in result.stderr


SIGNATURE_MISMATCH = ("VERIFICATION FAILED: the signature does not match the manifest baseline-v1.manifest.json "
                      "(key {key_id}): the manifest or the signature was changed, or they belong to different "
                      "releases. Do not use these files; download them again.")


def test_a_tampered_manifest_fails_on_its_signature(download):
    path = download.folder / Download.manifest
    path.write_bytes(path.read_bytes().replace(b'"version":1', b'"version":9'))
    result = verify(download)
    assert result.returncode == 1
    assert result.stderr.strip() == SIGNATURE_MISMATCH.format(key_id=download.key_id)
    assert result.stdout == ""  # no file is checked against an unsigned manifest


def test_a_manifest_edited_to_match_a_tampered_file_still_fails(download):
    """The attacker's way round the size and SHA-256 check: change the file and its manifest entry."""
    (download.folder / "baseline-v1.md5.txt").write_bytes(b"tampered\n")
    path = download.folder / Download.manifest
    entry = download.files["baseline-v1.md5.txt"]
    path.write_bytes(path.read_bytes().replace(entry["sha256"].encode(), sha256(b"tampered\n").encode())
                     .replace(f'"size":{entry["size"]}'.encode(), b'"size":9'))
    result = verify(download)
    assert result.returncode == 1
    assert result.stderr.strip() == SIGNATURE_MISMATCH.format(key_id=download.key_id)


def test_a_tampered_signature_fails(download):
    path = download.folder / Download.signature
    signature = json.loads(path.read_text())
    raw = bytearray(base64.b64decode(signature["signature"]))
    raw[0] ^= 1
    path.write_text(json.dumps({**signature, "signature": base64.b64encode(bytes(raw)).decode()}))
    result = verify(download)
    assert result.returncode == 1
    assert result.stderr.strip() == SIGNATURE_MISMATCH.format(key_id=download.key_id)


def test_a_damaged_signature_fails(download):
    path = download.folder / Download.signature
    path.write_text(json.dumps({**json.loads(path.read_text()), "signature": "not base64!"}))
    result = verify(download)
    assert result.returncode == 1
    assert result.stderr.strip() == ("VERIFICATION FAILED: the signature in baseline-v1.signature.json is "
                                     "damaged (not 64 bytes of base64).")


def test_the_signature_of_another_release_fails(download, personas, api):
    publish(personas.curator)
    response = api(personas.partner).get("/api/v1/releases/2/signature/")
    (download.folder / Download.signature).write_bytes(response.content)
    result = verify(download)
    assert result.returncode == 1
    assert result.stderr.strip() == SIGNATURE_MISMATCH.format(key_id=download.key_id)


def test_a_wrong_public_key_is_named(download):
    other = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw,
                                                                    serialization.PublicFormat.Raw)
    other_id = hashlib.sha256(other).hexdigest()[:16]
    result = verify(download, Download.manifest, Download.signature, base64.b64encode(other).decode())
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"VERIFICATION FAILED: the signature was made with key {download.key_id}, but the public key given is "
        f"key {other_id}. Use the key the release page lists under {download.key_id}, after confirming its "
        "fingerprint with the list's operators.")


def test_a_wrong_key_with_the_key_id_removed_still_fails(download):
    """Without the key ids to compare, the signature check itself refuses the other key."""
    path = download.folder / Download.signature
    path.write_text(json.dumps({k: v for k, v in json.loads(path.read_text()).items() if k != "key_id"}))
    other = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    result = verify(download, Download.manifest, Download.signature, other)
    assert result.returncode == 1
    assert last_line(result.stderr).startswith("VERIFICATION FAILED: the manifest names signing key "
                                               f"{download.key_id}, but the public key given is key ")


@pytest.mark.parametrize(("args", "prepare", "verdict"), [
    (("gone.json", "baseline-v1.signature.json", "KEY"), None,
     "CANNOT VERIFY: the manifest gone.json does not exist."),
    (("baseline-v1.manifest.json", "gone.json", "KEY"), None,
     "CANNOT VERIFY: the signature file gone.json does not exist."),
    (("folder", "baseline-v1.signature.json", "KEY"), "folder",
     "CANNOT VERIFY: the manifest folder is a folder, not a file."),
    (("page.html", "baseline-v1.signature.json", "KEY"), "page.html",
     "CANNOT VERIFY: the manifest page.html is not JSON: download it again, unchanged."),
    (("baseline-v1.manifest.json", "page.html", "KEY"), "page.html",
     "CANNOT VERIFY: the signature file page.html is not JSON: download it again from the release page."),
    (("baseline-v1.manifest.json", "other.json", "KEY"), "other.json",
     "CANNOT VERIFY: the signature file other.json holds no \"signature\" field."),
    (("other.json", "baseline-v1.signature.json", "KEY"), "other.json",
     "CANNOT VERIFY: other.json is not a Baseline manifest (no list of files with name, size and sha256)."),
    (("baseline-v1.manifest.json", "baseline-v1.signature.json", "key.pem"), None,
     "CANNOT VERIFY: the public key 'key.pem' is neither a file nor a base64 key."),
    (("baseline-v1.manifest.json", "baseline-v1.signature.json", "QUJD" * 11), None,
     "CANNOT VERIFY: the public key is 33 bytes long; an Ed25519 public key is 32 bytes."),
    (("baseline-v1.manifest.json", "baseline-v1.signature.json", "%%%%" * 11), None,
     "CANNOT VERIFY: the public key is not valid base64 (copy it whole from the release page)."),
    (("baseline-v1.manifest.json",), None,
     "CANNOT VERIFY: usage: python3 baseline-verify.py MANIFEST SIGNATURE PUBLIC_KEY [FILE ...]"),
])
def test_unreadable_input_cannot_be_verified(download, args, prepare, verdict):
    if prepare == "folder":
        (download.folder / "folder").mkdir()
    elif prepare == "page.html":
        (download.folder / "page.html").write_text("<!doctype html><title>Sign in</title>")
    elif prepare == "other.json":
        (download.folder / "other.json").write_text('{"files": "none"}')
    args = tuple(download.key if a == "KEY" else a for a in args)
    result = verify(download, *args)
    assert result.returncode == 2
    assert result.stderr.strip() == verdict
    assert result.stdout == ""


def test_without_the_cryptography_package_it_says_so(download):
    """`python3 -S` leaves Debian's dist-packages (python3-cryptography) off the path."""
    result = verify(download, Download.manifest, Download.signature, download.key, python=(SYSTEM_PYTHON, "-S"))
    assert result.returncode == 2
    assert result.stderr.strip() == ("CANNOT VERIFY: this script needs the Python package 'cryptography' "
                                     "(apt install python3-cryptography, or pip install cryptography).")


def test_the_readme_shows_how_partners_run_the_script():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- verify-usage -->\n```sh\n(.*?)\n```", readme, flags=re.DOTALL)
    assert match, "the README lost the script's usage"
    assert match.group(1).startswith("python3 baseline-verify.py ")
    assert "python3 baseline-verify.py MANIFEST SIGNATURE PUBLIC_KEY [FILE ...]" in SCRIPT.read_text()
