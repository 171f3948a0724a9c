"""API token keys: generated here, stored only as a digest."""

from __future__ import annotations

import hashlib
import secrets

KEY_BYTES = 32


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def digest(key: str) -> str:
    # Keys are 256 random bits, so a fast hash is safe: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()
