"""What makes a mirror trustworthy (DESIGN.md sections 5 and 10): Ed25519 signatures over the
exact manifest bytes with a pinned key, the chain of manifests, followed key rotations, and each
file's size and SHA-256."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from baseline_client.errors import CHAIN, FILE, SIGNATURE, USAGE, Failure

RAW_KEY_SIZE = 32


def key_id(raw: bytes) -> str:
    """First 16 hex digits of SHA-256 of the raw public key, as manifests name it."""
    return hashlib.sha256(raw).hexdigest()[:16]


def fingerprint(raw: bytes) -> str:
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, 64, 4))


def parse_key(argument: str) -> bytes:
    """A public key given as base64 of the raw 32 bytes, or as a file holding that text."""
    text = argument
    if os.path.isfile(argument):
        try:
            with open(argument, encoding="ascii") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise Failure(USAGE, f"cannot read the public key file {argument}: {exc}") from None
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise Failure(USAGE, f"the public key {argument!r} is neither a readable file nor base64 text") from None
    if len(raw) != RAW_KEY_SIZE:
        raise Failure(USAGE, f"the public key is {len(raw)} bytes; an Ed25519 public key is {RAW_KEY_SIZE}")
    return raw


def encode_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class Manifest:
    """A manifest's exact bytes, parsed, and its signature."""

    data: bytes
    fields: dict
    signature: str

    @classmethod
    def parse(cls, data: bytes, signature_json: bytes, where: str) -> Manifest:
        try:
            fields = json.loads(data.decode("utf-8"))
            signature = json.loads(signature_json.decode("utf-8"))["signature"]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise Failure(SIGNATURE, f"{where}: the manifest or its signature is not valid JSON") from None
        if not isinstance(fields, dict) or not isinstance(fields.get("version"), int) \
                or not isinstance(fields.get("files"), list) or not isinstance(signature, str):
            raise Failure(SIGNATURE, f"{where}: not a Baseline manifest")
        return cls(data, fields, signature)

    @property
    def version(self) -> int:
        return self.fields["version"]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def files(self) -> dict[str, dict]:
        """format -> {format, feed, name, size, sha256}."""
        return {entry["format"]: entry for entry in self.fields["files"]}

    def next_key(self) -> bytes | None:
        announced = self.fields.get("next_key")
        if not announced:
            return None
        try:
            raw = base64.b64decode(announced, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != RAW_KEY_SIZE:
            raise Failure(SIGNATURE, f"release {self.version}: its next_key is not an Ed25519 public key")
        return raw


def _verifies(raw: bytes, manifest: Manifest) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(manifest.signature), manifest.data)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


@dataclass
class Keys:
    """The key a mirror trusts, and the successor a verified manifest announced (DESIGN.md section
    5: a manifest signed by the current key names the next one, so a rotation is followed without
    trusting the server)."""

    current: bytes
    announced: bytes | None = None

    def check(self, manifest: Manifest, list_name: str) -> None:
        """Verify the manifest's signature and list; then follow a rotation it completes or announces."""
        if manifest.fields.get("list", "baseline") != list_name:
            raise Failure(SIGNATURE, f"release {manifest.version} is of list {manifest.fields.get('list')!r}, "
                                     f"not {list_name!r}")
        if _verifies(self.current, manifest):
            signer = self.current
        elif self.announced is not None and _verifies(self.announced, manifest):
            signer = self.current = self.announced  # the rotation the previous manifest announced
            self.announced = None
        else:
            expected = key_id(self.current) + (f" or {key_id(self.announced)}" if self.announced else "")
            raise Failure(SIGNATURE, f"release {manifest.version}: the manifest's signature does not verify with "
                                     f"the pinned key {expected} (manifest names key "
                                     f"{manifest.fields.get('key_id')!r}). The manifest was changed or signed by "
                                     "another key; nothing was switched.")
        announced = manifest.next_key()
        if announced is not None and announced != signer:
            self.announced = announced


def check_chain(previous: Manifest | None, manifest: Manifest) -> None:
    """Manifest N names N-1 and the SHA-256 of its exact bytes."""
    if previous is None:
        return
    if manifest.version != previous.version + 1 or manifest.fields.get("previous_version") != previous.version:
        raise Failure(CHAIN, f"release {manifest.version} does not follow release {previous.version} "
                             f"(it names previous_version {manifest.fields.get('previous_version')!r})")
    if manifest.fields.get("previous_manifest_sha256") != previous.sha256:
        raise Failure(CHAIN, f"release {manifest.version} does not chain to release {previous.version}: it names "
                             f"manifest SHA-256 {manifest.fields.get('previous_manifest_sha256')!r}, but the verified "
                             f"manifest of release {previous.version} has SHA-256 {previous.sha256}")


def sha256_and_size(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def check_file(path: str, entry: dict, version: int) -> None:
    try:
        sha256, size = sha256_and_size(path)
    except OSError as exc:
        raise Failure(FILE, f"release {version}: {entry['name']} cannot be read: {exc}") from None
    if (size, sha256) != (entry["size"], entry["sha256"]):
        raise Failure(FILE, f"release {version}: {entry['name']} differs from its signed manifest (expected "
                            f"{entry['size']} bytes, SHA-256 {entry['sha256']}; found {size} bytes, {sha256})")
