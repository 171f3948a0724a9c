"""Release signatures (DESIGN.md section 5, invariant 4): Ed25519 over the exact manifest bytes.

A partner verifies a download offline with the public key alone, so the signed bytes must be
unambiguous: canonical JSON, and no floats (whose text form differs between JSON libraries).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

RAW_KEY_SIZE = 32
SIGNATURE_SIZE = 64
# A key file is a few hundred bytes; refusing big files keeps a wrong path from being read whole.
MAX_KEY_FILE_SIZE = 16 * 1024


class SigningKeyError(Exception):
    """The signing key file is missing, unreadable, exposed or not an Ed25519 private key."""


def canonical_manifest(manifest: dict) -> bytes:
    """The manifest's one byte form: UTF-8 JSON, sorted keys, no spaces."""
    _refuse_ambiguous(manifest, "manifest")
    return json.dumps(
        manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _refuse_ambiguous(value: object, where: str) -> None:
    if isinstance(value, float):
        raise TypeError(f"{where} is a float; use an integer or a string so the signed bytes are unambiguous.")
    if isinstance(value, dict):
        for key, inner in value.items():
            # json.dumps would turn 1 and "1" into the same key.
            if not isinstance(key, str):
                raise TypeError(f"{where} has a non-string key {key!r}.")
            _refuse_ambiguous(inner, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            _refuse_ambiguous(inner, f"{where}[{index}]")


def key_id(public_raw: bytes) -> str:
    """First 16 hex digits of SHA-256 of the raw 32-byte public key."""
    if len(public_raw) != RAW_KEY_SIZE:
        raise ValueError(f"an Ed25519 public key is {RAW_KEY_SIZE} raw bytes, not {len(public_raw)}.")
    return hashlib.sha256(public_raw).hexdigest()[:16]


def fingerprint(public_key_b64: str) -> str:
    """The whole SHA-256 of the raw public key in groups of four hex digits, to read out over the
    phone; `key_id` is its first 16 digits. static/baseline-verify.py prints the same."""
    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def public_raw(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read an Ed25519 key from unencrypted PKCS8 PEM or 32 raw bytes, refusing an exposed file."""
    path = Path(path)
    data = _read_secret(path)
    if data.lstrip().startswith(b"-----BEGIN"):
        return _from_pem(path, data)
    if len(data) == RAW_KEY_SIZE:
        return Ed25519PrivateKey.from_private_bytes(data)
    raise SigningKeyError(
        f"signing key file {path} is neither a PEM private key nor {RAW_KEY_SIZE} raw bytes ({len(data)} bytes)."
    )


def _read_secret(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            # Check the file we opened, not the path, so the mode checked is the mode of what is read.
            info = os.fstat(handle.fileno())
            _check_file(path, info)
            data = handle.read(MAX_KEY_FILE_SIZE + 1)
    except FileNotFoundError:
        raise SigningKeyError(f"signing key file {path} does not exist.") from None
    except IsADirectoryError:
        raise SigningKeyError(f"signing key file {path} is a directory, not a file.") from None
    except OSError as exc:
        raise SigningKeyError(f"signing key file {path} cannot be read: {exc.strerror or exc}.") from None
    if len(data) > MAX_KEY_FILE_SIZE:
        raise SigningKeyError(f"signing key file {path} is too large to be a key.")
    return data


def _check_file(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise SigningKeyError(f"signing key file {path} is not a regular file.")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise SigningKeyError(
            f"signing key file {path} has mode {mode:04o}, so group or others may access it; it is a "
            f"secret: run `chmod 600 {path}`."
        )


def _from_pem(path: Path, data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise SigningKeyError(f"signing key file {path} is encrypted; an unencrypted PKCS8 PEM is expected.") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyError(f"signing key file {path} is not a valid PEM private key.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(
            f"signing key file {path} holds a {type(key).__name__}, not an Ed25519 private key; "
            "releases are signed with Ed25519."
        )
    return key


def generate_private_key_file(path: Path) -> Ed25519PrivateKey:
    """Development only: create a new key as PKCS8 PEM with mode 0600; never replaces a key."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        # O_EXCL: overwriting a key would orphan every release it signed.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningKeyError(f"signing key file {path} already exists; refusing to replace it.") from None
    try:
        os.fchmod(fd, 0o600)  # the umask can only narrow 0600, but say it outright
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        # A half-written key would be refused at load time anyway; leave nothing behind.
        path.unlink(missing_ok=True)
        raise
    return key


def sign(private_key: Ed25519PrivateKey, data: bytes) -> str:
    """Standard base64 of the 64-byte Ed25519 signature of `data`."""
    return base64.b64encode(private_key.sign(data)).decode("ascii")


def verify(public_raw: bytes, data: bytes, signature_b64: str) -> bool:
    """True only for a valid signature; any malformed key, signature or data is simply False."""
    try:
        key = Ed25519PublicKey.from_public_bytes(public_raw)
        signature = base64.b64decode(signature_b64, validate=True)
        if len(signature) != SIGNATURE_SIZE:
            return False
        key.verify(signature, data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
