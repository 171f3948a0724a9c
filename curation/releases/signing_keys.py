"""The service's signing key, loaded from BASELINE_SIGNING_KEY_FILE (generated under var/ only in
development). `releases.services.signing_key_register` records its public half, so rotation keeps
old keys listed.

Rotation (README "Signing key rotation"): set BASELINE_NEXT_SIGNING_KEY_FILE to the successor's
private key file and publish: that release's manifest, signed by the current key, names the
successor's public key as `next_key`, so clients that pinned the current key follow the rotation
without trusting the server. Then make the successor BASELINE_SIGNING_KEY_FILE (and unset the next
one); the following release is signed by it."""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from django.conf import settings

from curation.releases import signing


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int):
    return signing.load_private_key(path)


def private_key():
    path = Path(settings.BASELINE_SIGNING_KEY_FILE)
    if not path.exists():
        if not settings.DEBUG:
            raise signing.SigningKeyError(f"The signing key file {path} does not exist.")
        try:
            signing.generate_private_key_file(path)
        except signing.SigningKeyError:
            if not path.exists():
                raise  # otherwise another process created it first: use that one
    return _load(str(path), path.stat().st_mtime_ns)


def next_public_key() -> str | None:
    """Base64 of the raw public key of BASELINE_NEXT_SIGNING_KEY_FILE, when a rotation is announced."""
    configured = getattr(settings, "BASELINE_NEXT_SIGNING_KEY_FILE", None)
    if not configured:
        return None
    path = Path(configured)
    successor = _load(str(path), path.stat().st_mtime_ns)
    if signing.public_raw(successor) == signing.public_raw(private_key()):
        raise signing.SigningKeyError("BASELINE_NEXT_SIGNING_KEY_FILE holds the current signing key, not a successor.")
    return base64.b64encode(signing.public_raw(successor)).decode("ascii")
