"""The service's hashing: the partner client's code (baseline_client.hashing, so `POST hash/` and
`baseline hash` compute the same signatures) under the service's limits from settings."""

from __future__ import annotations

from baseline_client.hashing import media
from baseline_client.hashing.media import HashResult
from django.conf import settings


def hash_bytes(data: bytes, *, max_bytes: int | None = None, seconds_per_hash: float = 1.0) -> HashResult:
    """`baseline_client.hashing.media.hash_bytes` within BASELINE_MAX_VIDEO_SECONDS and
    BASELINE_MAX_VIDEO_CPU_SECONDS."""
    return media.hash_bytes(data, max_bytes=max_bytes, seconds_per_hash=seconds_per_hash,
                            max_seconds=settings.BASELINE_MAX_VIDEO_SECONDS,
                            max_cpu_seconds=settings.BASELINE_MAX_VIDEO_CPU_SECONDS)
