"""Bulk import of items (`import_candidates`): the same validation, duplicate rule and audit as
`submission_create`, in batches of `IMPORT_BATCH` items, each one transaction and one lock of the
audit head (so other writers wait for a batch, never for the whole file).

Each item is validated in Python (normalisation and format checks are per value), and an item
repeating a signature of an earlier item of the file is refused. Then each batch is checked
against the stored signatures and written: on PostgreSQL set-based (COPY into a staging table,
one join, COPY and INSERT … SELECT: staging.py), elsewhere (SQLite, in development) through the
ORM, item by item in Python."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction

from core import audit
from core.errors import DomainError
from curation import permissions
from curation.models import CriteriaSet, Signature, Submission
from curation.notices import services as notices
from curation.submissions import staging
from curation.submissions.services import (
    EarlierLink,
    ItemInput,
    Validated,
    create_changes,
    duplicate_error,
    duplicate_of,
    earlier_link,
    earlier_links,
    near_links,
    new_signatures,
    new_submission,
    reason_required_error,
    submission_create,
    submission_validate,
)


@dataclass
class ImportOutcome:
    created: list[Submission] = field(default_factory=list)
    # item key → [(index of the signature row or None for the whole item, message)]
    errors: dict[str, list[tuple[int | None, str]]] = field(default_factory=dict)


IMPORT_BATCH = 2000


def submissions_import(*, actor, items: dict[str, ItemInput]) -> ImportOutcome:
    """Create many items at once with the same validation, duplicate rule and audit as
    `submission_create`, batched. An item with any error is not written; the others are."""
    if not permissions.may_submit(actor):
        raise DomainError("Only investigators submit items.", code="forbidden", kind="forbidden")
    outcome = ImportOutcome()
    criteria_set = CriteriaSet.objects.get(is_active=True)
    with collector_paused():
        if _uses_staging():
            with staging.stage_table():
                _import_staged(actor, items, criteria_set, outcome)
        else:
            valid = _validated(items, outcome, {})
            keys = list(valid)
            for start in range(0, len(keys), IMPORT_BATCH):
                batch = {key: valid[key] for key in keys[start:start + IMPORT_BATCH]}
                _import_batch(actor, batch, criteria_set, outcome)
    return outcome


def _uses_staging() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a bulk import: the millions of objects a large file makes
    (rows, items, signatures) all live to the end and none is cyclic garbage, yet each collection
    walks them all again (measured: a third of the import's Python time at 200,000 rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _validated(items: dict[str, ItemInput], outcome: ImportOutcome,
               first_holder: dict[tuple[str, str], str]) -> dict[str, Validated]:
    """The items that pass `submission_validate` and repeat no signature of an earlier valid item of
    the file (`first_holder`, kept from one call to the next: in file order, an item refused for a
    repeat claims none of its signatures)."""
    valid: dict[str, Validated] = {}
    for key, item in items.items():
        try:
            validated = submission_validate(item)
        except DomainError as exc:
            outcome.errors[key] = _flatten(exc.extra["errors"])
            continue
        clash = next((first_holder[(s.algorithm, s.digest)] for s in validated.clean
                      if (s.algorithm, s.digest) in first_holder), None)
        if clash is not None:
            outcome.errors[key] = [(None, f"a signature repeats item {clash!r} of this file")]
            continue
        for s in validated.clean:
            first_holder[(s.algorithm, s.digest)] = key
        valid[key] = validated
    return valid


def _flatten(errors: dict) -> list[tuple[int | None, str]]:
    parts: list[tuple[int | None, str]] = []
    for name, value in errors.items():
        if name == "signatures" and isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                parts.extend((index, message) for messages in row.values() for message in messages)
        else:
            parts.extend((None, f"{name}: {message}") for message in value)
    return parts


# --- PostgreSQL: staged and set-based ---------------------------------------------------------------

@dataclass(frozen=True)
class _Ready:
    """A valid item of a batch, built (with the id it is staged under) as if it linked to no
    earlier item, and its audit entries: all that needs no database, made ahead."""

    key: str
    validated: Validated
    submission: Submission
    changes: list[audit.Change]


def _import_staged(actor, items: dict[str, ItemInput], criteria_set, outcome: ImportOutcome) -> None:
    """Batch after batch of `IMPORT_BATCH` items of the file. Python's part of the next batch (its
    validation, its items) is done while PostgreSQL stores this one's signatures."""
    keys, first_holder = list(items), {}
    starts = iter(range(0, len(keys), IMPORT_BATCH))

    def prepare_next() -> list[_Ready] | None:
        start = next(starts, None)
        if start is None:
            return None
        valid = _validated({key: items[key] for key in keys[start:start + IMPORT_BATCH]}, outcome, first_holder)
        return [_ready(actor, key, validated, criteria_set, EarlierLink(), uuid.uuid4())
                for key, validated in valid.items()]

    batch = prepare_next()
    while batch is not None:
        batch = _import_batch_staged(actor, batch, criteria_set, outcome, prepare_next)


def _ready(actor, key: str, validated: Validated, criteria_set, link: EarlierLink, pk) -> _Ready:
    submission = new_submission(actor=actor, validated=validated, criteria_set=criteria_set, link=link, pk=pk)
    return _Ready(key, validated, submission, create_changes(submission, validated.clean, link.near))


def _import_batch_staged(actor, batch: list[_Ready], criteria_set, outcome: ImportOutcome, prepare_next):
    """One batch in one transaction: stage its signatures, refuse the clashes one join finds, write
    the rest (COPY, INSERT … SELECT) and their audit entries. Returns the next batch, prepared."""
    following: list[list[_Ready] | None] = []
    if not batch:
        return prepare_next()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            staging.stage(cursor, ((n, ready.submission.pk, ready.validated.clean) for n, ready in enumerate(batch)))
            clashes, closed = staging.matches(cursor)
            links = near_links({n: ready.validated.clean for n, ready in enumerate(batch) if n not in clashes},
                               earlier_links(closed))
            submissions, changes, refused = _decided(actor, batch, criteria_set, clashes, links, outcome)
            staging.copy_submissions(cursor, submissions)
            staging.insert_signatures(cursor, refused, meanwhile=lambda: following.append(prepare_next()))
            audit.record_many(actor=actor, changes=changes)
            _plan_digests(submissions)
    except IntegrityError:
        _one_at_a_time(actor, {ready.key: ready.validated for ready in batch if ready.key not in outcome.errors},
                       outcome)
    else:
        for submission in submissions:  # as bulk_create leaves them: saved
            submission._state.adding, submission._state.db = False, connection.alias
        outcome.created.extend(submissions)
    return following[0] if following else prepare_next()


def _decided(actor, batch: list[_Ready], criteria_set, clashes: dict[int, staging.Clash], links: dict[int, EarlierLink],
             outcome: ImportOutcome) -> tuple[list[Submission], list[audit.Change], list[int]]:
    """The batch's items to write, their audit entries, and the numbers of those refused: a clash
    with a held, pending or approved item, or a rejected item's signature without a reason."""
    submissions, changes, refused = [], [], []
    for n, ready in enumerate(batch):
        clash, link = clashes.get(n), links.get(n)
        if clash is not None:
            outcome.errors[ready.key] = [(None, duplicate_of(clash.algorithm, clash.item_id, clash.status).message)]
        elif link is not None and link.held and not ready.validated.item.reason:
            outcome.errors[ready.key] = [(None, reason_required_error(link).message)]
        else:
            if link is not None:  # built again, linked
                ready = _ready(actor, ready.key, ready.validated, criteria_set, link, ready.submission.pk)
            submissions.append(ready.submission)
            changes.extend(ready.changes)
            continue
        refused.append(n)
    return submissions, changes, refused


def _plan_digests(submissions: list[Submission]) -> None:
    """As `submission_create` does, once for the batch, after it commits; held items are in no queue."""
    pending = next((s for s in submissions if s.status == Submission.Status.PENDING), None)
    if pending is not None:
        notices.schedule_digests(pending)


def _one_at_a_time(actor, batch: dict[str, Validated], outcome: ImportOutcome) -> None:
    """Someone submitted one of a batch's signatures while it was written: the batch rolled back, and
    its items go one at a time, which reports exactly which clash (the unique index decides)."""
    created = []
    for key, validated in batch.items():
        try:
            created.append(submission_create(actor=actor, item=validated.item, schedule_digests=False))
        except DomainError as exc:
            outcome.errors[key] = [(None, exc.message)]
    _plan_digests(created)  # each item has committed: this runs now
    outcome.created.extend(created)


# --- elsewhere (SQLite): the ORM --------------------------------------------------------------------

def _lookup(batch: dict[str, Validated], *, active: bool) -> dict[tuple[str, str], Signature]:
    digests = {s.digest for v in batch.values() for s in v.clean}
    found: dict[tuple[str, str], Signature] = {}
    rows = (
        Signature.objects.filter(value_digest__in=digests, active=active)
        .select_related("submission")
        .order_by("submission__created_at")
    )
    for sig in rows.iterator(chunk_size=5000):
        found[(sig.algorithm, sig.value_digest)] = sig  # newest wins for previous links
    return found


def _import_batch(actor, batch: dict[str, Validated], criteria_set, outcome: ImportOutcome) -> None:
    active = _lookup(batch, active=True)
    inactive = _lookup(batch, active=False)
    submissions, sigs, changes, links = [], [], [], {}
    for key, validated in list(batch.items()):
        hit = next((active[(s.algorithm, s.digest)] for s in validated.clean
                    if (s.algorithm, s.digest) in active), None)
        if hit is not None:
            outcome.errors[key] = [(None, str(duplicate_error(hit)))]
            del batch[key]
            continue
        earlier = sorted((inactive[(s.algorithm, s.digest)].submission for s in validated.clean
                          if (s.algorithm, s.digest) in inactive), key=lambda i: i.created_at, reverse=True)
        links[key] = earlier_link(item.pk for item in earlier)
    links = near_links({key: validated.clean for key, validated in batch.items()}, links)
    for key, validated in list(batch.items()):
        link = links[key]
        if link.held and not validated.item.reason:
            outcome.errors[key] = [(None, reason_required_error(link).message)]
            del batch[key]
            continue
        submission = new_submission(actor=actor, validated=validated, criteria_set=criteria_set, link=link)
        submissions.append(submission)
        sigs.extend(new_signatures(submission, validated.clean))
        changes.extend(create_changes(submission, validated.clean, link.near))
    try:
        with transaction.atomic():
            Submission.objects.bulk_create(submissions)
            Signature.objects.bulk_create(sigs, batch_size=5000)
            audit.record_many(actor=actor, changes=changes)
            _plan_digests(submissions)
    except IntegrityError:
        # Someone submitted one of these signatures meanwhile: fall back to one at a time, which
        # reports exactly which items clash.
        _one_at_a_time(actor, batch, outcome)
        return
    outcome.created.extend(submissions)
