#!/usr/bin/env python3
"""Verify a Baseline release you downloaded, offline.

    python3 baseline-verify.py MANIFEST SIGNATURE PUBLIC_KEY [FILE ...]

MANIFEST   the manifest as downloaded (baseline-vN.manifest.json), its bytes unchanged
SIGNATURE  the signature file (baseline-vN.signature.json)
PUBLIC_KEY the signing key: base64 of the raw Ed25519 public key, or a file holding it
FILE       the release files to check; without any, every file of the manifest found beside the
           manifest is checked (files of feeds you do not receive are not there and are listed
           as not checked)

It checks the Ed25519 signature over the manifest's exact bytes, then each file's size and
SHA-256 against the manifest, and ends with one verdict line:
    OK: ...                    exit status 0
    VERIFICATION FAILED: ...   exit status 1 (a file or the signature does not match)
    CANNOT VERIFY: ...         exit status 2 (an input could not be read, or a usage error)
Needs Python 3.8 or later and the `cryptography` package (python3-cryptography on Debian/Ubuntu).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import sys

OK, FAILED, CANNOT = 0, 1, 2


class Stop(Exception):
    """Ends the run with a verdict line and an exit status."""

    def __init__(self, status: int, verdict: str):
        super().__init__(verdict)
        self.status, self.verdict = status, verdict


def cannot(message: str) -> Stop:
    return Stop(CANNOT, f"CANNOT VERIFY: {message}")


def read_bytes(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise cannot(f"the {what} {path} does not exist.") from None
    except IsADirectoryError:
        raise cannot(f"the {what} {path} is a folder, not a file.") from None
    except OSError as exc:
        raise cannot(f"cannot read the {what} {path}: {exc.strerror or exc}.") from None


def fingerprint(raw_key: bytes) -> str:
    """SHA-256 of the raw public key in groups of four hex digits; its first 16 digits are the key id."""
    digest = hashlib.sha256(raw_key).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, 64, 4))


def load_public_key(argument: str) -> bytes:
    text = argument
    if os.path.isfile(argument):
        try:
            text = read_bytes(argument, "public key file").decode("ascii")
        except UnicodeDecodeError:
            raise cannot(f"the public key file {argument} does not hold base64 text.") from None
    elif len(argument) < 40 and not argument.endswith("="):
        raise cannot(f"the public key {argument!r} is neither a file nor a base64 key.")
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise cannot("the public key is not valid base64 (copy it whole from the release page).") from None
    if len(raw) != 32:
        raise cannot(f"the public key is {len(raw)} bytes long; an Ed25519 public key is 32 bytes.")
    return raw


def load_manifest(path: str) -> tuple[bytes, dict]:
    data = read_bytes(path, "manifest")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise cannot(f"the manifest {path} is not JSON: download it again, unchanged.") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("size"), int)
            and isinstance(f.get("sha256"), str) for f in files):
        raise cannot(f"{path} is not a Baseline manifest (no list of files with name, size and sha256).")
    return data, manifest


def load_signature(path: str) -> dict:
    data = read_bytes(path, "signature file")
    try:
        signature = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise cannot(f"the signature file {path} is not JSON: download it again from the release page.") from None
    if not isinstance(signature, dict) or not isinstance(signature.get("signature"), str):
        raise cannot(f"the signature file {path} holds no \"signature\" field.")
    try:
        raw = base64.b64decode(signature["signature"], validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64:
        raise Stop(FAILED, f"VERIFICATION FAILED: the signature in {path} is damaged (not 64 bytes of base64).")
    signature["raw"] = raw
    return signature


def check_signature(manifest_path: str, data: bytes, manifest: dict, signature: dict, raw_key: bytes) -> str:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise cannot("this script needs the Python package 'cryptography' "
                     "(apt install python3-cryptography, or pip install cryptography).") from None
    key_id = hashlib.sha256(raw_key).hexdigest()[:16]
    signed_by = signature.get("key_id")
    if isinstance(signed_by, str) and signed_by and signed_by != key_id:
        raise Stop(FAILED, f"VERIFICATION FAILED: the signature was made with key {signed_by}, "
                           f"but the public key given is key {key_id}. Use the key the release page lists "
                           f"under {signed_by}, after confirming its fingerprint with the list's operators.")
    named = manifest.get("key_id")
    if isinstance(named, str) and named and named != key_id:
        raise Stop(FAILED, f"VERIFICATION FAILED: the manifest names signing key {named}, "
                           f"but the public key given is key {key_id}.")
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(signature["raw"], data)
    except InvalidSignature:
        raise Stop(FAILED, f"VERIFICATION FAILED: the signature does not match the manifest {manifest_path} "
                           f"(key {key_id}): the manifest or the signature was changed, or they belong to "
                           "different releases. Do not use these files; download them again.") from None
    except ValueError as exc:
        raise cannot(f"the public key is not a usable Ed25519 key ({exc}).") from None
    return key_id


def sha256_and_size(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def check_files(manifest_path: str, manifest: dict, wanted: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Each file's size and SHA-256 against the manifest: (checked, problems, not checked)."""
    folder = os.path.dirname(os.path.abspath(manifest_path))
    listed = {entry["name"]: entry for entry in manifest["files"]}
    checked: list[str] = []
    problems: list[str] = []
    if wanted:
        targets = [(os.path.basename(path), path) for path in wanted]
        skipped: list[str] = []
    else:
        targets = [(name, os.path.join(folder, name)) for name in listed if os.path.exists(os.path.join(folder, name))]
        skipped = [name for name in listed if not os.path.exists(os.path.join(folder, name))]
        if not targets:
            raise Stop(FAILED, f"VERIFICATION FAILED: no file listed in the manifest is in {folder}: save the "
                               "files beside the manifest, or name them after the public key.")
    for name, path in targets:
        entry = listed.get(name)
        if entry is None:
            problems.append(name)
            print(f"FAILED  {name}: not listed in this manifest (a file of another release?)", file=sys.stderr)
            continue
        expected = f"size {entry['size']} bytes, sha256 {entry['sha256']}"
        try:
            sha256, size = sha256_and_size(path)
        except FileNotFoundError:
            problems.append(name)
            print(f"FAILED  {name}: missing (not found at {path})\n"
                  f"        expected: {expected}", file=sys.stderr)
            continue
        except OSError as exc:
            problems.append(name)
            print(f"FAILED  {name}: cannot be read ({exc.strerror or exc})\n"
                  f"        expected: {expected}", file=sys.stderr)
            continue
        if (size, sha256) != (entry["size"], entry["sha256"]):
            problems.append(name)
            print(f"FAILED  {name}: differs from the signed manifest\n"
                  f"        expected: {expected}\n"
                  f"        found:    size {size} bytes, sha256 {sha256}", file=sys.stderr)
            continue
        checked.append(name)
        print(f"ok      {name} (size {size} bytes, sha256 {sha256})")
    for name in skipped:
        print(f"not checked  {name}: not in {folder}")
    return checked, problems, skipped


def verify(argv: list[str]) -> str:
    if len(argv) < 3 or argv[0] in ("-h", "--help"):
        raise cannot("usage: python3 baseline-verify.py MANIFEST SIGNATURE PUBLIC_KEY [FILE ...]")
    manifest_path, signature_path, key_argument, *wanted = argv
    raw_key = load_public_key(key_argument)
    data, manifest = load_manifest(manifest_path)
    signature = load_signature(signature_path)
    key_id = check_signature(manifest_path, data, manifest, signature, raw_key)
    print(f"ok      signature of {os.path.basename(manifest_path)} (key {key_id}; "
          f"manifest sha256 {hashlib.sha256(data).hexdigest()})")
    checked, problems, skipped = check_files(manifest_path, manifest, wanted)
    if problems:
        count = len(problems)
        raise Stop(FAILED, f"VERIFICATION FAILED: {count} file{'s' if count != 1 else ''} "
                           f"{'do' if count != 1 else 'does'} not match the signed manifest "
                           f"({', '.join(problems)}). Do not use {'them' if count != 1 else 'it'}; "
                           "download again.")
    note = f"; {len(skipped)} listed file{'s' if len(skipped) != 1 else ''} not here, not checked" if skipped else ""
    return (f"OK: release v{manifest.get('version', '?')}: the signature is valid and "
            f"{len(checked)} file{'s' if len(checked) != 1 else ''} match{'' if len(checked) != 1 else 'es'} "
            f"the manifest{note}. Signed by key {key_id}, fingerprint {fingerprint(raw_key)}: "
            "trust it only if the list's operators confirmed this fingerprint to you by another channel.")


def main(argv: list[str]) -> int:
    try:
        print(verify(argv))
        return OK
    except Stop as stop:
        print(stop.verdict, file=sys.stderr)
        return stop.status
    except KeyboardInterrupt:
        print("CANNOT VERIFY: interrupted.", file=sys.stderr)
        return CANNOT
    except Exception as exc:  # a partner sees a verdict, never a traceback
        print(f"CANNOT VERIFY: unexpected error {type(exc).__name__}: {exc}", file=sys.stderr)
        return CANNOT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
