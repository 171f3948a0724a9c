"""Many videos' vPDQ frames in flat arrays, and the videos among them that a query video matches
(DESIGN.md section 8). Used on a loaded index file's memory-mapped arrays (matching) and on
stored values (near-duplicates on submission); pure: numpy and faiss only.

A listed video can only match if one of its frames lies within distance 31 of one of the query's
usable frames, so one range search over every frame finds the candidates, and only those are
compared (curation/matching/vpdq.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from baseline_client.matching import hamming, vpdq


@dataclass(frozen=True)
class Frames:
    """Videos' frames one after another: codes (n x 32 uint8), qualities, times, and where each
    video's frames end (`ends[v]`, cumulative)."""

    codes: np.ndarray
    qualities: np.ndarray
    times: np.ndarray
    ends: np.ndarray

    @classmethod
    def of_values(cls, values: Iterable[str]) -> Frames:
        """From vPDQ values (JSON lists of "pdq_hex,quality,timestamp"), in order."""
        codes, qualities, times, ends = [], [], [], []
        for value in values:
            for frame in json.loads(value):
                pdq, quality, seconds = frame.split(",")
                codes.append(pdq)
                qualities.append(int(quality))
                times.append(float(seconds))
            ends.append(len(codes))
        return cls(np.frombuffer(bytes.fromhex("".join(codes)), np.uint8).reshape(-1, 32),
                   np.array(qualities, np.uint8), np.array(times, np.float64), np.array(ends, np.int64))

    def __len__(self) -> int:
        return len(self.ends)

    def video(self, row: int) -> vpdq.Video:
        """Video `row` in time order, as the comparison wants it."""
        start, end = (int(self.ends[row - 1]) if row else 0), int(self.ends[row])
        times = np.asarray(self.times[start:end])
        order = np.argsort(times, kind="stable")
        codes = np.asarray(self.codes[start:end])[order]
        return vpdq.Video(hashes=codes.view(">u8").astype(np.uint64).reshape(-1, 4),
                          qualities=np.asarray(self.qualities[start:end], np.int16)[order], times=times[order])


def query_codes(video: vpdq.Video) -> np.ndarray:
    """The query's usable frames as n x 32 bytes."""
    return video.hashes[video.usable()].astype(">u8").view(np.uint8).reshape(-1, 32)


def matching_videos(query: vpdq.Video, frames: Frames, *, threshold: float,
                    kinds: Iterable[str] | None = None) -> list[tuple[int, vpdq.Comparison]]:
    """(video row, comparison) of every video of `frames` that the query matches (of `kinds`, when given)."""
    codes = query_codes(query)
    if not len(codes) or not len(frames.codes):
        return []
    _, _, frame_rows = hamming.range_search(codes, frames.codes, vpdq.MATCH_DISTANCE)
    wanted = None if kinds is None else set(kinds)
    found = []
    for row in np.unique(np.searchsorted(frames.ends, frame_rows, side="right")).tolist():
        result = vpdq.compare(query, frames.video(row), threshold=threshold)
        if result.kind is not None and (wanted is None or result.kind in wanted):
            found.append((row, result))
    return found
