"""Membership growth (issue 13 item 1): 30 releases with 1% of the list changing before each, at
1M signatures. Membership is recorded as stays (`Listing`), so its rows grow with the changes, not
with list size × releases; the target is ≤ 1.5 rows per listed item after the 30 releases.

Each release's membership is fixed by the build's own step (`build.snapshot`, the code a real
build runs, triggers included); the files are not rendered (the release benches measure that), and
the release is then marked published as `_publish` would."""

from __future__ import annotations

import time

from django.db import connection, transaction
from django.utils import timezone

from bench.releases import SIGNATURES_PER_ITEM, load_approved

RELEASES = 30


def _release_membership() -> tuple[int, float]:
    from curation.models import Release
    from curation.releases import build
    from curation.releases.services import _next_release

    with transaction.atomic():
        release = _next_release(None, "bench")
    attempt = build.attempt_start(release.pk)
    start = time.perf_counter()
    build.snapshot(release, attempt)
    seconds = time.perf_counter() - start
    Release.objects.filter(pk=release.pk).update(status=Release.Status.PUBLISHED, published_at=timezone.now())
    return release.version, seconds


def bench_membership(signatures: int = 1_000_000) -> dict:
    from curation.models import Listing, Release, Signature, Submission

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE curation_download, curation_releasedelta, curation_releasefile, curation_listing, "
                       "curation_release, curation_review, curation_signature, curation_submission CASCADE")
    items = signatures // SIGNATURES_PER_ITEM
    offset = 40_000_000
    ids = load_approved(items, offset=offset)
    snapshots = [_release_membership()[1]]
    change = items // 100
    for round_ in range(1, RELEASES):
        retract = ids[round_ * change:(round_ + 1) * change]  # a different 1% each time
        Submission.objects.filter(pk__in=retract).update(status="retracted", retraction_reason="bench")
        Signature.objects.filter(submission_id__in=retract).update(active=False)
        load_approved(change, offset=offset + items + round_ * change)
        snapshots.append(_release_membership()[1])
    last = Release.objects.order_by("-version").first()
    rows = Listing.objects.count()
    listed = Listing.objects.members(last.version).count()
    copies = sum(Listing.objects.members(v).count() for v in range(1, last.version + 1))
    return {
        "signatures": signatures, "items": items, "releases": last.version, "changed_per_release": 2 * change,
        "listing_rows": rows, "listed_items": listed, "rows_per_listed_item": round(rows / listed, 3),
        "rows_if_copied_per_release": copies,
        "snapshot_seconds": {"first": round(snapshots[0], 2), "median_later": round(sorted(snapshots[1:])[14], 2),
                             "max_later": round(max(snapshots[1:]), 2)},
        "target": "listing rows <= 1.5 x listed items after 30 releases with 1% change each",
    }
