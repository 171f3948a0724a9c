"""Release signing (curation.signing, DESIGN.md section 5 and invariant 4). Pure: no database.

Keys are generated per test or taken from RFC 8032's published test vectors; files live in tmp_path.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from curation.releases.signing import (
    SigningKeyError,
    canonical_manifest,
    generate_private_key_file,
    key_id,
    load_private_key,
    public_raw,
    sign,
    verify,
)

# RFC 8032 section 7.1, TEST 1: secret key, public key and the signature of the empty message.
RFC_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

MANIFEST = {"list": "baseline", "version": 1, "previous_version": None, "files": [{"name": "baseline-v1.csv"}]}


def write_secret(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def pem_of(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


# --- sign and verify ----------------------------------------------------------------------------


def test_signature_verifies_with_the_raw_public_key() -> None:
    key = Ed25519PrivateKey.generate()
    data = canonical_manifest(MANIFEST)
    signature = sign(key, data)
    assert len(base64.b64decode(signature, validate=True)) == 64
    assert verify(public_raw(key), data, signature) is True


def test_signing_is_standard_ed25519() -> None:
    key = Ed25519PrivateKey.from_private_bytes(RFC_SECRET)
    assert public_raw(key) == RFC_PUBLIC
    assert sign(key, b"") == base64.b64encode(RFC_SIGNATURE).decode()
    assert verify(RFC_PUBLIC, b"", base64.b64encode(RFC_SIGNATURE).decode()) is True


def test_tampered_data_does_not_verify() -> None:
    key = Ed25519PrivateKey.generate()
    data = canonical_manifest(MANIFEST)
    signature = sign(key, data)
    assert verify(public_raw(key), data.replace(b'"version":1', b'"version":2'), signature) is False
    assert verify(public_raw(key), data + b"\n", signature) is False


def test_tampered_signature_does_not_verify() -> None:
    key = Ed25519PrivateKey.generate()
    data = canonical_manifest(MANIFEST)
    raw = bytearray(base64.b64decode(sign(key, data)))
    raw[10] ^= 0x01
    assert verify(public_raw(key), data, base64.b64encode(bytes(raw)).decode()) is False


def test_another_key_does_not_verify() -> None:
    data = canonical_manifest(MANIFEST)
    signature = sign(Ed25519PrivateKey.generate(), data)
    assert verify(public_raw(Ed25519PrivateKey.generate()), data, signature) is False


@pytest.mark.parametrize(
    ("public", "signature"),
    [
        (RFC_PUBLIC, "not base64!"),
        (RFC_PUBLIC, ""),
        (RFC_PUBLIC, base64.b64encode(RFC_SIGNATURE[:63]).decode()),
        (RFC_PUBLIC, base64.b64encode(RFC_SIGNATURE + b"\x00").decode()),
        (RFC_PUBLIC, "é" * 88),
        (RFC_PUBLIC, None),
        (RFC_PUBLIC[:31], base64.b64encode(RFC_SIGNATURE).decode()),
        (b"", base64.b64encode(RFC_SIGNATURE).decode()),
    ],
)
def test_malformed_key_or_signature_is_false_not_an_error(public: bytes, signature: str) -> None:
    assert verify(public, b"", signature) is False


def test_key_id_is_the_first_16_hex_digits_of_sha256_of_the_raw_public_key() -> None:
    assert key_id(RFC_PUBLIC) == hashlib.sha256(RFC_PUBLIC).hexdigest()[:16]
    assert re.fullmatch(r"[0-9a-f]{16}", key_id(RFC_PUBLIC))
    with pytest.raises(ValueError, match="32 raw bytes"):
        key_id(RFC_PUBLIC + b"\x00")


# --- key files ----------------------------------------------------------------------------------


def test_load_reads_a_pkcs8_pem_key(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = write_secret(tmp_path / "signing.pem", pem_of(key))
    assert public_raw(load_private_key(path)) == public_raw(key)
    assert public_raw(load_private_key(str(path))) == public_raw(key)


def test_load_reads_a_raw_32_byte_key(tmp_path: Path) -> None:
    path = write_secret(tmp_path / "signing.key", RFC_SECRET)
    assert public_raw(load_private_key(path)) == RFC_PUBLIC


def test_load_refuses_an_rsa_key_naming_it(tmp_path: Path) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = write_secret(tmp_path / "rsa.pem", pem_of(rsa_key))
    with pytest.raises(SigningKeyError, match=r"holds a RSAPrivateKey, not an Ed25519 private key"):
        load_private_key(path)


def test_load_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match=r"signing key file .*absent\.pem does not exist"):
        load_private_key(tmp_path / "absent.pem")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_load_refuses_a_key_group_or_others_can_access(tmp_path: Path, mode: int) -> None:
    path = write_secret(tmp_path / "signing.pem", pem_of(Ed25519PrivateKey.generate()), mode)
    with pytest.raises(SigningKeyError, match=rf"has mode 0{mode:o}, so group or others may access it.*chmod 600"):
        load_private_key(path)


def test_load_accepts_an_owner_read_only_key(tmp_path: Path) -> None:
    path = write_secret(tmp_path / "signing.pem", pem_of(Ed25519PrivateKey.generate()), 0o400)
    assert isinstance(load_private_key(path), Ed25519PrivateKey)


def test_load_refuses_an_encrypted_pem(tmp_path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"synthetic passphrase"),
    )
    with pytest.raises(SigningKeyError, match="is encrypted"):
        load_private_key(write_secret(tmp_path / "signing.pem", pem))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n", "not a valid PEM private key"),
        (b"short", "neither a PEM private key nor 32 raw bytes"),
        (b"", "neither a PEM private key nor 32 raw bytes"),
        (b"\x00" * 33, "neither a PEM private key nor 32 raw bytes"),
    ],
)
def test_load_refuses_what_is_not_a_key(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(SigningKeyError, match=message):
        load_private_key(write_secret(tmp_path / "signing.pem", content))


def test_load_refuses_a_directory(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o700)
    with pytest.raises(SigningKeyError, match="is a directory, not a file"):
        load_private_key(directory)


def test_generated_key_file_is_owner_only_pem_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "var" / "keys" / "signing.pem"
    previous = os.umask(0)  # the most permissive umask must still give 0600
    try:
        key = generate_private_key_file(path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert public_raw(load_private_key(path)) == public_raw(key)


def test_generating_never_replaces_an_existing_key(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    generate_private_key_file(path)
    before = path.read_bytes()
    with pytest.raises(SigningKeyError, match="already exists"):
        generate_private_key_file(path)
    assert path.read_bytes() == before


# --- canonical manifest -----------------------------------------------------------------------


def test_canonical_manifest_sorts_keys_with_no_spaces() -> None:
    manifest = {"version": 2, "list": "baseline", "files": [{"sha256": "ab", "format": "csv", "size": 10}]}
    assert canonical_manifest(manifest) == (
        b'{"files":[{"format":"csv","sha256":"ab","size":10}],"list":"baseline","version":2}'
    )


def test_canonical_manifest_is_utf8_not_escaped() -> None:
    assert canonical_manifest({"note": "é", "ok": True, "none": None}) == b'{"none":null,"note":"\xc3\xa9","ok":true}'


@pytest.mark.parametrize(
    ("manifest", "where"),
    [
        ({"size": 1.0}, "manifest.size"),
        ({"files": [{"size": 2.5}]}, r"manifest.files\[0\].size"),
        ({"ratio": float("nan")}, "manifest.ratio"),
    ],
)
def test_canonical_manifest_refuses_floats(manifest: dict, where: str) -> None:
    with pytest.raises(TypeError, match=rf"{where} is a float"):
        canonical_manifest(manifest)


def test_canonical_manifest_refuses_non_string_keys() -> None:
    with pytest.raises(TypeError, match="non-string key 1"):
        canonical_manifest({"signature_counts": {1: 3}})
