"""At most `HASHING_SLOTS` hashing requests at a time per user (issue 11): decoding is what costs a
worker memory, so one account cannot make many workers decode at once.

A slot is a key in the shared cache (Redis outside development), taken with `cache.add` (Redis
`SET NX EX`, atomic across every process) and deleted in `finally`. Each slot key expires on its own
after `SLOT_SECONDS`, so a worker that dies mid-request frees its slot by then at the latest.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache

from curation.hashing.media import MediaError

HASHING_SLOTS = 2
SLOT_SECONDS = 120  # longer than any hashing request may run (gunicorn's timeout is 30 s)


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
