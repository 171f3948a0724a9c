"""Synthetic signatures for tests: unique, well-formed values with no relation to any material."""

from __future__ import annotations

import base64
import hashlib
import itertools

_counter = itertools.count(1)


def fake(algorithm: str, seed: int | None = None) -> str:
    n = next(_counter) if seed is None else seed
    digest = hashlib.sha512(f"{algorithm}-{n}".encode()).hexdigest()
    lengths = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
    if algorithm in lengths:
        return digest[: lengths[algorithm]]
    if algorithm == "photodna":
        raw = (hashlib.sha512(f"p{n}".encode()).digest() * 3)[:144]
        return base64.b64encode(raw).decode()
    if algorithm == "vpdq":
        return f'["{digest[:64]},90,0.000","{digest[64:128]},88,1.000"]'
    raise ValueError(algorithm)


def item_payload(media_type: str = "image", algorithms=("md5", "sha256"), **extra) -> dict:
    sigs = [{"algorithm": a, "value": fake(a)} for a in algorithms]
    for sig in sigs:
        if sig["algorithm"] == "pdq":
            sig["quality"] = 90
    return {"media_type": media_type, "signatures": sigs, "external_reference": "ICSE-IMG-0001", **extra}


# CI clones the repository with shared/ beside it, as it is here.
from pathlib import Path  # noqa: E402

from core.actors import SYSTEM  # noqa: E402

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"

YES = {"real_child": True, "under_13": True, "sexual_abuse": True}
NO_UNDER_13 = {"real_child": True, "under_13": False, "sexual_abuse": True}


def make_item(user, **overrides):
    from curation.submissions.services import ItemInput, submission_create

    payload = item_payload(**overrides)
    return submission_create(actor=user, item=ItemInput(**payload))


def agree(item, *reviewers, comment=""):
    from curation.reviews.services import review_record

    for reviewer in reviewers:
        review_record(actor=reviewer, item=item, answers=dict(YES), comment=comment)
    item.refresh_from_db()
    return item


def approved_item(personas, **overrides):
    """An item taken through three real reviews."""
    return agree(make_item(personas.investigator, **overrides), *personas.reviewers[:3])


def publish(actor=SYSTEM, note=""):
    """Request a release and run its build task for real; the published Release."""
    from curation import tasks
    from curation.releases.services import release_request

    release = release_request(actor=actor, note=note)
    tasks.release_build(release.pk)
    release.refresh_from_db()
    return release
