"""`POST match/` (DESIGN.md section 9): queries matched against the latest published release of each
list the caller may match, through the loaded indexes (curation/matching/loaded.py).

Exact algorithms match the canonical value; PDQ by Hamming distance, brute force over the memory-
mapped codes (curation/matching/hamming.py: exactly what faiss's `IndexBinaryFlat` returns); a vPDQ
query is compared (curation/matching/vpdq.py) with every listed video
one of whose frames lies within distance 31 of one of its frames, the only videos that can match.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from baseline_client.hashing import signatures
from baseline_client.matching import frames, hamming, vpdq
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import audit
from core.actions import AuditAction
from core.actors import SYSTEM
from core.errors import DomainError
from curation import permissions
from curation.matching import loaded
from curation.models import FeedName, Sighting

LISTS = ("baseline",)
MAX_QUERIES = 1000
MAX_VPDQ_FRAMES = 20_000
MAX_MATCHES = 100
DEFAULT_PDQ_DISTANCE = signatures.PDQ_MATCH_DISTANCE


@dataclass(frozen=True)
class Query:
    algorithm: str
    value: str  # canonical


def feed_of(algorithm: str) -> str:
    return FeedName.PHOTODNA if algorithm == "photodna" else FeedName.STANDARD


def matchable_algorithms(user) -> set[str]:
    """What the caller may match: curators and investigators everything; a partner what its feeds hold."""
    if permissions.may_match_every_list(user):
        return set(signatures.ALGORITHMS)
    feeds = permissions.entitled_feeds(user)
    return {a for a in signatures.ALGORITHMS if feed_of(a) in feeds}


def parse(rows: list[dict], user) -> list[Query]:
    """Normalised queries; DomainError 400 naming each bad query's index, 403 naming a feed not held."""
    errors: dict[str, dict[str, list[str]]] = {}
    queries, frames = [], 0
    allowed = matchable_algorithms(user)
    for number, row in enumerate(rows):
        algorithm, value = row.get("algorithm"), row.get("value")
        if algorithm not in signatures.ALGORITHMS:
            errors[str(number)] = {"algorithm": [f"query {number}: unknown algorithm {algorithm!r}; expected one "
                                                 f"of {', '.join(signatures.ALGORITHMS)}."]}
            continue
        if not isinstance(value, str):
            errors[str(number)] = {"value": [f"query {number}: a {algorithm} value is a string."]}
            continue
        try:
            canonical = signatures.normalise(algorithm, value)
        except signatures.SignatureError as exc:
            errors[str(number)] = {"value": [f"query {number}: {exc}"]}
            continue
        if algorithm == "vpdq":
            frames += len(json.loads(canonical))
        queries.append(Query(algorithm, canonical))
    if errors:
        raise DomainError("Some queries are malformed.", code="invalid", kind="invalid",
                          extra={"errors": {"signatures": errors}})
    if frames > MAX_VPDQ_FRAMES:
        raise DomainError(f"The vPDQ queries hold {frames:,} frames; at most {MAX_VPDQ_FRAMES:,} a call.",
                          code="invalid", kind="invalid",
                          extra={"errors": {"signatures": [f"at most {MAX_VPDQ_FRAMES:,} vPDQ frames a call"]}})
    for number, query in enumerate(queries):
        if query.algorithm not in allowed:
            feed = feed_of(query.algorithm)
            raise DomainError(f"Query {number} is {signatures.ALGORITHMS[query.algorithm].label}, which only the "
                              f"{feed} feed matches; your organisation does not hold it.",
                              code="feed_not_held", kind="forbidden")
    return queries


def match(user, queries: list[Query], *, pdq_max_distance: int = DEFAULT_PDQ_DISTANCE,
          vpdq_min_coverage: float = vpdq.DEFAULT_THRESHOLD) -> dict:
    """{"releases": {list: version}, "results": [{"query", "matches"}]} for already parsed queries;
    a partner's call that matched records its sightings."""
    answer = _search(queries, pdq_max_distance, vpdq_min_coverage)
    if permissions.records_sightings(user):
        sightings_record(user, queries, answer["results"])
    return answer


def sightings_record(user, queries: list[Query], results: list[dict]) -> int:
    """Per organisation, UTC day and matched item, the distinct values that matched it (never a
    query that matched nothing), with one audit entry for the call; the number of new rows."""
    day = timezone.now().date()
    rows = {(match_["item_id"], query.algorithm, hashlib.sha256(query.value.encode()).hexdigest())
            for query, result in zip(queries, results, strict=True) for match_ in result["matches"]}
    if not rows:
        return 0
    with transaction.atomic():
        before = Sighting.objects.filter(organisation_id=user.organisation_id, day=day).count()
        Sighting.objects.bulk_create([
            Sighting(organisation_id=user.organisation_id, day=day, item_id=item, algorithm=algorithm,
                     value_digest=digest) for item, algorithm, digest in sorted(rows)], ignore_conflicts=True)
        added = Sighting.objects.filter(organisation_id=user.organisation_id, day=day).count() - before
        audit.record(actor=user, action=AuditAction.MATCH_SIGHTING, obj=user.organisation, details={
            "day": day.isoformat(), "items": len({item for item, _, _ in rows}), "new_sightings": added})
    return added


def sightings_purge() -> int:
    """Delete sightings older than BASELINE_SIGHTING_RETENTION_DAYS (a periodic task); the number."""
    cutoff = timezone.now().date() - timedelta(days=settings.BASELINE_SIGHTING_RETENTION_DAYS)
    with transaction.atomic():
        deleted, _ = Sighting.objects.filter(day__lt=cutoff).delete()
        if deleted:
            audit.record(actor=SYSTEM, action=AuditAction.SIGHTING_PURGE, object_type="curation.sighting",
                         details={"before": cutoff.isoformat(), "deleted": deleted})
    return deleted


def _search(queries: list[Query], pdq_max_distance: int, vpdq_min_coverage: float) -> dict:
    indexes = {name: found for name in LISTS if (found := loaded.current(name)) is not None}
    pdq_hits = {name: _pdq_batch(name, index, queries, pdq_max_distance) for name, index in indexes.items()}
    results = []
    for number, query in enumerate(queries):
        matches = []
        for name, index in indexes.items():
            if query.algorithm == "pdq":
                matches.extend(pdq_hits[name].get(number, []))
            else:
                matches.extend(_match_one(name, index, query, pdq_max_distance, vpdq_min_coverage))
        matches.sort(key=_rank)
        results.append({"query": number, "matches": matches[:MAX_MATCHES]})
    return {"releases": {name: index.version for name, index in indexes.items()}, "results": results}


def _rank(found: dict) -> tuple:
    if "distance" in found:
        return (found["distance"], found["item_id"])
    if "query_coverage" in found:
        return (-(found["query_coverage"] + found["listed_coverage"]), found["item_id"])
    return (0, found["item_id"])


def _described(name: str, index: loaded.Loaded, prefix: str, row: int, algorithm: str, value: str) -> dict:
    item_id, media_type, added = index.item(prefix, row)
    return {"list": name, "item_id": item_id, "media_type": media_type, "algorithm": algorithm, "value": value,
            "added_in_version": added}


def _match_one(name: str, index: loaded.Loaded, query: Query, distance: int, coverage: float) -> list[dict]:
    if query.algorithm == "vpdq":
        return _vpdq(name, index, query, distance, coverage)
    found = []
    for row in index.exact(query.algorithm, query.value):
        answer = _described(name, index, query.algorithm, row, query.algorithm, query.value)
        if query.algorithm == "photodna":
            answer["exact_only"] = True
        found.append(answer)
    return found


def _codes(hex_values: list[str]) -> np.ndarray:
    return np.frombuffer(bytes.fromhex("".join(hex_values)), np.uint8).reshape(-1, 32)


def _pdq_batch(name: str, index: loaded.Loaded, queries: list[Query], distance: int) -> dict[int, list[dict]]:
    """Every PDQ query of the call in one faiss search (twice the queries a second of one search
    each, bench `match-1m`): query number -> matches."""
    numbers = [n for n, query in enumerate(queries) if query.algorithm == "pdq"]
    codes, found = index["pdq.codes"], {}
    if not numbers or not len(codes):
        return {}
    lims, distances, rows = hamming.range_search(_codes([queries[n].value for n in numbers]), codes, distance)
    for position, number in enumerate(numbers):
        for d, row in zip(distances[lims[position]:lims[position + 1]], rows[lims[position]:lims[position + 1]],
                          strict=True):
            answer = _described(name, index, "pdq", int(row), "pdq", bytes(codes[row]).hex())
            found.setdefault(number, []).append({**answer, "distance": int(d)})
    return found


def _vpdq(name: str, index: loaded.Loaded, query: Query, distance: int, coverage: float) -> list[dict]:
    listed = frames.Frames(index["vpdq.codes"], index["vpdq.qualities"], index["vpdq.times"], index["vpdq.ends"])
    found = []
    for row, result in frames.matching_videos(vpdq.Video.parse(query.value), listed, threshold=coverage):
        answer = _described(name, index, "vpdq", row, "vpdq", _value_of(listed.video(row)))
        found.append({**answer, **result.as_dict()})
    return found


def _value_of(video: vpdq.Video) -> str:
    frames = [f"{h.astype('>u8').tobytes().hex()},{int(q)},{signatures.vpdq_timestamp(repr(float(t)))}"
              for h, q, t in zip(video.hashes, video.qualities, video.times, strict=True)]
    return json.dumps(frames, separators=(",", ":"))
