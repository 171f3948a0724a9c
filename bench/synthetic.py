"""Synthetic matching indexes, for sizes no database load reaches here in reasonable time (10M items
would take over an hour to load and build): rows generated in chunks, written by the build's own
writer (`curation.matching.index.write`) into the export storage where a build stores the index,
and published as a release row the way a build publishes one (building, then a conditional update
to published). The items behind the rows are not in the database, except those a bench's queries
can match: a partner's match records sightings, which refer to the item.

PDQ codes come clustered, not as pure uniform noise: half are singletons, half in runs of 2..8
consecutive rows (near-duplicates: one centre, each member up to 16 bits from it), so a query near
a listed code often matches its neighbours too. vPDQ videos are random walks (1..4 bits flipped a
frame, every frame at 1/30 s, qualities 50..100); one video in ten re-uses a perturbed 100-frame
segment of the video before it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

CHUNK = 250_000
MAX_CLUSTER = 8  # a code's near-duplicates lie within MAX_CLUSTER - 1 rows of it
CLUSTER_BITS = 16  # members lie up to this many bits from their centre
FPS = 30


def item_id(number: int) -> str:
    return str(uuid.UUID(int=number))


def flip(codes: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`codes` (n x 32 uint8) with up to counts[i] random bits of row i flipped (positions drawn with
    replacement, so now and then one fewer)."""
    most = int(counts.max()) if len(counts) else 0
    if not most:
        return codes.copy()
    bits = np.zeros((len(codes), 256), bool)
    positions = rng.integers(0, 256, (len(codes), most))
    keep = np.arange(most)[None, :] < counts[:, None]
    bits[np.nonzero(keep)[0], positions[keep]] = True
    return codes ^ np.packbits(bits, axis=1)


def pdq_chunk(count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` clustered codes (module docstring), each cluster in consecutive rows."""
    sizes = np.where(rng.random(count) < 0.5, 1, rng.integers(2, MAX_CLUSTER + 1, count))
    sizes = sizes[:int(np.searchsorted(np.cumsum(sizes), count)) + 1]
    cluster = np.repeat(np.arange(len(sizes)), sizes)[:count]
    centres = rng.integers(0, 256, (len(sizes), 32), dtype=np.uint8)
    flips = np.where(sizes[cluster] > 1, rng.integers(0, CLUSTER_BITS + 1, count), 0)
    return flip(centres[cluster], flips, rng)


class Timed:
    """Seconds spent making rows (what a real build spends reading them from PostgreSQL instead)."""

    def __init__(self) -> None:
        self.seconds = 0.0


def pdq_rows(count: int, offset: int, seed: int, timed: Timed) -> Callable[[str, int], Iterator[tuple]]:
    """rows_of(algorithm, version) for index.write: `count` clustered PDQ codes, row r the item
    offset + r + 1, an image; no rows for the other algorithms."""

    def rows_of(algorithm: str, version: int) -> Iterator[tuple]:
        if algorithm != "pdq":
            return
        rng = np.random.default_rng(seed)
        for start in range(0, count, CHUNK):
            began = time.perf_counter()
            n = min(CHUNK, count - start)
            text = pdq_chunk(n, rng).tobytes().hex()
            ids = [item_id(offset + start + k + 1) for k in range(n)]
            timed.seconds += time.perf_counter() - began
            for k in range(n):
                yield text[64 * k:64 * k + 64], ids[k], "image", version

    return rows_of


def walk(frames: int, rng: np.random.Generator) -> np.ndarray:
    """`frames` codes of a random walk: each 1..4 bits from the one before."""
    steps = flip(np.zeros((frames, 32), np.uint8), rng.integers(1, 5, frames), rng)
    steps[0] = rng.integers(0, 256, 32, dtype=np.uint8)
    return np.bitwise_xor.accumulate(steps, axis=0)


def video_value(codes: np.ndarray, rng: np.random.Generator, first_frame: int = 0) -> list[str]:
    """vPDQ frames as signatures.normalise writes them: "pdq_hex,quality,seconds"."""
    qualities = rng.integers(50, 101, len(codes))
    return [f"{bytes(code).hex()},{int(q)},{(first_frame + k) / FPS:.3f}"
            for k, (code, q) in enumerate(zip(codes, qualities, strict=True))]


def videos(count: int, frames: int, seed: int) -> list[np.ndarray]:
    """`count` listed videos' frame codes (module docstring)."""
    rng = np.random.default_rng(seed)
    out = []
    for v in range(count):
        codes = walk(frames, rng)
        if v % 10 == 9:  # a re-upload of a segment of the video before
            codes[100:200] = flip(out[-1][100:200], rng.integers(0, 7, 100), rng)
        out.append(codes)
    return out


def vpdq_rows(listed: list[np.ndarray], offset: int, seed: int) -> Callable[[str, int], Iterator[tuple]]:
    import json

    rng = np.random.default_rng(seed)
    values = [json.dumps(video_value(codes, rng), separators=(",", ":")) for codes in listed]

    def rows_of(algorithm: str, version: int) -> Iterator[tuple]:
        if algorithm == "vpdq":
            for n, value in enumerate(values):
                yield value, item_id(offset + n + 1), "video", version

    return rows_of


def insert_items(numbers, media_type: str) -> int:
    """Approved items (no signatures) for the given numbers, so sightings of them can be recorded."""
    from bench.benchmarks import _people
    from bench.releases import _copy_rows
    from curation.models import CriteriaSet, Submission

    wanted = sorted({int(n) for n in numbers})
    user, criteria, now = _people(), CriteriaSet.objects.get(is_active=True), "2026-01-01 00:00:00+00"
    _copy_rows(Submission._meta.db_table,
               ["id", "status", "media_type", "external_reference", "note", "submitter_id", "organisation_id",
                "criteria_set_id", "required_agreements", "series", "created_at", "decided_at",
                "retraction_reason", "hold_reason"],
               ((item_id(n), "approved", media_type, "BENCH", "", user.pk, user.organisation_id, criteria.pk, 3,
                 "", now, now, "", "") for n in wanted))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Submission._meta.db_table}")
    return len(wanted)


def publish_index(rows_of: Callable[[str, int], Iterator[tuple]], *, item_count: int, note: str) -> dict:
    """Write the index file as a build does (`_build`: write_stream into the export storage under the
    attempt's path) and publish its release; its version, path and figures."""
    from curation.matching import index
    from curation.models import Release
    from curation.releases.build import attempt_path
    from curation.releases.services import _next_release
    from curation.releases.storage import write_stream

    with transaction.atomic():
        release = _next_release(None, note)
    began = time.perf_counter()
    stored = write_stream(attempt_path(release, 1, f"{release.list}-v{release.version}.match-index"),
                          index.write(release.version, release.list, lambda a: rows_of(a, release.version)))
    seconds = time.perf_counter() - began
    published = Release.objects.filter(pk=release.pk, status=Release.Status.BUILDING).update(
        status=Release.Status.PUBLISHED, published_at=timezone.now(), progress="", attempts=1,
        item_count=item_count, added=item_count, match_index_path=stored.path, match_index_sha256=stored.sha256)
    if published != 1:
        raise RuntimeError(f"release {release.version} was not building")
    return {"version": release.version, "path": stored.path, "sha256": stored.sha256,
            "write_seconds": round(seconds, 1), "file_mb": round(stored.size / (1024 * 1024), 1)}


def discard(path: str) -> None:
    """Delete a synthetic index file from the export storage (its release row stays, published)."""
    from curation.releases.storage import export_storage

    export_storage().delete(path)
