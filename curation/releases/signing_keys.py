"""The service's signing key, loaded from BASELINE_SIGNING_KEY_FILE (generated under var/ only in
development). `releases.services.signing_key_register` records its public half, so rotation keeps
old keys listed."""

from __future__ import annotations

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
