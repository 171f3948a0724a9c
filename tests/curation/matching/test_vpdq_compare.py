"""The vPDQ comparison (DESIGN.md section 8) on frames made to measure: coverages, kinds, the
thresholds, low-quality and repeated frames, and sides sampled at different rates."""

from __future__ import annotations

import numpy as np
import pytest
from baseline_client.matching.vpdq import Comparison, Video, compare, compare_values, near

RNG = np.random.default_rng(2026)
BASE = [RNG.bytes(32) for _ in range(200)]  # unrelated hashes: any two differ in about 128 bits


def flip(raw: bytes, bits: int) -> bytes:
    """`raw` with its first `bits` bits inverted: exactly that Hamming distance away."""
    value = int.from_bytes(raw, "big") ^ (((1 << bits) - 1) << (256 - bits))
    return value.to_bytes(32, "big")


def value(hashes: list[bytes], *, quality: int | list[int] = 100, interval: float = 1.0, start: float = 0.0):
    qualities = quality if isinstance(quality, list) else [quality] * len(hashes)
    return [f"{h.hex()},{q},{start + i * interval:.3f}" for i, (h, q) in enumerate(zip(hashes, qualities, strict=True))]


def result(query, listed, **options) -> tuple[float, float, str | None]:
    found = compare_values(query, listed, **options)
    return found.query_coverage, found.listed_coverage, found.kind


TABLE = {
    # name: (query frames, listed frames, options, (query_coverage, listed_coverage, kind))
    "identical": (value(BASE[:20]), value(BASE[:20]), {}, (100, 100, "full")),
    "distance 31 matches": (value([flip(h, 31) for h in BASE[:20]]), value(BASE[:20]), {}, (100, 100, "full")),
    "distance 32 does not": (value([flip(h, 32) for h in BASE[:20]]), value(BASE[:20]), {}, (0, 0, None)),
    "unrelated": (value(BASE[:20]), value(BASE[20:40]), {}, (0, 0, None)),
    "a clip: a quarter of the listed video": (value(BASE[5:10]), value(BASE[:20]), {}, (100, 25, "clip")),
    "contains: the listed video inside a longer one": (
        value(BASE[100:120] + BASE[:10] + BASE[120:130]), value(BASE[:10]), {}, (25, 100, "contains")),
    "contains needs 10 usable listed frames": (
        value(BASE[100:120] + BASE[:9] + BASE[120:130]), value(BASE[:9]), {}, (23.1, 100, None)),
    "threshold 80: 79% is not a clip": (
        value(BASE[:79] + BASE[100:121]), value(BASE[:79]), {}, (79, 100, "contains")),
    "threshold 50 per request": (value(BASE[:10] + BASE[100:110]), value(BASE[:10]), {"threshold": 50},
                                 (50, 100, "full")),
    "low-quality frames are ignored": (
        value(BASE[:10] + BASE[100:110], quality=[100] * 10 + [49] * 10), value(BASE[:10]), {}, (100, 100, "full")),
    "quality 50 counts": (
        value(BASE[:10] + BASE[100:110], quality=[100] * 10 + [50] * 10), value(BASE[:10]), {}, (50, 100, "contains")),
    "equal frame hashes count once": (value(BASE[:10] + [BASE[150]] * 30), value(BASE[:10]), {},
                                      (90.9, 100, "full")),
    "short: every frame of the shorter matches": (value(BASE[:3]), value(BASE[:40]), {}, (100, 7.5, "short")),
    "short: one frame of the shorter does not": (value([*BASE[:2], BASE[190]]), value(BASE[:40]), {},
                                                 (66.7, 5, None)),
    "short listed side": (value(BASE[:40]), value([flip(h, 20) for h in BASE[:4]]), {}, (10, 100, "short")),
    "nothing usable": (value(BASE[:10], quality=10), value(BASE[:10]), {}, (0, 0, None)),
}


@pytest.mark.parametrize(("query", "listed", "options", "expected"), TABLE.values(), ids=TABLE.keys())
def test_comparison_table(query, listed, options, expected):
    assert result(query, listed, **options) == pytest.approx(expected)


@pytest.mark.parametrize("threshold", [49, 100.5, -1])
def test_a_threshold_outside_50_to_100_is_refused(threshold):
    with pytest.raises(ValueError):
        compare_values(value(BASE[:10]), value(BASE[:10]), threshold=threshold)


def test_a_sparse_query_is_measured_at_its_own_rate_against_a_dense_listing():
    frames = [RNG.bytes(32) for _ in range(30 * 40)]  # 40 s, every frame unrelated to the next
    listed = value(frames, interval=1 / 30)  # listed at every frame
    phase = 7  # the query's samples fall 7 frames into each second
    full = value(frames[phase::30], interval=1.0, start=phase / 30)
    clip = value(frames[phase + 300:900:30], interval=1.0, start=(phase + 300) / 30)
    inside = value(BASE[:20] + frames[phase::30] + BASE[20:40], interval=1.0)
    assert result(full, listed) == (100, 100, "full")
    assert result(clip, listed) == (100, 50, "clip")
    assert result(inside, listed) == (50, 100, "contains")
    # The plain (unaligned) figure would be 1/30 of the listed frames: what the alignment is for.
    hit = near(Video.parse(listed).hashes, Video.parse(full).hashes)[0]
    assert round(100 * hit.mean(), 1) == 3.3


def test_two_sparse_samples_at_different_phases_share_nothing_on_fast_video():
    frames = [RNG.bytes(32) for _ in range(30 * 20)]
    assert result(value(frames[0::30]), value(frames[15::30], start=0.5)) == (0, 0, None)


def test_near_is_brute_force_in_blocks():
    a = np.frombuffer(b"".join(BASE[:50]), dtype=">u8").astype(np.uint64).reshape(-1, 4)
    b = np.frombuffer(b"".join([flip(h, 31) for h in BASE[25:75]]), dtype=">u8").astype(np.uint64).reshape(-1, 4)
    near_a, near_b = near(a, b)
    assert near_a.tolist() == [i >= 25 for i in range(50)] and near_b.tolist() == [i < 25 for i in range(50)]


def test_parse_accepts_the_value_text_and_sorts_by_time():
    text = '["' + '","'.join(reversed(value(BASE[:3]))) + '"]'
    video = Video.parse(text)
    assert video.times.tolist() == [0.0, 1.0, 2.0] and video.interval == 1.0
    assert isinstance(compare(video, video), Comparison)
