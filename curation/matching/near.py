"""Near-duplicates (DESIGN.md section 4): items whose PDQ lies within distance 31 of an item's, or
whose vPDQ the item's video compares with as `full` or `clip` (section 8), with the comparison
`POST match/` uses.

- `holding(clean)`: at submission, the rejected items the new signatures are near. Such a
  submission is held, like one repeating a rejected item's signature: one "does not meet" is not
  undone by submitting a re-encoded or cropped copy. Brute force over the stored values of every
  rejected item each time (they are few beside the list; figures in the README).
- `earlier_near(item)`: for curators, every earlier item near this one, listed or not. Items in the
  latest published release come from its loaded index (searched as a match is); every other item
  (not approved, or approved after that release's build began) from its stored values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from baseline_client.hashing import signatures
from baseline_client.matching import frames, hamming, vpdq
from django.db.models import Q, QuerySet

from curation.matching import loaded
from curation.models import Release, Signature, Submission

MAX_DISTANCE = signatures.PDQ_MATCH_DISTANCE
KINDS = ("full", "clip")
LIST = "baseline"
# Statuses whose near copies are held. Items retracted by a dispute join them with disputes
# (DESIGN.md section 11); a curator's retraction is not a "does not meet".
HOLDING_STATUSES = (Submission.Status.REJECTED,)
_PDQ_CHUNK = 200_000  # stored PDQ values compared at a time (6.4 MB of codes)
_VIDEO_CHUNK = 2_000  # stored videos compared at a time


@dataclass(frozen=True)
class Near:
    """One near item and the evidence: a PDQ distance, or a vPDQ comparison."""

    item_id: str
    algorithm: str
    distance: int | None = None
    comparison: vpdq.Comparison | None = None

    def closeness(self) -> tuple:
        if self.distance is not None:
            return (0, self.distance)
        return (1, -(self.comparison.query_coverage + self.comparison.listed_coverage))

    def evidence(self) -> dict:
        if self.distance is not None:
            return {"algorithm": self.algorithm, "distance": self.distance}
        return {"algorithm": self.algorithm, **self.comparison.as_dict()}


def _values(clean: Iterable, algorithm: str) -> list[str]:
    return [s.value for s in clean if s.algorithm == algorithm]


def _chunks(stored: QuerySet, algorithm: str, size: int) -> Iterator[list[tuple]]:
    """(item id, value) of the stored signatures of `algorithm`, `size` at a time."""
    chunk: list[tuple] = []
    for row in stored.filter(algorithm=algorithm).values_list("submission_id", "value").iterator(chunk_size=5_000):
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _codes(values: Iterable[str]) -> np.ndarray:
    return np.frombuffer(bytes.fromhex("".join(values)), np.uint8).reshape(-1, 32)


def _stored_near(queries: list[tuple], stored: QuerySet) -> Iterator[tuple]:
    """(key, Near) for each (key, Clean-like) query near a stored signature."""
    pdq = [(key, s.value) for key, s in queries if s.algorithm == "pdq"]
    if pdq:
        codes = _codes(value for _, value in pdq)
        for chunk in _chunks(stored, "pdq", _PDQ_CHUNK):
            lims, distances, rows = hamming.range_search(codes, _codes(v for _, v in chunk), MAX_DISTANCE)
            for number, (key, _) in enumerate(pdq):
                for at in range(int(lims[number]), int(lims[number + 1])):
                    yield key, Near(str(chunk[rows[at]][0]), "pdq", distance=int(distances[at]))
    videos = [(key, vpdq.Video.parse(s.value)) for key, s in queries if s.algorithm == "vpdq"]
    if videos:
        for chunk in _chunks(stored, "vpdq", _VIDEO_CHUNK):
            listed = frames.Frames.of_values(v for _, v in chunk)
            for key, video in videos:
                for row, result in frames.matching_videos(video, listed, threshold=vpdq.DEFAULT_THRESHOLD, kinds=KINDS):
                    yield key, Near(str(chunk[row][0]), "vpdq", comparison=result)


def _listed_near(clean: Iterable, index: loaded.Loaded) -> Iterator[Near]:
    pdq_values = _values(clean, "pdq")
    if pdq_values and len(index["pdq.codes"]):
        _, distances, rows = hamming.range_search(_codes(pdq_values), index["pdq.codes"], MAX_DISTANCE)
        for distance, row in zip(distances.tolist(), rows.tolist(), strict=True):
            yield Near(index.item("pdq", row)[0], "pdq", distance=distance)
    listed = frames.Frames(index["vpdq.codes"], index["vpdq.qualities"], index["vpdq.times"], index["vpdq.ends"])
    for value in _values(clean, "vpdq"):
        for row, result in frames.matching_videos(vpdq.Video.parse(value), listed,
                                                  threshold=vpdq.DEFAULT_THRESHOLD, kinds=KINDS):
            yield Near(index.item("vpdq", row)[0], "vpdq", comparison=result)


def _closest(found: Iterable[Near]) -> dict[str, Near]:
    """The closest evidence per item."""
    best: dict[str, Near] = {}
    for near in found:
        if near.item_id not in best or near.closeness() < best[near.item_id].closeness():
            best[near.item_id] = near
    return best


def holding(items: dict) -> dict:
    """For new items (key -> their clean signatures), the rejected items each one's PDQ or vPDQ is
    near, newest first, with the closest evidence: key -> [(item, Near)]; keys near none left out.
    One pass over the rejected items' stored values for all of them (a bulk import's batch)."""
    queries = [(key, s) for key, clean in items.items() for s in clean if s.algorithm in ("pdq", "vpdq")]
    if not queries:
        return {}
    found: dict = {}
    for key, near in _stored_near(queries, Signature.objects.filter(submission__status__in=HOLDING_STATUSES)):
        found.setdefault(key, []).append(near)
    best = {key: _closest(nears) for key, nears in found.items()}
    rows = {str(item.pk): item for item in
            Submission.objects.filter(pk__in={pk for per_key in best.values() for pk in per_key})}
    return {key: sorted(((rows[pk], near) for pk, near in per_key.items()),
                        key=lambda pair: (pair[0].created_at, str(pair[0].pk)), reverse=True)
            for key, per_key in best.items()}


def earlier_near(item: Submission) -> list[tuple[Submission, Near]]:
    """Every item created before `item` near one of its signatures, any status, closest first."""
    clean = list(item.signatures.filter(algorithm__in=("pdq", "vpdq")))
    if not clean:
        return []
    stored = Signature.objects.filter(submission__created_at__lt=item.created_at).exclude(submission=item)
    index = loaded.current(LIST)
    found: list[Near] = []
    if index is not None:
        built = Release.objects.filter(list=LIST, version=index.version).values_list("created_at", flat=True).first()
        found.extend(_listed_near(clean, index))
        stored = stored.filter(~Q(submission__status=Submission.Status.APPROVED)
                               | Q(submission__decided_at__gte=built))
    found.extend(near for _, near in _stored_near([(None, s) for s in clean], stored))
    best = _closest(found)
    items = (Submission.objects.filter(pk__in=list(best), created_at__lt=item.created_at).exclude(pk=item.pk)
             .select_related("organisation"))
    return sorted(((near_item, best[str(near_item.pk)]) for near_item in items),
                  key=lambda pair: (pair[1].closeness(), pair[0].created_at))
