"""vPDQ matching (`match-vpdq`): one 600-frame query against 10,000 listed videos of 300 frames each
(3M listed frames), through `POST /api/v1/match/` in process. Target <= 3 s a query.

The index file is written straight from synthetic videos (bench/synthetic.py: random walks, every
frame at 1/30 s; one video in ten re-uses a 100-frame segment of the one before) and published as
a release, as `match-10m` does. Two queries, each alone in its call, timed several times (median):
- `contains`: 300 frames of one listed video, each perturbed by up to 8 bits, then 300 unrelated
  frames: the listed video lies whole inside the query (listed coverage ~100%, query ~50%). Its
  listed video has a re-upload of one of its segments, so two candidates are compared;
- `unrelated`: 600 frames of no listed video: no candidate.

The floor is the search alone: `baseline_client.matching.hamming.range_search` of the query's 600 frames
against the 3M listed frames (what finds the candidates), in this process.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time

import numpy as np

from bench import synthetic
from bench.matching import api_settings, empty_list, partner_client, post, warm_up

VIDEOS = 10_000
FRAMES = 300
OFFSET = 200_000_000
SEED = 15
RUNS = 5
LISTED = 4_008  # its next video (4,009) re-uses one of its segments: two candidates


def _queries(listed: list[np.ndarray], rng: np.random.Generator) -> dict[str, str]:
    clip = synthetic.flip(listed[LISTED], rng.integers(0, 9, len(listed[LISTED])), rng)
    contains = np.concatenate([clip, synthetic.walk(FRAMES, rng)])
    return {"contains": json.dumps(synthetic.video_value(contains, rng)),
            "unrelated": json.dumps(synthetic.video_value(synthetic.walk(2 * FRAMES, rng), rng))}


def _floor(index, value: str) -> tuple[float, int, int]:
    """(seconds, listed frames found, candidate videos) of the frame search alone, as services._vpdq
    runs it on the query's usable frames."""
    from baseline_client.hashing import signatures
    from baseline_client.matching import hamming, vpdq

    video = vpdq.Video.parse(signatures.normalise("vpdq", value))
    codes = video.hashes[video.usable()].astype(">u8").view(np.uint8).reshape(-1, 32)
    start = time.perf_counter()
    _, _, rows = hamming.range_search(codes, index["vpdq.codes"], vpdq.MATCH_DISTANCE)
    seconds = time.perf_counter() - start
    return seconds, len(rows), len(np.unique(np.searchsorted(index["vpdq.ends"], rows, side="right")))


def bench_match_vpdq(videos: int = VIDEOS, frames: int = FRAMES, runs: int = RUNS) -> dict:
    from curation.matching import loaded

    empty_list()
    client = partner_client()
    start = time.perf_counter()
    listed = synthetic.videos(videos, frames, SEED)
    rows_of = synthetic.vpdq_rows(listed, OFFSET, SEED + 1)
    generated = time.perf_counter() - start
    release = synthetic.publish_index(rows_of, item_count=videos, note=f"bench {videos:,} synthetic videos")
    release["rows_generated_seconds"] = round(generated, 1)
    synthetic.insert_items(OFFSET + 1 + np.arange(videos), "video")  # a partner's match records sightings
    queries = _queries(listed, np.random.default_rng(SEED + 2))
    out: dict = {"videos": videos, "frames_a_video": frames, "release": release,
                 "query_frames": {name: len(json.loads(value)) for name, value in queries.items()}}
    try:
        with tempfile.TemporaryDirectory() as index_dir, api_settings(index_dir):
            loaded.forget()
            warm_up(client)
            start = time.perf_counter()
            index = loaded.current("baseline")
            out["index_load_seconds"] = round(time.perf_counter() - start, 2)
            path = loaded.local_copy(release["path"], release["sha256"])
            with path.open("rb") as written:
                os.fsync(written.fileno())
            out["listed_frames"] = len(index["vpdq.codes"])
            for name, value in queries.items():
                body = [{"algorithm": "vpdq", "value": value}]
                post(client, body)  # warm-up: the listed frames' pages, the first parse
                seconds, answer = [], None
                for _ in range(runs):
                    start = time.perf_counter()
                    answer = post(client, body)
                    seconds.append(time.perf_counter() - start)
                floors = [_floor(index, value) for _ in range(runs)]
                matches = answer["results"][0]["matches"]
                out[name] = {
                    "api_seconds_median": round(statistics.median(seconds), 2),
                    "api_seconds": [round(s, 2) for s in seconds],
                    "floor_frame_search_seconds_median": round(statistics.median(f[0] for f in floors), 2),
                    "listed_frames_within_31": floors[0][1], "candidate_videos_compared": floors[0][2],
                    "matches": [{key: m[key] for key in ("item_id", "kind", "query_coverage", "listed_coverage")}
                                for m in matches],
                }
            out["contains"]["expected_item"] = synthetic.item_id(OFFSET + LISTED + 1)
    finally:
        loaded.forget()
        synthetic.discard(release["path"])
    out["target"] = "<= 3 s a 600-frame query against 10,000 videos of 300 frames (3M frames)"
    return out
