"""Every write to items: submitting (pending, or held), withdrawing, retracting, signing off and
refusing held items, and the status change they share.
Each service checks permission, locks what it changes, applies the rule, writes the audit entry in
the same transaction and leaves side effects to `on_commit`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from baseline_client.hashing import signatures
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core import audit
from core.actions import AuditAction
from core.errors import DomainError
from curation import permissions
from curation.matching import near
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
    # Why a signature of a rejected item is submitted again: required then (the item is held).
    reason: str = ""


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
    if len(item.reason or "") > MAX_REASON:
        errors["reason"] = [f"At most {MAX_REASON} characters."]
    for name in ("external_reference", "note", "series", "reason"):
        if "\x00" in (getattr(item, name) or "") and name not in errors:
            # PostgreSQL text cannot hold NUL; refused here for every caller (API, pages, import).
            errors[name] = ["Null characters are not allowed."]
    if errors:
        raise DomainError("The submission has errors.", code="invalid", extra={"errors": errors})
    item.external_reference = reference
    item.note = (item.note or "").strip()
    item.series = (item.series or "").strip()
    item.reason = (item.reason or "").strip()
    return Validated(item, clean)


def _signature_filter(clean: Iterable[signatures.Clean]) -> Q:
    query = Q(pk__in=[])
    for sig in clean:
        query |= Q(algorithm=sig.algorithm, value_digest=sig.digest)
    return query


def duplicate_error(hit: Signature) -> DomainError:
    """The 409 for a signature already in a held, pending or approved item: that item's id and
    status, and the algorithm that clashed; nothing else (DESIGN.md section 4)."""
    return duplicate_of(hit.algorithm, hit.submission.pk, hit.submission.status)


def duplicate_of(algorithm: str, existing_id, existing_status: str) -> DomainError:
    """`duplicate_error` from the clash's parts, as the bulk import's set-based check finds them."""
    return DomainError(
        f"The {algorithm} signature of this item is already in item {existing_id} ({existing_status}).",
        code="duplicate",
        kind="conflict",
        extra={"existing_item": {"id": str(existing_id), "status": existing_status}, "algorithm": algorithm},
    )


def _active_duplicate(clean: list[signatures.Clean]) -> Signature | None:
    return (
        Signature.objects.filter(_signature_filter(clean), active=True)
        .select_related("submission")
        .order_by("algorithm")
        .first()
    )


@dataclass(frozen=True)
class EarlierLink:
    """How a new item links to earlier ones: the newest earlier item sharing a signature, the first
    item of that item's chain, and whether the new item is held."""

    previous_id: object = None
    chain_root_id: object = None
    held: bool = False
    near: dict | None = None  # held for a PDQ or vPDQ near a rejected item: that item and the evidence


def earlier_link(previous_ids: Iterable) -> EarlierLink:
    """The link for a new item whose signatures are in the (closed) items `previous_ids`, newest
    first. It is held when any of those items, or any item of their chains, was rejected: one
    "does not meet" is not undone by submitting again (DESIGN.md section 4)."""
    return earlier_links({None: previous_ids}).get(None, EarlierLink())


def earlier_links(previous: dict) -> dict:
    """`earlier_link` for many new items at once in two queries (the bulk import): new item's key
    → the closed items sharing a signature with it, newest first. Keys without any are left out."""
    previous = {key: list(dict.fromkeys(ids)) for key, ids in previous.items()}
    previous = {key: ids for key, ids in previous.items() if ids}
    if not previous:
        return {}
    every = {pk for ids in previous.values() for pk in ids}
    roots = {pk: root or pk for pk, root in
             Submission.objects.filter(pk__in=every).values_list("pk", "chain_root_id")}
    chains = set(roots.values())
    rejected = Submission.objects.filter(Q(pk__in=chains) | Q(chain_root_id__in=chains),
                                         status=Submission.Status.REJECTED)
    # The roots of the chains holding a rejected item (itself the root, or a later member).
    held_roots = {pk for row in rejected.values_list("pk", "chain_root_id") for pk in row} & chains
    return {key: EarlierLink(ids[0], roots[ids[0]], any(roots[pk] in held_roots for pk in ids))
            for key, ids in previous.items()}


def _earlier_link_for(clean: list[signatures.Clean]) -> EarlierLink:
    """The link for a new item from the rejected, withdrawn or retracted items sharing a signature."""
    return earlier_link(
        Signature.objects.filter(_signature_filter(clean), active=False)
        .order_by("-submission__created_at")
        .values_list("submission_id", flat=True)
    )


def near_links(items: dict, links: dict) -> dict:
    """`links` (key -> EarlierLink, keys without one left out) with every new item (key -> clean
    signatures) whose PDQ or vPDQ is near a rejected item held as well (DESIGN.md section 4): linked
    to the newest such item when no shared signature links it already."""
    unheld = {key: clean for key, clean in items.items() if not (key in links and links[key].held)}
    out = dict(links)
    for key, found in near.holding(unheld).items():
        item, evidence = found[0]
        details = {"item": str(item.pk), **evidence.evidence()}
        link = links.get(key)
        if link is not None and link.previous_id is not None:
            out[key] = EarlierLink(link.previous_id, link.chain_root_id, True, details)
        else:
            out[key] = EarlierLink(item.pk, item.chain_root_id or item.pk, True, details)
    return out


def reason_required_error(link: EarlierLink | None = None) -> DomainError:
    if link is not None and link.near is not None:
        found = link.near
        how = (f"its PDQ hash is within distance {found['distance']} of" if "distance" in found
               else f"its video is a {found['kind']} of")
        message = (f"This item looks like one that was rejected: {how} a rejected item. To submit it, give a "
                   "reason: the new item is held until a curator signs it off.")
    else:
        message = ("A signature of this item is in an item that was rejected. To submit it again, give a reason: "
                   "the new item is held until a curator signs it off.")
    return DomainError(message, code="reason_required", extra={"errors": {"reason": [message]}})


def new_submission(*, actor, validated: Validated, criteria_set: CriteriaSet, link: EarlierLink,
                   pk: uuid.UUID | None = None) -> Submission:
    """The unsaved item; `pk` when the caller chose the id beforehand (the bulk import stages it)."""
    item = validated.item
    return Submission(
        id=pk or uuid.uuid4(),
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
        previous_id=link.previous_id,
        chain_root_id=link.chain_root_id,
        status=Submission.Status.HELD if link.held else Submission.Status.PENDING,
        hold_reason=item.reason if link.held else "",
    )


def new_signatures(submission: Submission, clean: list[signatures.Clean]) -> list[Signature]:
    return [
        Signature(
            submission=submission, algorithm=s.algorithm, value=s.value, value_digest=s.digest, quality=s.quality
        )
        for s in clean
    ]


def create_changes(submission: Submission, clean: list[signatures.Clean],
                   near_item: dict | None = None) -> list[audit.Change]:
    """The entries of a new item: `submission.create`, and `submission.hold` when it is held (with
    the rejected item it is near, and the evidence, when that is why)."""
    changes = [create_change(submission, clean)]
    if submission.status == Submission.Status.HELD:
        details = {"reason": submission.hold_reason, "previous": str(submission.previous_id)}
        if near_item is not None:
            details["near"] = near_item
        changes.append(audit.Change(AuditAction.SUBMISSION_HOLD, "curation.submission", submission.pk, details))
    return changes


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
    """Create one pending item, or a held one when a signature is in a rejected item's chain or its
    PDQ or vPDQ is near a rejected item (the submitter's reason is then required).
    `schedule_digests=False` only for a caller that schedules the reviewers' digests itself, once
    for many items (`submissions_import`)."""
    if not permissions.may_submit(actor):
        raise DomainError("Only investigators submit items.", code="forbidden", kind="forbidden")
    validated = submission_validate(item)
    criteria_set = CriteriaSet.objects.get(is_active=True)
    with transaction.atomic():
        existing = _active_duplicate(validated.clean)
        if existing is not None:
            raise duplicate_error(existing)
        link = near_links({None: validated.clean}, {None: _earlier_link_for(validated.clean)})[None]
        if link.held and not validated.item.reason:
            raise reason_required_error(link)
        submission = new_submission(actor=actor, validated=validated, criteria_set=criteria_set, link=link)
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
        audit.record_many(actor=actor, changes=create_changes(submission, validated.clean, link.near))
        if schedule_digests and submission.status == Submission.Status.PENDING:  # held: in no queue
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
        if item.status not in (Submission.Status.PENDING, Submission.Status.HELD):
            raise DomainError(
                f"Only a pending item (or a held one) can be withdrawn; this one is {item.status}.",
                code="not_pending", kind="conflict",
            )
        submission_close(item, Submission.Status.WITHDRAWN)
        audit.record(actor=actor, action=AuditAction.SUBMISSION_WITHDRAW, obj=item)
    return item


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A reason is required.", code="invalid", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"At most {MAX_REASON} characters.", code="invalid", field="reason")
    if "\x00" in reason:
        raise DomainError("Null characters are not allowed.", code="invalid", field="reason")
    return reason


def item_retract(*, actor, item: Submission, reason: str) -> Submission:
    """A curator takes an approved item off the list; the next release removes it."""
    if not permissions.may_retract(actor):
        raise DomainError("Only curators retract items.", code="forbidden", kind="forbidden")
    reason = _required_reason(reason)
    with transaction.atomic():
        item = Submission.objects.select_for_update().get(pk=item.pk)
        if item.status != Submission.Status.APPROVED:
            raise DomainError(f"Only an approved item can be retracted; this one is {item.status}.",
                                code="not_approved", kind="conflict")
        item.retraction_reason = reason
        item.save(update_fields=["retraction_reason"])
        submission_close(item, Submission.Status.RETRACTED)
        audit.record(actor=actor, action=AuditAction.SUBMISSION_RETRACT, obj=item, details={"reason": reason})
        notices.item_retracted(item, reason)
    return item


def _held_decision(*, actor, item: Submission, reason: str, verb: str) -> tuple[Submission, str]:
    """Check and lock a held item for a curator's decision; the locked item and the clean reason.
    Two curators deciding at once serialise on the row lock: the second finds it no longer held."""
    if not permissions.may_decide_held(actor):
        raise DomainError(f"Only curators {verb} held items.", code="forbidden", kind="forbidden")
    reason = _required_reason(reason)
    item = Submission.objects.select_for_update().get(pk=item.pk)
    if item.status != Submission.Status.HELD:
        raise DomainError(f"Only a held item can be signed off or refused; this one is {item.status}.",
                          code="not_held", kind="conflict")
    return item, reason


def submission_sign_off(*, actor, item: Submission, reason: str) -> Submission:
    """A curator sends a held item to review: held → pending, queued for eligible reviewers."""
    with transaction.atomic():
        item, reason = _held_decision(actor=actor, item=item, reason=reason, verb="sign off")
        item.status = Submission.Status.PENDING
        item.save(update_fields=["status"])
        audit.record(actor=actor, action=AuditAction.SUBMISSION_SIGN_OFF, obj=item, details={"reason": reason})
        notices.schedule_digests(item)
    return item


def submission_refuse(*, actor, item: Submission, reason: str) -> Submission:
    """A curator refuses a held item: held → withdrawn; its signatures stop blocking."""
    with transaction.atomic():
        item, reason = _held_decision(actor=actor, item=item, reason=reason, verb="refuse")
        submission_close(item, Submission.Status.WITHDRAWN)
        audit.record(actor=actor, action=AuditAction.SUBMISSION_REFUSE, obj=item, details={"reason": reason})
    return item
