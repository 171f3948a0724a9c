"""PDQ matching at 100k and 1M items (`match-100k`, `match-1m`): N approved items loaded into
PostgreSQL, a release published for real (its match index file written by the build), then
`POST /api/v1/match/` in process in batches of 1,000 PDQ queries, each figure beside its floor.

The floor is faiss's `IndexBinaryFlat.range_search` (radius 32, as the matcher's) of the same query
batches on the same codes, in this process: what brute force alone costs, with no HTTP, parsing,
serialising, throttling or sighting records around it.

Also the helpers the other matching benches share (bench/match_10m.py, match_vpdq.py,
match_fresh.py, match_child.py): the partner client, the throttle overrides, the query batches, the
POST and the per-process memory figures of /proc.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from django.db import connection

from core.actors import SYSTEM

BATCH = 1000
BATCHES = 5
RADIUS = 32  # range_search keeps distances < radius: matches at <= 31
MB = 1024 * 1024
UNLIMITED = "1000000000/hour"


def status_mb(pid: int | str = "self") -> dict[str, float]:
    """VmRSS, RssAnon (the process's own memory) and RssFile (file pages it maps, such as the index
    file's, shared by every process of the host) in MB, from /proc/PID/status."""
    wanted = ("VmRSS", "RssAnon", "RssFile")
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name = line.split(":")[0]
        if name in wanted:
            found[name] = round(int(line.split()[1]) / 1024, 1)
    return found


def smaps_mb(pid: int | str = "self", path: Path | None = None) -> dict[str, float]:
    """The process's /proc/PID/smaps_rollup (Rss, Pss, Shared_Clean, Private_*, Anonymous) in MB, or
    with `path` the same fields summed over the mappings of that one file (/proc/PID/smaps)."""
    wanted = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty", "Anonymous")
    totals = dict.fromkeys(wanted, 0.0)
    source = "smaps" if path is not None else "smaps_rollup"
    inside = path is None
    for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
        fields = line.split()
        if path is not None and not line.endswith(" kB") and len(fields) >= 5:  # a mapping's header line
            inside = fields[-1] == str(path)
            continue
        name = fields[0].rstrip(":")
        if inside and name in totals:
            totals[name] += int(fields[1]) / 1024
    return {name: round(value, 1) for name, value in totals.items()}


def resident_mb(index) -> dict[str, float]:
    """Per array of a loaded index, the MB of its pages mapped into this process (the present bit of
    /proc/self/pagemap): which parts of the file a process has touched, or had mapped around a touch."""
    page = os.sysconf("SC_PAGE_SIZE")
    out = {}
    with open("/proc/self/pagemap", "rb") as pagemap:
        for name, array in index.arrays.items():
            if array.nbytes:
                start = array.__array_interface__["data"][0]
                first, last = start // page, (start + array.nbytes - 1) // page
                pagemap.seek(first * 8)
                present = np.frombuffer(pagemap.read((last - first + 1) * 8), "<u8") >> np.uint64(63)
                out[name] = round(int(present.sum()) * page / MB, 1)
    return out


def empty_list() -> None:
    from curation.models import Download, Listing, Release, ReleaseDelta, ReleaseFile, Review, Signature, Submission

    tables = [model._meta.db_table for model in (Download, ReleaseDelta, ReleaseFile, Listing, Release,
                                                 Review, Signature, Submission)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


_tokens: list[str] = []


def partner_token() -> str:
    """An API token of a partner holding the `standard` feed (one a run: a user holds at most five)."""
    if _tokens:
        return _tokens[0]
    from accounts.models import Organisation, Role, User
    from accounts.services import organisation_create, token_create, user_create
    from curation.releases.services import feed_grant

    org = Organisation.objects.filter(name="Bench Networks").first() or organisation_create(
        actor=SYSTEM, name="Bench Networks", country="SE", kind=Organisation.Kind.PARTNER)
    user = User.objects.filter(username="bench-partner").first() or user_create(
        actor=SYSTEM, username="bench-partner", organisation=org, roles=[Role.PARTNER])
    feed_grant(actor=SYSTEM, organisation=org, feed_name="standard")
    _tokens.append(token_create(actor=SYSTEM, user=user, name="bench")[1])
    return _tokens[0]


def partner_client(token: str | None = None):
    """The partner, through DRF's APIClient with a real token."""
    from rest_framework.test import APIClient

    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token or partner_token()}")
    return client


@contextmanager
def api_settings(index_dir: str):
    """No throttling in the way of the bench's calls; this host's index files in `index_dir`; no
    re-check of the latest release during a run."""
    from django.conf import settings
    from django.test import override_settings

    rates = {"token": UNLIMITED, "user": UNLIMITED, "anon": "120/hour"}
    framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    with override_settings(BASELINE_MATCH_QUERY_RATE=UNLIMITED, REST_FRAMEWORK=framework,
                           BASELINE_MATCH_INDEX_DIR=index_dir, BASELINE_MATCH_CHECK_SECONDS=3600):
        yield


def batches(codes: np.ndarray, count: int, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """`count` batches of BATCH codes, half a listed code with 0..31 of its bits flipped, half
    random; and the rows of the listed codes they were made from."""
    out, origins = [], []
    for _ in range(count):
        rows = np.sort(rng.integers(0, len(codes), BATCH // 2))
        origins.append(rows)
        near = np.asarray(codes[rows]).copy()
        bits = np.unpackbits(near, axis=1)
        for row, flips in zip(bits, rng.integers(0, RADIUS, len(near)), strict=True):
            row[rng.choice(256, size=flips, replace=False)] ^= 1
        near = np.packbits(bits, axis=1)
        random = rng.integers(0, 256, size=(BATCH - len(near), 32), dtype=np.uint8)
        batch = np.concatenate([near, random])
        out.append(np.ascontiguousarray(batch[rng.permutation(len(batch))]))
    return out, np.concatenate(origins)


def warm_up(client) -> None:
    """A refused call (an unknown algorithm): the request path's imports and connections, without
    loading any index, so memory measured after it is the index's and the queries'."""
    response = client.post("/api/v1/match/", {"signatures": [{"algorithm": "none", "value": ""}]}, format="json",
                           secure=True)
    if response.status_code != 400:
        raise RuntimeError(f"POST match/ answered {response.status_code} to an unknown algorithm")


def post(client, signatures: list[dict]) -> dict:
    response = client.post("/api/v1/match/", {"signatures": signatures}, format="json", secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"POST match/ answered {response.status_code}: {response.content[:300]!r}")
    return response.json()


def post_pdq(client, batch: np.ndarray) -> list[set[tuple[str, int]]]:
    """POST one batch of PDQ queries: per query, the (item id, distance) of its matches."""
    body = [{"algorithm": "pdq", "value": bytes(code).hex()} for code in batch]
    return [{(m["item_id"], m["distance"]) for m in result["matches"]} for result in post(client, body)["results"]]


def found_by(index, lims: np.ndarray, distances: np.ndarray, rows: np.ndarray) -> list[set]:
    """A range search's answer as post_pdq gives the API's: per query, (item id, distance)."""
    return [{(index.item("pdq", int(row))[0], int(d))
             for d, row in zip(distances[lims[q]:lims[q + 1]], rows[lims[q]:lims[q + 1]], strict=True)}
            for q in range(len(lims) - 1)]


def bench_match(items: int, batches_: int = BATCHES) -> dict:
    import tempfile

    import faiss

    from bench.releases import load_approved, publish_measured
    from curation.matching import loaded
    from curation.models import Release

    empty_list()
    offset = {100_000: 40_000_000, 1_000_000: 50_000_000}.get(items, 60_000_000)
    start = time.perf_counter()
    load_approved(items, offset=offset)
    load_seconds = round(time.perf_counter() - start, 2)
    build = publish_measured()
    release = Release.objects.get(list="baseline", version=build["version"])
    if release.status != Release.Status.PUBLISHED or not release.match_index_path:
        raise RuntimeError(f"release {release.version} is {release.status}, index {release.match_index_path!r}")
    client = partner_client()
    with tempfile.TemporaryDirectory() as index_dir, api_settings(index_dir):
        loaded.forget()
        before = status_mb()
        start = time.perf_counter()
        index = loaded.current("baseline")  # fetches the file to this host's directory, checks it, maps it
        load = time.perf_counter() - start
        after = status_mb()
        file_bytes = Path(loaded.local_copy(release.match_index_path, release.match_index_sha256)).stat().st_size
        codes = np.asarray(index["pdq.codes"])
        query_batches, _ = batches(codes, batches_ + 1, np.random.default_rng(items))

        post_pdq(client, query_batches[0])  # warm-up: first request's imports, caches, connections
        start = time.perf_counter()
        api = [post_pdq(client, batch) for batch in query_batches[1:]]
        api_seconds = time.perf_counter() - start

        floor = faiss.IndexBinaryFlat(256)  # the brute-force reference, on its own copy of the codes
        floor.add(np.ascontiguousarray(codes))
        floor.range_search(query_batches[0], RADIUS)
        start = time.perf_counter()
        answers = [floor.range_search(batch, RADIUS) for batch in query_batches[1:]]
        floor_seconds = time.perf_counter() - start
        start = time.perf_counter()  # one range_search a query, as services._pdq once called it
        for batch in query_batches[1:]:
            for k in range(len(batch)):
                floor.range_search(batch[k:k + 1], RADIUS)
        single_seconds = time.perf_counter() - start
        floor_found = [found_by(index, *answer) for answer in answers]
        loaded.forget()

    queries = BATCH * batches_
    return {
        "items": items,
        "pdq_codes": len(codes),
        "load_seconds": load_seconds,
        "build": build,
        "index_file_mb": round(file_bytes / MB, 1),
        "index_pdq_codes_mb": round(codes.nbytes / MB, 1),
        "index_load_seconds": round(load, 2),
        "index_load_rss_growth_mb": {name: round(after[name] - before[name], 1) for name in after},
        "batches": batches_, "queries_per_batch": BATCH,
        "api_queries_per_second": round(queries / api_seconds),
        "floor_batched_range_search_queries_per_second": round(queries / floor_seconds),
        "floor_one_query_a_call_queries_per_second": round(queries / single_seconds),
        "matches": {"api": sum(len(m) for b in api for m in b), "floor": sum(len(m) for b in floor_found for m in b),
                    "api_equals_floor": api == floor_found},
        "targets": ">= 1,000 queries/s at 1M items, >= 300 at 10M; index memory per host <= 400 MB at 10M",
    }
