"""The benchmarks `make bench` runs. Each returns a dict of figures."""

from __future__ import annotations

import hashlib
import os
import resource
import tempfile
from io import StringIO
from pathlib import Path

from bench.run import Timer, peak_rss_mb
from core.actors import SYSTEM

IMPORT_ROWS = 100_000


def _people():
    from accounts.models import Organisation, Role
    from accounts.services import organisation_create, user_create

    org = Organisation.objects.filter(name="Bench Police").first() or organisation_create(
        actor=SYSTEM, name="Bench Police", country="GB", kind="law_enforcement"
    )
    from accounts.models import User

    user = User.objects.filter(username="bench-investigator").first() or user_create(
        actor=SYSTEM, username="bench-investigator", organisation=org, roles=[Role.INVESTIGATOR]
    )
    return user


def bench_import(rows: int = IMPORT_ROWS) -> dict:
    """import_candidates on `rows` rows: half as many items of md5 + sha256 each, into an empty list.
    Besides the wall time, the CPU time of this process (Python) and of its PostgreSQL backend, and
    the load average, since a busy machine stretches the wall time but not those."""
    from django.core.management import call_command
    from django.db import connection

    from core.models import AuditEntry
    from curation.models import Submission

    _people()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "candidates.csv"
        with path.open("w") as out:
            out.write("item_key,media_type,algorithm,value,external_reference\n")
            for n in range(rows // 2):
                seed = f"bench-import-{rows}-{n}".encode()  # one size's values clash with no other's
                out.write(f"k{n},image,md5,{hashlib.md5(seed).hexdigest()},REF-{n}\n")  # noqa: S324
                out.write(f"k{n},image,sha256,{hashlib.sha256(seed).hexdigest()},REF-{n}\n")
        backend = _backend_cpu(connection)
        items_before, entries_before = Submission.objects.count(), AuditEntry.objects.count()
        load_before, python_before, backend_before = os.getloadavg()[0], _own_cpu(), backend()
        with Timer() as t:
            call_command("import_candidates", str(path), "--submitter", "bench-investigator", stdout=StringIO())
        python_cpu, backend_cpu = _own_cpu() - python_before, backend() - backend_before
    return {
        "rows": rows,
        "items_created": Submission.objects.count() - items_before,
        "audit_entries": AuditEntry.objects.count() - entries_before,
        "seconds": round(t.seconds, 2),
        "rows_per_second": round(rows / t.seconds),
        "python_cpu_seconds": round(python_cpu, 1),
        "postgres_backend_cpu_seconds": round(backend_cpu, 1),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "target": f"{rows:,} rows in at most {rows * 120 // 1_000_000} s (1M rows in 2 minutes)",
    }


def bench_import_large() -> dict:
    return bench_import(1_000_000)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_cpu(connection):
    """A reader of the CPU seconds of this connection's PostgreSQL backend (a local server's /proc);
    one that reads nothing when the server is elsewhere."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def read() -> float:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return read


def bench_release_small() -> dict:
    from bench.releases import bench_release

    return bench_release(100_000)


def bench_release_large() -> dict:
    from bench.releases import bench_release

    return bench_release(1_000_000)


def bench_images() -> dict:
    from bench.images import bench_images as images

    return images()


def bench_search() -> dict:
    from bench.search import bench_search as search

    return search()


def bench_release_10m() -> dict:
    from bench.releases import bench_release

    return bench_release(10_000_000)


def bench_membership() -> dict:
    from bench.membership import bench_membership as membership

    return membership()


def bench_queue_small() -> dict:
    from bench.review_queue import bench_queue

    return bench_queue(10_000)


def bench_queue_large() -> dict:
    from bench.review_queue import bench_queue

    return bench_queue(1_000_000)


def bench_video() -> dict:
    from bench.long_video import bench_video as video

    return video()


def bench_scan() -> dict:
    from bench.scan import bench_scan as scan

    return scan()


def bench_match_small() -> dict:
    from bench.matching import bench_match as match

    return match(100_000)


def bench_match_large() -> dict:
    from bench.matching import bench_match as match

    return match(1_000_000)


def bench_match_10m() -> dict:
    from bench.match_10m import bench_match_10m as match

    return match()


def bench_match_vpdq() -> dict:
    from bench.match_vpdq import bench_match_vpdq as match

    return match()


def bench_match_fresh() -> dict:
    from bench.match_fresh import bench_match_fresh as match

    return match()


def bench_match() -> dict:
    """Issue 15 item 8 as one result: PDQ at 1M (real build) and 10M (synthetic index), memory per
    host at 10M, vPDQ at 3M frames, and publication to matchable on a running server."""
    return {"pdq-1m": bench_match_large(), "pdq-10m": bench_match_10m(), "vpdq": bench_match_vpdq(),
            "fresh": bench_match_fresh()}


ALL = {"import": bench_import, "import-1m": bench_import_large, "release-100k": bench_release_small,
       "release-1m": bench_release_large, "release-10m": bench_release_10m, "images": bench_images,
       "search-1m": bench_search, "membership-1m": bench_membership, "queue-10k": bench_queue_small,
       "queue-1m": bench_queue_large, "video": bench_video,
       "match-100k": bench_match_small, "match-1m": bench_match_large, "match-10m": bench_match_10m,
       "match-vpdq": bench_match_vpdq, "match-fresh": bench_match_fresh, "match": bench_match,
       "scan": bench_scan}
# `make bench` without BENCH: all but the 10M build (tens of minutes; `make bench BENCH=release-10m`) and the
# 10-minute 1080p video (about five minutes, and ten more to encode it the first time; `make bench BENCH=video`).
# Matching is run by name: `BENCH=match` runs issue 15's whole set (match-1m, match-10m, match-vpdq and
# match-fresh, about 25 minutes, one result); each runs alone too, and `match-100k` is the 100,000-item PDQ run.
LONG = ("release-10m", "video", "match-100k", "match-1m", "match-10m", "match-vpdq", "match-fresh", "match")
DEFAULT = [name for name in ALL if name not in LONG]
