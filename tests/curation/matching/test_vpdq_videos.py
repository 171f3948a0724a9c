"""Partial copies found on videos of a minute and more that the test builds (bench/videos.py): a pan
across the test photographs is listed (hashed at every frame, as Baseline lists videos), and
queries hashed once a second, as partners' tools hash them, are cut, shrunk and embedded from it."""

from __future__ import annotations

import json

import pytest
from baseline_client.hashing.media import hash_bytes
from baseline_client.matching.vpdq import Video, compare

from bench import videos

PHASE = 7 / 30  # cuts fall 7 frames into a second, so a query's samples are never the listing's


def vpdq(data: bytes, seconds_per_hash: float) -> Video:
    found = {s["algorithm"]: s["value"] for s in hash_bytes(data, seconds_per_hash=seconds_per_hash).signatures}
    return Video.parse(json.loads(found["vpdq"]))


SIZE = (320, 180)


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    listed = videos.photo_pan(60, size=SIZE)
    return {
        "listed": listed,
        "middle-third": videos.recode(listed, start=20 + PHASE, end=40 + PHASE, size=SIZE),
        "smaller-and-worse": videos.recode(listed, size=(240, 136), crf=36),
        "inside-other-footage": videos.concat(videos.noise_pan(1, 20 + PHASE, size=SIZE), listed,
                                              videos.noise_pan(2, 20, size=SIZE), size=SIZE),
        "unrelated-pan": videos.noise_pan(3, 60, size=SIZE),
        "looped-pattern": videos.loop("pattern-hd-no-bar", 60, size=SIZE),
        "looped-doorknob": videos.loop("doorknob-hd-no-bar", 60, size=SIZE),
    }


@pytest.fixture(scope="module")
def listed(built) -> Video:
    return vpdq(built["listed"], 0)


@pytest.fixture(scope="module")
def queries(built) -> dict[str, Video]:
    return {name: vpdq(data, 1) for name, data in built.items()}


def test_the_built_videos_are_a_minute_and_more_and_the_clip_a_third(built):
    seconds = {name: hash_bytes(data).video["duration"] for name, data in built.items()}
    assert seconds.pop("middle-third") == pytest.approx(20, abs=0.1)
    assert seconds.pop("inside-other-footage") == pytest.approx(100 + PHASE, abs=0.1)
    assert all(length == pytest.approx(60, abs=0.1) for length in seconds.values()), seconds


def test_the_middle_third_is_a_clip(queries, listed):
    found = compare(queries["middle-third"], listed)
    assert found.kind == "clip" and found.query_coverage >= 95
    assert 25 <= found.listed_coverage < 80


def test_a_smaller_copy_at_a_lower_bit_rate_is_a_full_copy(built, queries, listed):
    assert len(built["smaller-and-worse"]) < len(built["listed"]) / 2
    found = compare(queries["smaller-and-worse"], listed)
    assert found.kind == "full" and found.query_coverage >= 95 and found.listed_coverage >= 90  # measured 94-100


def test_the_video_inside_unrelated_footage_is_contained(queries, listed):
    found = compare(queries["inside-other-footage"], listed)
    assert found.kind == "contains" and found.listed_coverage >= 95
    assert 50 <= found.query_coverage < 80  # 60 s of its 100 s


@pytest.mark.parametrize("name", ["unrelated-pan", "looped-pattern", "looped-doorknob"])
def test_unrelated_videos_do_not_match(queries, listed, name):
    found = compare(queries[name], listed)
    assert found.kind is None and found.query_coverage < 5 and found.listed_coverage < 5


def test_the_unrelated_videos_do_not_match_each_other(queries):
    pan, pattern, doorknob = queries["unrelated-pan"], queries["looped-pattern"], queries["looped-doorknob"]
    assert compare(pan, pattern).kind is None and compare(pattern, doorknob).kind is None


def test_listed_once_a_second_the_same_clip_is_missed(queries):
    """Why listed videos are hashed at every frame: at one a second on both sides the samples fall
    on different frames of a moving picture, and the clip is not found."""
    found = compare(queries["middle-third"], queries["listed"])
    assert found.kind is None and found.query_coverage < 50
