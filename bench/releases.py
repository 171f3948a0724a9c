"""Release builds at scale: load N approved signatures, publish, change 1%, publish again."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection

from core.actors import SYSTEM

ROOT = Path(__file__).resolve().parent.parent
SIGNATURES_PER_ITEM = 4  # every item carries four signatures; which four depends on its kind (_signatures_of)


def _media_type(n: int) -> str:
    return "video" if n % 10 == 0 else "image"


def _signatures_of(n: int, seed: bytes) -> list[tuple[str, str, int | None]]:
    """Synthetic values in canonical form, so every format has rows at scale: one item in ten is a
    video with a vPDQ value; half the images carry PhotoDNA (instead of SHA-1)."""
    md5, sha256 = hashlib.md5(seed).hexdigest(), hashlib.sha256(seed).hexdigest()  # noqa: S324 - synthetic
    if _media_type(n) == "video":
        frames = [f"{hashlib.sha256(seed + bytes([k])).hexdigest()},90,{k:.3f}" for k in range(5)]
        vpdq = json.dumps(frames, separators=(",", ":"))
        return [("md5", md5, None), ("sha1", hashlib.sha1(seed).hexdigest(), None), ("sha256", sha256, None),  # noqa: S324
                ("vpdq", vpdq, None)]
    pdq = ("pdq", hashlib.sha256(b"pdq" + seed).hexdigest(), 90)
    if n % 2 == 0:
        photodna = base64.b64encode((hashlib.sha512(seed).digest() * 3)[:144]).decode()
        return [("md5", md5, None), ("sha256", sha256, None), pdq, ("photodna", photodna, None)]
    return [("md5", md5, None), ("sha1", hashlib.sha1(seed).hexdigest(), None), ("sha256", sha256, None), pdq]  # noqa: S324


def _people():
    from bench.benchmarks import _people as people

    return people()


def _reviewers():
    from accounts.models import Organisation, Role, User
    from accounts.services import organisation_create, user_create

    found = []
    for n in range(3):
        name = f"Bench Review Unit {n}"
        org = Organisation.objects.filter(name=name).first() or organisation_create(
            actor=SYSTEM, name=name, country="DE", kind="law_enforcement")
        user = User.objects.filter(username=f"bench-reviewer-{n}").first() or user_create(
            actor=SYSTEM, username=f"bench-reviewer-{n}", organisation=org, roles=[Role.REVIEWER])
        found.append(user)
    return found


def _copy_rows(table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def load_approved(count_items: int, *, offset: int = 0) -> list[str]:
    """Insert approved items with four synthetic signatures each (_signatures_of), straight into the tables."""
    from curation.models import CriteriaSet, Signature, Submission

    user = _people()
    criteria = CriteriaSet.objects.get(is_active=True)
    now = "2026-01-01 00:00:00+00"
    numbers = [offset + n + 1 for n in range(count_items)]
    ids = [str(uuid.UUID(int=number)) for number in numbers]
    _copy_rows(Submission._meta.db_table,
               ["id", "status", "media_type", "external_reference", "note", "submitter_id", "organisation_id",
                "criteria_set_id", "required_agreements", "series", "created_at", "decided_at",
                "retraction_reason", "hold_reason"],
               ((str(uuid.UUID(int=number)), "approved", _media_type(number), "BENCH", "", user.pk,
                 user.organisation_id, criteria.pk, 3, "", now, now, "", "") for number in numbers))

    def signatures():
        for number in numbers:
            i = str(uuid.UUID(int=number))
            for algorithm, value, quality in _signatures_of(number, i.encode()):
                yield i, algorithm, value, hashlib.sha256(value.encode()).hexdigest(), quality, True

    _copy_rows(Signature._meta.db_table, ["submission_id", "algorithm", "value", "value_digest", "quality", "active"],
               signatures())
    from curation.models import Review

    reviewers = _reviewers()
    _copy_rows(Review._meta.db_table,
               ["submission_id", "reviewer_id", "organisation_id", "verdict", "answers", "comment", "created_at"],
               ((i, r.pk, r.organisation_id, "agree", '{"real_child": true, "sexual_abuse": true, "under_13": true}',
                 "", now) for i in ids for r in reviewers))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids


def build_in_child(release_id: int) -> dict:
    env = dict(os.environ)
    command = [sys.executable, str(ROOT / "bench" / "build_child.py"), str(release_id)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    return json.loads(result.stdout.strip().splitlines()[-1])


def publish_measured() -> dict:
    from django.db import transaction

    from curation.models import Release
    from curation.releases.services import _next_release

    with transaction.atomic():  # as release_request does, minus queueing: the child builds it
        release = _next_release(None, "bench")
    figures = build_in_child(release.pk)
    release = Release.objects.get(pk=release.pk)
    figures.update(version=release.version, item_count=release.item_count, added=release.added,
                   removed=release.removed,
                   bytes={f.format: f.size for f in release.files.all()})
    return figures


def _copy_seconds(sql: str) -> float:
    start = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for _ in copy:
            pass
    return round(time.perf_counter() - start, 2)


def copy_floor(version: int) -> float:
    """A plain COPY of the csv rows to nowhere: the floor a build could reach for one file."""
    return copy_floors(version, only=("csv",))["csv"]


def copy_floors(version: int, only: tuple[str, ...] | None = None) -> dict[str, float]:
    """Per format, PostgreSQL's `COPY (SELECT …) TO STDOUT` of the rows the file is rendered from,
    in the same order: what the database alone costs, beside what the build took."""
    from baseline_client.hashing.signatures import ALGORITHMS

    from curation.models import Listing, Signature, Submission

    m, s, i = Listing._meta.db_table, Signature._meta.db_table, Submission._meta.db_table
    v = int(version)
    members = f"m.list = 'baseline' AND m.entered_version <= {v} AND (m.left_version IS NULL OR m.left_version > {v})"
    joined = f"FROM {m} m JOIN {i} i ON i.id = m.submission_id JOIN {s} s ON s.submission_id = m.submission_id"
    rows = (f"SELECT m.submission_id, i.media_type, s.algorithm, s.value, m.added_in_version {joined} "
            f"WHERE {members} AND s.algorithm <> 'photodna' ORDER BY m.submission_id, s.algorithm COLLATE \"C\"")
    queries = {"csv": rows, "json": rows}
    for algorithm in ALGORITHMS:
        queries[algorithm] = (f"SELECT s.value FROM {m} m JOIN {s} s ON s.submission_id = m.submission_id "  # noqa: S608
                              f"WHERE {members} AND s.algorithm = '{algorithm}' ORDER BY s.value COLLATE \"C\"")
    queries["threatexchange"] = (f"SELECT s.algorithm, s.value {joined} WHERE {members} "
                                 "AND s.algorithm IN ('pdq', 'md5', 'vpdq') "
                                 "ORDER BY s.algorithm COLLATE \"C\", s.value COLLATE \"C\"")
    queries["vics"] = (f"SELECT m.submission_id, s.algorithm, s.value {joined} WHERE {members} "
                       "AND s.algorithm IN ('md5', 'sha1', 'photodna') ORDER BY m.submission_id")
    return {name: _copy_seconds(f"COPY ({sql}) TO STDOUT")
            for name, sql in queries.items() if only is None or name in only}


def change_one_percent(ids: list[str], offset: int) -> dict:
    """Retract 1% of the listed items and approve as many new ones."""
    from curation.models import Signature, Submission

    n = len(ids) // 100
    start = time.perf_counter()
    retract = ids[:: 100][:n]
    Submission.objects.filter(pk__in=retract).update(status="retracted", retraction_reason="bench")
    Signature.objects.filter(submission_id__in=retract).update(active=False)
    load_approved(n, offset=offset)
    return {"retracted": len(retract), "approved": n, "seconds": round(time.perf_counter() - start, 2)}


def bench_release(signatures: int) -> dict:
    from curation.models import (
        Download,
        Listing,
        Release,
        ReleaseDelta,
        ReleaseFile,
        Review,
        Signature,
        Submission,
    )

    tables = [model._meta.db_table for model in (Download, ReleaseDelta, ReleaseFile, Listing, Release,
                                                 Review, Signature, Submission)]
    with connection.cursor() as cursor:  # each size starts from an empty list
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    items = signatures // SIGNATURES_PER_ITEM
    offset = {100_000: 10_000_000, 1_000_000: 20_000_000}.get(signatures, 30_000_000)
    start = time.perf_counter()
    ids = load_approved(items, offset=offset)
    load = round(time.perf_counter() - start, 2)
    first = publish_measured()
    floor = copy_floor(first["version"])
    floors = copy_floors(first["version"])
    change = change_one_percent(ids, offset + items)
    second = publish_measured()
    return {
        "signatures": signatures, "load_seconds": load, "first_build": first,
        "copy_floor_csv_seconds": floor, "copy_floor_seconds": {**floors, "all": round(sum(floors.values()), 2)},
        "change": change, "second_build": second,
        "targets": "each build under 90 s, peak RSS under 300 MB, RSS flat with list size",
    }
