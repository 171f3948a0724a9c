"""Bulk import of items (`import_candidates`): the same validation, duplicate rule and audit as
`submission_create`, in batches."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from core import audit
from core.errors import DomainError
from curation import permissions
from curation.models import CriteriaSet, Signature, Submission
from curation.notices import services as notices
from curation.submissions.services import (
    ItemInput,
    Validated,
    create_changes,
    duplicate_error,
    earlier_link,
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
    valid: dict[str, Validated] = {}
    first_holder: dict[tuple[str, str], str] = {}
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
    criteria_set = CriteriaSet.objects.get(is_active=True)
    keys = list(valid)
    for start in range(0, len(keys), IMPORT_BATCH):
        batch = {key: valid[key] for key in keys[start:start + IMPORT_BATCH]}
        _import_batch(actor, batch, criteria_set, outcome)
    return outcome


def _flatten(errors: dict) -> list[tuple[int | None, str]]:
    parts: list[tuple[int | None, str]] = []
    for name, value in errors.items():
        if name == "signatures" and isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                parts.extend((index, message) for messages in row.values() for message in messages)
        else:
            parts.extend((None, f"{name}: {message}") for message in value)
    return parts


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
    submissions, sigs, changes = [], [], []
    for key, validated in list(batch.items()):
        hit = next((active[(s.algorithm, s.digest)] for s in validated.clean
                    if (s.algorithm, s.digest) in active), None)
        if hit is not None:
            outcome.errors[key] = [(None, str(duplicate_error(hit)))]
            del batch[key]
            continue
        earlier = sorted((inactive[(s.algorithm, s.digest)].submission for s in validated.clean
                          if (s.algorithm, s.digest) in inactive), key=lambda i: i.created_at, reverse=True)
        link = earlier_link(item.pk for item in earlier)
        if link.held and not validated.item.reason:
            outcome.errors[key] = [(None, reason_required_error().message)]
            del batch[key]
            continue
        submission = new_submission(actor=actor, validated=validated, criteria_set=criteria_set, link=link)
        submissions.append(submission)
        sigs.extend(new_signatures(submission, validated.clean))
        changes.extend(create_changes(submission, validated.clean))
    try:
        with transaction.atomic():
            Submission.objects.bulk_create(submissions)
            Signature.objects.bulk_create(sigs, batch_size=5000)
            audit.record_many(actor=actor, changes=changes)
            if submissions:  # as submission_create does, once for the batch, after it commits
                notices.schedule_digests(submissions[0])
    except IntegrityError:
        # Someone submitted one of these signatures meanwhile: fall back to one at a time, which
        # reports exactly which items clash.
        created = []
        for key, validated in batch.items():
            try:
                created.append(submission_create(actor=actor, item=validated.item, schedule_digests=False))
            except DomainError as exc:
                outcome.errors[key] = [(None, exc.message)]
        if created:
            notices.schedule_digests(created[0])  # each item has committed: this runs now
        outcome.created.extend(created)
        return
    outcome.created.extend(submissions)
