"""Every write to items: submitting, withdrawing, retracting, and the status change they share.
Each service checks permission, locks what it changes, applies the rule, writes the audit entry in
the same transaction and leaves side effects to `on_commit`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core import audit
from core.actions import AuditAction
from core.errors import DomainError
from curation import permissions
from curation.hashing import signatures
from curation.models import CriteriaSet, Signature, Submission
from curation.notices import services as notices


def _max_length(name: str) -> int:
    return Submission._meta.get_field(name).max_length


MAX_REFERENCE = _max_length("external_reference")
MAX_NOTE = _max_length("note")
MAX_SERIES = _max_length("series")
MAX_REASON = _max_length("retraction_reason")

@dataclass
class ItemInput:
    """What a submission consists of, from the API, the browser or a CSV file."""

    media_type: str
    signatures: list[dict]
    external_reference: str
    note: str = ""
    series: str = ""
    victim_identified: bool | None = None
    offender_identified: bool | None = None


@dataclass
class Validated:
    item: ItemInput
    clean: list[signatures.Clean] = field(default_factory=list)


def submission_validate(item: ItemInput) -> Validated:
    """Normalise and check an item's fields; DomainError (400) with DRF-shaped field errors."""
    errors: dict = {}
    try:
        clean = signatures.clean_set(item.media_type, item.signatures)
    except signatures.SignatureSetError as exc:
        clean = []
        if isinstance(exc.errors, str):
            key = "media_type" if item.media_type not in signatures.MEDIA_TYPES else "signatures"
            errors[key] = [exc.errors]
        else:
            errors["signatures"] = exc.errors
    reference = (item.external_reference or "").strip()
    if not reference:
        errors["external_reference"] = [
            "Required: the material's identifier in the shared case database, so reviewers can view it."
        ]
    elif len(reference) > MAX_REFERENCE:
        errors["external_reference"] = [f"At most {MAX_REFERENCE} characters."]
    if len(item.note or "") > MAX_NOTE:
        errors["note"] = [f"At most {MAX_NOTE} characters."]
    if len(item.series or "") > MAX_SERIES:
        errors["series"] = [f"At most {MAX_SERIES} characters."]
    for name in ("external_reference", "note", "series"):
        if "\x00" in (getattr(item, name) or "") and name not in errors:
            # PostgreSQL text cannot hold NUL; refused here for every caller (API, pages, import).
            errors[name] = ["Null characters are not allowed."]
    if errors:
        raise DomainError("The submission has errors.", code="invalid", extra={"errors": errors})
    item.external_reference = reference
    item.note = (item.note or "").strip()
    item.series = (item.series or "").strip()
    return Validated(item, clean)


def _signature_filter(clean: Iterable[signatures.Clean]) -> Q:
    query = Q(pk__in=[])
    for sig in clean:
        query |= Q(algorithm=sig.algorithm, value_digest=sig.digest)
    return query


def duplicate_error(existing: Submission) -> DomainError:
    return DomainError(
        f"A signature of this item is already in item {existing.pk} ({existing.status}).",
        code="duplicate",
        kind="conflict",
        extra={"existing_item": {"id": str(existing.pk), "status": existing.status}},
    )


def _active_duplicate(clean: list[signatures.Clean]) -> Submission | None:
    hit = (
        Signature.objects.filter(_signature_filter(clean), active=True)
        .select_related("submission")
        .first()
    )
    return hit.submission if hit else None


def _previous_item_id(clean: list[signatures.Clean]):
    """The newest rejected, withdrawn or retracted item sharing a signature, to link to."""
    return (
        Signature.objects.filter(_signature_filter(clean), active=False)
        .order_by("-submission__created_at")
        .values_list("submission_id", flat=True)
        .first()
    )


def new_submission(*, actor, validated: Validated, criteria_set: CriteriaSet, previous_id) -> Submission:
    item = validated.item
    return Submission(
        media_type=item.media_type,
        external_reference=item.external_reference,
        note=item.note,
        series=item.series,
        victim_identified=item.victim_identified,
        offender_identified=item.offender_identified,
        submitter=actor,
        organisation_id=actor.organisation_id,
        criteria_set=criteria_set,
        required_agreements=settings.BASELINE_REQUIRED_AGREEMENTS,
        min_reviewer_organisations=settings.BASELINE_MIN_REVIEWER_ORGANISATIONS,
        previous_id=previous_id,
    )


def new_signatures(submission: Submission, clean: list[signatures.Clean]) -> list[Signature]:
    return [
        Signature(
            submission=submission, algorithm=s.algorithm, value=s.value, value_digest=s.digest, quality=s.quality
        )
        for s in clean
    ]


def create_change(submission: Submission, clean: list[signatures.Clean]) -> audit.Change:
    return audit.Change(
        AuditAction.SUBMISSION_CREATE,
        "curation.submission",
        submission.pk,
        {
            "media_type": submission.media_type,
            "algorithms": [s.algorithm for s in clean],
            "previous": str(submission.previous_id) if submission.previous_id else None,
        },
    )


def submission_create(*, actor, item: ItemInput, schedule_digests: bool = True) -> Submission:
    """Create one pending item. `schedule_digests=False` only for a caller that schedules the
    reviewers' digests itself, once for many items (`submissions_import`)."""
    if not permissions.may_submit(actor):
        raise DomainError("Only investigators submit items.", code="forbidden", kind="forbidden")
    validated = submission_validate(item)
    criteria_set = CriteriaSet.objects.get(is_active=True)
    with transaction.atomic():
        existing = _active_duplicate(validated.clean)
        if existing is not None:
            raise duplicate_error(existing)
        submission = new_submission(
            actor=actor, validated=validated, criteria_set=criteria_set,
            previous_id=_previous_item_id(validated.clean),
        )
        try:
            with transaction.atomic():
                submission.save(force_insert=True)
                Signature.objects.bulk_create(new_signatures(submission, validated.clean))
        except IntegrityError:
            # A simultaneous submission of the same signature committed first.
            existing = _active_duplicate(validated.clean)
            if existing is None:
                raise
            raise duplicate_error(existing) from None
        audit.record_many(actor=actor, changes=[create_change(submission, validated.clean)])
        if schedule_digests:
            notices.schedule_digests(submission)
    return submission


def submission_close(item: Submission, status: str, *, decided: bool = False) -> None:
    """Move an item to a final status; its signatures stop blocking resubmission."""
    now = timezone.now()
    item.status = status
    if decided:
        item.decided_at = now
    else:
        item.closed_at = now
    item.save(update_fields=["status", "decided_at", "closed_at"])
    if status not in Submission.ACTIVE_STATUSES:
        Signature.objects.filter(submission=item).update(active=False)


def submission_withdraw(*, actor, item: Submission) -> Submission:
    refusal = permissions.withdraw_refusal(actor, item)
    if refusal:
        raise DomainError(refusal, code="forbidden", kind="forbidden")
    with transaction.atomic():
        item = Submission.objects.select_for_update().get(pk=item.pk)
        if item.status != Submission.Status.PENDING:
            raise DomainError(
                f"Only a pending item can be withdrawn; this one is {item.status}.", code="not_pending",
                kind="conflict",
            )
        submission_close(item, Submission.Status.WITHDRAWN)
        audit.record(actor=actor, action=AuditAction.SUBMISSION_WITHDRAW, obj=item)
    return item


def item_retract(*, actor, item: Submission, reason: str) -> Submission:
    """A curator takes an approved item off the list; the next release removes it."""
    if not permissions.may_retract(actor):
        raise DomainError("Only curators retract items.", code="forbidden", kind="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A reason is required.", code="invalid", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"At most {MAX_REASON} characters.", code="invalid", field="reason")
    with transaction.atomic():
        item = Submission.objects.select_for_update().get(pk=item.pk)
        if item.status != Submission.Status.APPROVED:
            raise DomainError(f"Only an approved item can be retracted; this one is {item.status}.",
                                code="not_approved", kind="conflict")
        item.retraction_reason = reason
        item.save(update_fields=["retraction_reason"])
        submission_close(item, Submission.Status.RETRACTED)
        audit.record(actor=actor, action=AuditAction.SUBMISSION_RETRACT, obj=item, details={"reason": reason})
    return item
