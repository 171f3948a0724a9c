"""A curator's search by hash value at 1M signatures: whole value, an 8-character prefix (the prefix
index), and PDQ near values (a scan of the PDQ rows with bit_count)."""

from __future__ import annotations

import statistics
import time

from django.db import connection

SIGNATURES = 1_000_000


def _timed(run, repeat: int = 5) -> dict:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        found = run()
        seconds.append(time.perf_counter() - start)
    return {"median_ms": round(statistics.median(seconds) * 1000, 1), "max_ms": round(max(seconds) * 1000, 1),
            "found": found}


def bench_search() -> dict:
    from bench.releases import SIGNATURES_PER_ITEM, load_approved
    from curation.models import Signature
    from curation.submissions import selectors

    with connection.cursor() as cursor:  # starts from an empty list, as the release benchmarks do
        cursor.execute("TRUNCATE curation_download, curation_releasedelta, curation_releasefile, "
                       "curation_listing, curation_release, curation_review, curation_signature, "
                       "curation_submission CASCADE")
    load_approved(SIGNATURES // SIGNATURES_PER_ITEM, offset=40_000_000)
    sha256 = Signature.objects.filter(algorithm="sha256").values_list("value", flat=True).first()
    pdq = Signature.objects.filter(algorithm="pdq").values_list("value", flat=True).first()
    pdq_rows = Signature.objects.filter(algorithm="pdq").count()
    return {
        "signatures": Signature.objects.count(),
        "pdq_rows": pdq_rows,
        "whole_value": _timed(lambda: len(list(selectors.items_with_value(sha256)))),
        "prefix_8": _timed(lambda: len(list(selectors.items_with_value(sha256[:8])))),
        "pdq_near_31": _timed(lambda: len(selectors.pdq_near(pdq))),
        "note": ("pdq_near scans every PDQ row; its time grows with their number (at this mix 10M "
                 "signatures hold 2.25M: about ten times the figure here)"),
    }
