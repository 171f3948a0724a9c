"""A second matching process for `match-10m` (bench/match_10m.py): loads the latest release's index
from the same host directory (the file the first process fetched, so this one maps it as it lies)
and POSTs the given query batches through the API; prints "READY" and its figures as JSON, then
waits for a line on stdin before it ends, so the first process can read both processes' memory
while both map the file.

Usage: match_child.py INDEX_DIR TOKEN QUERIES.npy (Django set up from the parent's environment,
as bench/build_child.py)."""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

import numpy as np  # noqa: E402

from bench.matching import api_settings, partner_client, post_pdq, resident_mb, status_mb, warm_up  # noqa: E402
from curation.matching import loaded  # noqa: E402

index_dir, token, queries = sys.argv[1:4]
client = partner_client(token)
with api_settings(index_dir):
    warm_up(client)
    idle = status_mb()
    start = time.perf_counter()
    index = loaded.current("baseline")
    load_seconds = time.perf_counter() - start
    after_load = status_mb()
    batches = np.load(queries)
    start = time.perf_counter()
    matches = sum(len(m) for batch in batches for m in post_pdq(client, batch))
    seconds = time.perf_counter() - start
    print("READY " + json.dumps({
        "index_load_seconds": round(load_seconds, 2), "queries": int(batches.shape[0] * batches.shape[1]),
        "api_queries_per_second": round(batches.shape[0] * batches.shape[1] / seconds), "matches": matches,
        "idle": idle, "after_load": after_load, "after_queries": status_mb(),
        "index_pages_mapped_mb": resident_mb(index)}), flush=True)
    sys.stdin.readline()
