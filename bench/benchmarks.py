"""The benchmarks `make bench` runs. Each returns a dict of figures."""

from __future__ import annotations

import hashlib
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


def bench_import() -> dict:
    """import_candidates on 100,000 rows: 50,000 items of md5 + sha256 each."""
    from django.core.management import call_command

    from curation.models import Submission

    _people()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "candidates.csv"
        with path.open("w") as out:
            out.write("item_key,media_type,algorithm,value,external_reference\n")
            for n in range(IMPORT_ROWS // 2):
                seed = f"bench-import-{n}".encode()
                out.write(f"k{n},image,md5,{hashlib.md5(seed).hexdigest()},REF-{n}\n")  # noqa: S324
                out.write(f"k{n},image,sha256,{hashlib.sha256(seed).hexdigest()},REF-{n}\n")
        with Timer() as t:
            call_command("import_candidates", str(path), "--submitter", "bench-investigator", stdout=StringIO())
    items = Submission.objects.count()
    return {
        "rows": IMPORT_ROWS,
        "items_created": items,
        "seconds": round(t.seconds, 2),
        "rows_per_second": round(IMPORT_ROWS / t.seconds),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "target": "100,000 rows in well under 60 s",
    }


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


def bench_queue_small() -> dict:
    from bench.review_queue import bench_queue

    return bench_queue(10_000)


def bench_queue_large() -> dict:
    from bench.review_queue import bench_queue

    return bench_queue(1_000_000)


ALL = {"import": bench_import, "release-100k": bench_release_small, "release-1m": bench_release_large,
       "images": bench_images, "search-1m": bench_search, "queue-10k": bench_queue_small,
       "queue-1m": bench_queue_large}
