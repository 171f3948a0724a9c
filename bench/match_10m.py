"""PDQ matching at 10M listed hashes (`match-10m`), each figure beside its floor in the same run.

The index file is written straight from 10M synthetic clustered PDQ codes (bench/synthetic.py) by
the build's writer and published as a release (a database load and real build of 10M items would
take over an hour here); then the process loads it as the service does (`loaded.current`: fetched to
this host's index directory, SHA-256 checked, memory-mapped) and POSTs batches of 1,000 PDQ queries
through DRF's APIClient, as `match-1m` does (bench/matching.py).

- Throughput: API queries/s; floor, faiss `IndexBinaryFlat.range_search` (radius 32) of the same
  batches in this process. Target >= 300 queries/s at 10M. Both answers compared query by query.
- Memory per host (target <= 400 MB): after the API's queries, /proc/self/status and smaps_rollup
  of this process and of a second one (bench/match_child.py) that maps the same file and runs
  queries through the API, with the Pss of the index file's mapping in each (pages shared by both
  count half in each), and per array of the file the MB of its pages mapped (/proc/self/pagemap).
  Host memory for the index = the file's touched pages once + each process's anonymous growth; the
  working set = the codes every query scans + that growth. Beside them, what a per-process
  IndexBinaryFlat copy costs (measured here: the anonymous growth of adding the codes to one).
- Exact alternatives on the same batches (optional in the issue): the same brute force over blocks of
  codes (cache-sized), and faiss `IndexBinaryMultiHash(256, 16, 16)` with nflip=1 (exact below
  distance 32 by pigeonhole); their build time, memory and whether they answer as IndexBinaryFlat.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import synthetic
from bench.matching import (
    BATCH,
    BATCHES,
    MB,
    RADIUS,
    api_settings,
    batches,
    empty_list,
    found_by,
    partner_client,
    partner_token,
    post_pdq,
    resident_mb,
    smaps_mb,
    status_mb,
    warm_up,
)

ROOT = Path(__file__).resolve().parent.parent
ITEMS = 10_000_000
OFFSET = 100_000_000
SEED = 10
BLOCK = 16_384  # codes a block: 512 KB, within L2


def _growth(after: dict, before: dict) -> dict:
    return {name: round(after[name] - before[name], 1) for name in after}


def _blocked(queries: np.ndarray, codes: np.ndarray) -> tuple:
    """hamming.range_search over BLOCK codes at a time, every query against each block while it is
    in cache; merged into one (lims, distances, rows)."""
    from baseline_client.matching import hamming

    found_q, found_d, found_r = [], [], []
    for start in range(0, len(codes), BLOCK):
        lims, distances, rows = hamming.range_search(queries, codes[start:start + BLOCK], RADIUS - 1)
        found_q.append(np.repeat(np.arange(len(queries)), np.diff(lims).astype(np.int64)))
        found_d.append(distances)
        found_r.append(rows + start)
    q, d, r = (np.concatenate(x) for x in (found_q, found_d, found_r))
    order = np.argsort(q, kind="stable")
    lims = np.concatenate([[0], np.cumsum(np.bincount(q, minlength=len(queries)))])
    return lims, d[order], r[order]


def _timed(search, query_batches: list[np.ndarray]) -> tuple[float, list]:
    search(query_batches[0])
    start = time.perf_counter()
    answers = [search(batch) for batch in query_batches[1:]]
    return time.perf_counter() - start, answers


def _second_process(index_dir: str, token: str, query_batches: list[np.ndarray], path: Path) -> dict:
    """Start bench/match_child.py on the same index and queries; while both run, both processes'
    figures (theirs and this one's), then let it end."""
    batches_file = Path(index_dir) / "queries.npy"
    np.save(batches_file, np.stack(query_batches))
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen([sys.executable, str(ROOT / "bench" / "match_child.py"), index_dir, token,  # noqa: S603
                                  str(batches_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                 text=True)
        try:
            for line in child.stdout:
                if line.startswith("READY "):
                    own = json.loads(line[6:])
                    break
            else:
                errors.seek(0)
                raise RuntimeError(f"match_child.py failed: {errors.read()[-2000:]!r}")
            both = {"parent": {"status": status_mb(), "smaps_rollup": smaps_mb(), "index_mapping": smaps_mb(path=path)},
                    "child": {"status": status_mb(child.pid), "smaps_rollup": smaps_mb(child.pid),
                              "index_mapping": smaps_mb(child.pid, path)}}
            child.stdin.write("done\n")
            child.stdin.flush()
        finally:
            child.stdin.close()
            child.wait(60)
    return {"child": own, "while_both_run": both}


def bench_match_10m(items: int = ITEMS, batches_: int = BATCHES) -> dict:
    import faiss

    from curation.matching import loaded

    empty_list()
    token = partner_token()
    client = partner_client(token)
    timed = synthetic.Timed()
    release = synthetic.publish_index(synthetic.pdq_rows(items, OFFSET, SEED, timed), item_count=items,
                                      note=f"bench {items:,} synthetic PDQ")
    release["rows_generated_seconds"] = round(timed.seconds, 1)
    out: dict = {"items": items, "release": release}
    try:
        with tempfile.TemporaryDirectory() as index_dir, api_settings(index_dir):
            loaded.forget()
            warm_up(client)
            idle = status_mb()
            start = time.perf_counter()
            index = loaded.current("baseline")
            out["index_load_seconds"] = round(time.perf_counter() - start, 2)
            path = loaded.local_copy(release["path"], release["sha256"])
            with path.open("rb") as written:  # its pages, just written, on disk: clean page cache
                os.fsync(written.fileno())
            loaded_mb = status_mb()
            codes = index["pdq.codes"]
            out["index_pdq_codes_mb"] = round(codes.nbytes / MB, 1)
            query_batches, origins = batches(codes, batches_ + 1, np.random.default_rng(items))
            near = (origins[:, None] + np.arange(1 - synthetic.MAX_CLUSTER, synthetic.MAX_CLUSTER)[None, :]).ravel()
            near = near[(near >= 0) & (near < len(codes))]
            out["items_inserted_for_sightings"] = synthetic.insert_items(OFFSET + 1 + near, "image")

            api_seconds, api = _timed(lambda b: post_pdq(client, b), query_batches)
            queries = BATCH * batches_
            out["api_queries_per_second"] = round(queries / api_seconds)
            self_after = {"status": status_mb(), "smaps_rollup": smaps_mb(), "index_mapping": smaps_mb(path=path),
                          "index_pages_mapped_mb": resident_mb(index)}
            second = _second_process(index_dir, token, query_batches[:2], path)

            flat = faiss.IndexBinaryFlat(256)
            before_copy = status_mb()
            flat.add(np.ascontiguousarray(codes))
            copy_mb = status_mb()["RssAnon"] - before_copy["RssAnon"]
            floor_seconds, floor = _timed(lambda b: flat.range_search(b, RADIUS), query_batches)
            out["floor_index_binary_flat_queries_per_second"] = round(queries / floor_seconds)
            floor_found = [found_by(index, *answer) for answer in floor]
            out["matches"] = {"api": sum(len(m) for b in api for m in b),
                              "floor": sum(len(m) for b in floor_found for m in b),
                              "queries_matching": sum(bool(m) for b in floor_found for m in b),
                              "api_equals_floor": api == floor_found}
            flat.reset()  # its copy of the codes freed
            out["memory"] = _memory(idle, loaded_mb, self_after, second, copy_mb, codes.nbytes / MB)
            out["alternatives"] = _alternatives(codes, query_batches, floor, queries)
    finally:
        loaded.forget()
        synthetic.discard(release["path"])
    out["targets"] = ">= 300 queries/s at 10M (API); index memory per host <= 400 MB at 10M"
    return out


def _memory(idle: dict, loaded_mb: dict, self_after: dict, second: dict, copy_mb: float, codes_mb: float) -> dict:
    child = second["child"]
    both = second["while_both_run"]
    pages = max(both["parent"]["index_mapping"]["Rss"], both["child"]["index_mapping"]["Rss"])
    anon = {"parent": round(self_after["status"]["RssAnon"] - idle["RssAnon"], 1),
            "child": round(child["after_queries"]["RssAnon"] - child["idle"]["RssAnon"], 1)}
    return {
        "parent": {"idle": idle, "after_load": loaded_mb, "after_queries": self_after,
                   "growth_from_idle": _growth(self_after["status"], idle)},
        "child": child,
        "while_both_run": both,
        "index_mapping_pss_sum_mb": round(both["parent"]["index_mapping"]["Pss"]
                                          + both["child"]["index_mapping"]["Pss"], 1),
        "index_file_pages_touched_mb": pages,
        "anonymous_growth_mb": anon,
        "host_memory_for_index_mb": {"two_processes": round(pages + anon["parent"] + anon["child"], 1),
                                     "per_further_process": anon["child"]},
        "working_set_mb": {"codes_every_query_scans": round(codes_mb, 1),
                           "two_processes": round(codes_mb + anon["parent"] + anon["child"], 1)},
        "index_binary_flat_copy_mb_per_process": round(copy_mb, 1),
        "per_process_copies_two_processes_mb": round(2 * codes_mb, 1),
    }


def _alternatives(codes: np.ndarray, query_batches: list[np.ndarray], floor: list, queries: int) -> dict:
    import faiss

    def pairs(answer: tuple, q: int) -> set:
        lims, distances, rows = answer
        return set(zip(rows[lims[q]:lims[q + 1]].tolist(), distances[lims[q]:lims[q + 1]].tolist(), strict=True))

    def same(answers: list) -> bool:
        return all(np.array_equal(a[0], f[0]) and all(pairs(a, q) == pairs(f, q) for q in range(len(a[0]) - 1))
                   for a, f in zip(answers, floor, strict=True))

    seconds, blocked = _timed(lambda b: _blocked(b, codes), query_batches)
    out = {"blocked_brute_force": {"codes_a_block": BLOCK, "queries_per_second": round(queries / seconds),
                                   "equals_index_binary_flat": same(blocked), "extra_memory_mb": 0}}
    before = status_mb()["RssAnon"]
    start = time.perf_counter()
    multi = faiss.IndexBinaryMultiHash(256, 16, 16)
    multi.nflip = 1
    multi.add(np.ascontiguousarray(codes))
    build = time.perf_counter() - start
    grown = status_mb()["RssAnon"] - before
    seconds, answers = _timed(lambda b: multi.range_search(b, RADIUS), query_batches)
    out["multi_hash_16x16_nflip1"] = {"build_seconds": round(build, 1), "rss_anon_growth_mb": round(grown, 1),
                                      "queries_per_second": round(queries / seconds),
                                      "equals_index_binary_flat": same(answers)}
    multi.reset()
    return out
