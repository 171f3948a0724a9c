"""Comparing a query video Q with a listed video L by their vPDQ frames (DESIGN.md section 8). Pure:
no database, no settings, no I/O.

- Frames of quality below 50 are ignored, and equal frame hashes count once.
- `query_coverage`: the percentage of Q's frame hashes within PDQ distance 31 of some frame hash of
  L; `listed_coverage`: the percentage of L's within 31 of some frame hash of Q.
- `kind`: `full` when both reach the threshold (default 80), `clip` when `query_coverage` does,
  `contains` when `listed_coverage` does and L has at least 10 usable frames. With fewer than 5
  usable frames on either side, they match only if every usable frame of the shorter lies within 31
  of the other (`short`).

Sampling. Two copies sampled once a second land on different frames when one starts part-way
through a second: PDQ moves fast with the picture (a pan of 2 pixels a frame at 640x360 moves a
frame's hash past 31 within a sixth of a second), so their samples may share nothing. Sampled at
every frame, one side holds, for each frame of the other, that very frame. So Baseline lists
videos sampled densely and lets queries come at any rate. A side sampled more densely than the
other is measured at the other's rate: its frames are taken once per the sparser side's interval,
at the phase (offset within that interval) that agrees best, and the coverage is that sample's. With
equal rates this is the plain coverage above; the README gives the figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from baseline_client.hashing.signatures import PDQ_MIN_QUALITY

MATCH_DISTANCE = 31
MIN_QUALITY = PDQ_MIN_QUALITY  # frames below are ignored
DEFAULT_THRESHOLD = 80
THRESHOLD_RANGE = (50, 100)
SHORT_FRAMES = 5  # fewer usable frames than this on either side: every frame of the shorter must match
CONTAINS_MIN_FRAMES = 10  # `contains` needs this many usable frames in the listed video
DENSER = 0.75  # a side whose interval is below this fraction of the other's is "sampled more densely"
_BLOCK_PAIRS = 1 << 20  # frame pairs compared at a time (32 MB of XORs)


@dataclass(frozen=True)
class Video:
    """One video's frames: hashes (n x 4 uint64), qualities and timestamps, in timestamp order."""

    hashes: np.ndarray
    qualities: np.ndarray
    times: np.ndarray

    @classmethod
    def parse(cls, frames: str | Iterable[str]) -> Video:
        """From a vPDQ value (the JSON text or its list of "pdq_hex,quality,timestamp" strings),
        already validated (baseline_client.hashing.signatures)."""
        items = json.loads(frames) if isinstance(frames, str) else list(frames)
        rows = sorted((float(t), h, int(q)) for h, q, t in (item.split(",") for item in items))
        if not rows:
            return cls(np.zeros((0, 4), np.uint64), np.zeros(0, np.int16), np.zeros(0))
        hashes = np.frombuffer(bytes.fromhex("".join(h for _, h, _ in rows)), dtype=">u8").astype(np.uint64)
        return cls(hashes.reshape(-1, 4), np.array([q for _, _, q in rows], np.int16),
                   np.array([t for t, _, _ in rows]))

    @property
    def interval(self) -> float | None:
        """The sampling interval: the median gap between frames (None below two distinct times)."""
        gaps = np.diff(np.unique(self.times))
        return float(np.median(gaps)) if gaps.size else None

    def usable(self) -> np.ndarray:
        """Indexes of the frames that count: quality >= 50, the first of each distinct hash."""
        good = np.flatnonzero(self.qualities >= MIN_QUALITY)
        _, first = np.unique(self.hashes[good], axis=0, return_index=True)
        return np.sort(good[first])


@dataclass(frozen=True)
class Comparison:
    query_coverage: float
    listed_coverage: float
    kind: str | None  # full, clip, contains, short; None: no match

    def as_dict(self) -> dict:
        return {"query_coverage": self.query_coverage, "listed_coverage": self.listed_coverage, "kind": self.kind}


def near(a: np.ndarray, b: np.ndarray, distance: int = MATCH_DISTANCE) -> tuple[np.ndarray, np.ndarray]:
    """(for each row of a, whether some row of b lies within `distance`; the same for b), by blocks."""
    near_a, near_b = np.zeros(len(a), bool), np.zeros(len(b), bool)
    if not len(a) or not len(b):
        return near_a, near_b
    rows = max(1, _BLOCK_PAIRS // len(b))
    for start in range(0, len(a), rows):
        block = a[start:start + rows]
        close = np.bitwise_count(block[:, None, :] ^ b[None, :, :]).sum(axis=2, dtype=np.uint16) <= distance
        near_a[start:start + rows] = close.any(axis=1)
        near_b |= close.any(axis=0)
    return near_a, near_b


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _coverage(video: Video, usable: np.ndarray, hit: np.ndarray, other_interval: float | None) -> float:
    """The percentage of `video`'s usable frames that `hit` marks (hit: per usable frame), measured at
    the other side's rate when `video` is sampled more densely (module docstring)."""
    own = video.interval
    if not usable.size:
        return 0.0
    plain = _percent(int(hit.sum()), usable.size)
    if own is None or other_interval is None or own >= DENSER * other_interval:
        return plain
    times, frame_hit = video.times, np.zeros(len(video.times), bool)
    frame_hit[usable] = hit
    counted = np.zeros(len(video.times), bool)
    counted[usable] = True
    best = 0.0
    for phase in np.unique(np.round((times - times[0]) % other_interval, 6)):
        picks = _resample(times, times[0] + phase, other_interval)
        picks = picks[counted[picks]]
        if picks.size:
            best = max(best, _percent(int(frame_hit[picks].sum()), picks.size))
    return best


def _resample(times: np.ndarray, origin: float, interval: float) -> np.ndarray:
    """Indexes of the first frame at or after origin + k * interval, for each k (distinct frames)."""
    slots = np.arange(origin, times[-1] + interval / 2, interval)
    picks = np.searchsorted(times, slots - 1e-6)
    return np.unique(picks[picks < len(times)])


def compare(query: Video, listed: Video, *, threshold: float = DEFAULT_THRESHOLD) -> Comparison:
    """How Q and L compare (module docstring)."""
    if not THRESHOLD_RANGE[0] <= threshold <= THRESHOLD_RANGE[1]:
        raise ValueError(f"threshold {threshold} outside {THRESHOLD_RANGE}")
    q_usable, l_usable = query.usable(), listed.usable()
    q_hit, l_hit = near(query.hashes[q_usable], listed.hashes[l_usable])
    q_cov = _coverage(query, q_usable, q_hit, listed.interval)
    l_cov = _coverage(listed, l_usable, l_hit, query.interval)
    if not q_usable.size or not l_usable.size:
        return Comparison(q_cov, l_cov, None)
    if min(q_usable.size, l_usable.size) < SHORT_FRAMES:
        shorter_hit = q_hit if q_usable.size <= l_usable.size else l_hit
        return Comparison(q_cov, l_cov, "short" if shorter_hit.all() else None)
    if q_cov >= threshold and l_cov >= threshold:
        kind = "full"
    elif q_cov >= threshold:
        kind = "clip"
    elif l_cov >= threshold and l_usable.size >= CONTAINS_MIN_FRAMES:
        kind = "contains"
    else:
        kind = None
    return Comparison(q_cov, l_cov, kind)


def compare_values(query: str | Sequence[str], listed: str | Sequence[str], *,
                   threshold: float = DEFAULT_THRESHOLD) -> Comparison:
    return compare(Video.parse(query), Video.parse(listed), threshold=threshold)
