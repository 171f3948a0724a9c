"""PDQ matching at scale: N approved items, a release published for real (its match index file
written by the build), then `POST /api/v1/match/` in process, each figure beside its floor.

The floor is faiss's `IndexBinaryFlat.range_search` (radius 32, as the matcher's) of the same query
batches on the same codes, in this process: what brute force alone costs, with no HTTP, parsing,
serialising, throttling or sighting records around it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from django.db import connection

from bench.releases import load_approved, publish_measured
from core.actors import SYSTEM

BATCH = 1000
BATCHES = 5
RADIUS = 32  # range_search keeps distances < radius: matches at <= 31
MB = 1024 * 1024


def _status_mb() -> dict[str, float]:
    """VmRSS, RssAnon (this process's own memory) and RssFile (the memory-mapped index file's pages,
    shared by every process of the host) in MB."""
    wanted = ("VmRSS", "RssAnon", "RssFile")
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name = line.split(":")[0]
        if name in wanted:
            found[name] = int(line.split()[1]) / 1024
    return found


def _empty_list() -> None:
    from curation.models import Download, Listing, Release, ReleaseDelta, ReleaseFile, Review, Signature, Submission

    tables = [model._meta.db_table for model in (Download, ReleaseDelta, ReleaseFile, Listing, Release,
                                                 Review, Signature, Submission)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def _partner_client():
    """A partner with the `standard` feed, through DRF's APIClient with a real token."""
    from rest_framework.test import APIClient

    from accounts.models import Organisation, Role, User
    from accounts.services import organisation_create, token_create, user_create
    from curation.releases.services import feed_grant

    org = Organisation.objects.filter(name="Bench Networks").first() or organisation_create(
        actor=SYSTEM, name="Bench Networks", country="SE", kind=Organisation.Kind.PARTNER)
    user = User.objects.filter(username="bench-partner").first() or user_create(
        actor=SYSTEM, username="bench-partner", organisation=org, roles=[Role.PARTNER])
    feed_grant(actor=SYSTEM, organisation=org, feed_name="standard")
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(actor=SYSTEM, user=user, name='bench')[1]}")
    return client


def _batches(codes: np.ndarray, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`count` batches of BATCH codes: half a listed code with 0..31 of its bits flipped, half random."""
    out = []
    for _ in range(count):
        near = codes[rng.integers(0, len(codes), BATCH // 2)].copy()
        bits = np.unpackbits(near, axis=1)
        for row, flips in zip(bits, rng.integers(0, RADIUS, len(near)), strict=True):
            row[rng.choice(256, size=flips, replace=False)] ^= 1
        near = np.packbits(bits, axis=1)
        random = rng.integers(0, 256, size=(BATCH - len(near), 32), dtype=np.uint8)
        batch = np.concatenate([near, random])
        out.append(np.ascontiguousarray(batch[rng.permutation(len(batch))]))
    return out


def _post(client, batch: np.ndarray) -> int:
    body = {"signatures": [{"algorithm": "pdq", "value": bytes(code).hex()} for code in batch]}
    response = client.post("/api/v1/match/", body, format="json", secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"POST match/ answered {response.status_code}: {response.content[:300]!r}")
    return sum(len(result["matches"]) for result in response.json()["results"])


def bench_match(items: int, batches: int = BATCHES) -> dict:
    import tempfile

    from django.test import override_settings

    from curation.matching import loaded
    from curation.models import Release

    _empty_list()
    offset = {100_000: 40_000_000, 1_000_000: 50_000_000}.get(items, 60_000_000)
    start = time.perf_counter()
    load_approved(items, offset=offset)
    load_seconds = round(time.perf_counter() - start, 2)
    build = publish_measured()
    release = Release.objects.get(list="baseline", version=build["version"])
    if release.status != Release.Status.PUBLISHED or not release.match_index_path:
        raise RuntimeError(f"release {release.version} is {release.status}, index {release.match_index_path!r}")
    client = _partner_client()
    rates = {"token": "1000000000/hour", "user": "1000000000/hour", "anon": "120/hour"}
    from django.conf import settings

    framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    with tempfile.TemporaryDirectory() as index_dir, override_settings(
            BASELINE_MATCH_QUERY_RATE="1000000000/hour", REST_FRAMEWORK=framework,
            BASELINE_MATCH_INDEX_DIR=index_dir, BASELINE_MATCH_CHECK_SECONDS=3600):
        loaded.forget()
        before = _status_mb()
        start = time.perf_counter()
        index = loaded.current("baseline")  # fetches the file to this host's directory, checks it, maps it
        load = time.perf_counter() - start
        after = _status_mb()
        file_bytes = Path(loaded.local_copy(release.match_index_path, release.match_index_sha256)).stat().st_size
        codes = np.asarray(index.index["pdq.codes"])
        query_batches = _batches(codes, batches + 1, np.random.default_rng(items))

        _post(client, query_batches[0])  # warm-up: first request's imports, caches, connections
        start = time.perf_counter()
        api_matches = [_post(client, batch) for batch in query_batches[1:]]
        api_seconds = time.perf_counter() - start

        import faiss

        floor = faiss.IndexBinaryFlat(256)  # the brute-force reference, on its own copy of the codes
        floor.add(np.ascontiguousarray(codes))
        floor.range_search(query_batches[0], RADIUS)
        start = time.perf_counter()
        floor_matches = [int(floor.range_search(batch, RADIUS)[0][-1]) for batch in query_batches[1:]]
        floor_seconds = time.perf_counter() - start
        start = time.perf_counter()  # one range_search a query, as services._pdq calls it
        for batch in query_batches[1:]:
            for k in range(len(batch)):
                floor.range_search(batch[k:k + 1], RADIUS)
        single_seconds = time.perf_counter() - start
        loaded.forget()

    queries = BATCH * batches
    return {
        "items": items,
        "pdq_codes": len(codes),
        "load_seconds": load_seconds,
        "build": build,
        "index_file_mb": round(file_bytes / MB, 1),
        "index_pdq_codes_mb": round(codes.nbytes / MB, 1),
        "index_load_seconds": round(load, 2),
        "index_load_rss_growth_mb": {name: round(after[name] - before[name], 1) for name in after},
        "batches": batches, "queries_per_batch": BATCH,
        "api_queries_per_second": round(queries / api_seconds),
        "floor_batched_range_search_queries_per_second": round(queries / floor_seconds),
        "floor_one_query_a_call_queries_per_second": round(queries / single_seconds),
        "matches": {"api": sum(api_matches), "floor": sum(floor_matches)},
        "targets": ">= 1,000 queries/s at 1M items, >= 300 at 10M; index memory per host <= 400 MB at 10M",
    }
