"""The service's signing key: loaded from BASELINE_SIGNING_KEY_FILE (generated under var/ only in
development) and registered as the active public key, so rotation keeps old keys listed."""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from curation import signing
from curation.models import SigningKey


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


def active() -> SigningKey:
    """The SigningKey row of the key in use, registered and made the only active one if new."""
    raw = signing.public_raw(private_key())
    kid = signing.key_id(raw)
    current = SigningKey.objects.filter(key_id=kid, active=True).first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            SigningKey.objects.filter(active=True).exclude(key_id=kid).update(active=False)
            key, _ = SigningKey.objects.update_or_create(
                key_id=kid, defaults={"public_key": base64.b64encode(raw).decode(), "active": True}
            )
            from curation import audit

            audit.record(actor=None, action="signing_key.activate", obj=key, details={"key_id": kid})
    except IntegrityError:  # registered by a simultaneous build
        key = SigningKey.objects.get(key_id=kid)
    return key
