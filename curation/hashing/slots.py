"""At most `HASHING_SLOTS` hashing requests at a time per user (issue 11), and one video (DESIGN.md
section 8): decoding is what costs a worker memory and CPU, so one account cannot make many workers
decode at once. `hash_upload` is the one way the API and the pages hash a file.

A slot is a key in the shared cache (Redis outside development), taken with `cache.add` (Redis
`SET NX EX`, atomic across every process) and deleted in `finally`. Each slot key expires on its own
after `SLOT_SECONDS`, so a worker that dies mid-request frees its slot by then at the latest.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from baseline_client.hashing import media, signatures
from baseline_client.hashing.media import HashResult, MediaError
from django.conf import settings
from django.core.cache import cache

from curation.hashing.media import hash_bytes

HASHING_SLOTS = 2
SLOT_SECONDS = 120  # longer than an image's hashing request may run


def video_slot_seconds() -> int:
    """Longer than a video's hashing may run: its CPU budget, with room for a busy machine."""
    return 2 * settings.BASELINE_MAX_VIDEO_CPU_SECONDS + 60


def slot_key(user_id: object, number: int) -> str:
    return f"hashing-slot:{user_id}:{number}"


def busy_message() -> str:
    return (f"You already have {HASHING_SLOTS} files being hashed; wait until one of them is done and "
            "try again.")


@contextmanager
def hashing_slot(user) -> Iterator[None]:
    """Hold one of the user's slots while the block runs; MediaError 429 when all are taken."""
    token = secrets.token_hex(8)
    for number in range(HASHING_SLOTS):
        key = slot_key(user.pk, number)
        if cache.add(key, token, timeout=SLOT_SECONDS):
            break
    else:
        raise MediaError(busy_message(), code="too_many_hashing_requests", status=429)
    try:
        yield
    finally:
        if cache.get(key) == token:  # ours still (not expired and taken by another request meanwhile)
            cache.delete(key)


@contextmanager
def video_slot(user) -> Iterator[None]:
    """Hold the user's one video slot while the block runs; MediaError 429 when it is taken."""
    token, key = secrets.token_hex(8), f"video-slot:{user.pk}"
    if not cache.add(key, token, timeout=video_slot_seconds()):
        raise MediaError("You already have a video being hashed; wait until it is done and try again.",
                         code="too_many_hashing_requests", status=429)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


def hash_upload(user, data: bytes, *, seconds_per_hash: float = 1.0) -> HashResult:
    """Hash an uploaded file for `user` within their slots (a video takes the video slot as well)."""
    with hashing_slot(user):
        if media.sniff(data) != signatures.VIDEO:
            return hash_bytes(data)
        with video_slot(user):
            return hash_bytes(data, seconds_per_hash=seconds_per_hash)
