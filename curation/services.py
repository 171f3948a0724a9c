"""Every write to items. Each service checks permission, locks what it changes, applies the rule,
writes the audit entry in the same transaction and leaves side effects to `on_commit`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from curation import audit, notices, permissions, signatures, workflow
from curation.errors import CurationError
from curation.models import CriteriaSet, Criterion, Feed, Recusal, Review, Signature, Submission

MAX_REFERENCE = 200
MAX_NOTE = 2000
MAX_SERIES = 200


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
    """Normalise and check an item's fields; CurationError (400) with DRF-shaped field errors."""
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
        raise CurationError("The submission has errors.", code="invalid", extra={"errors": errors})
    item.external_reference = reference
    item.note = (item.note or "").strip()
    item.series = (item.series or "").strip()
    return Validated(item, clean)


def _signature_filter(clean: Iterable[signatures.Clean]) -> Q:
    query = Q(pk__in=[])
    for sig in clean:
        query |= Q(algorithm=sig.algorithm, value_digest=sig.digest)
    return query


def _duplicate_error(existing: Submission) -> CurationError:
    return CurationError(
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


def _new_submission(*, actor, validated: Validated, criteria_set: CriteriaSet, previous_id) -> Submission:
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


def _new_signatures(submission: Submission, clean: list[signatures.Clean]) -> list[Signature]:
    return [
        Signature(
            submission=submission, algorithm=s.algorithm, value=s.value, value_digest=s.digest, quality=s.quality
        )
        for s in clean
    ]


def _create_change(submission: Submission, clean: list[signatures.Clean]) -> audit.Change:
    return audit.Change(
        "submission.create",
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
        raise CurationError("Only investigators submit items.", code="forbidden", kind="forbidden")
    validated = submission_validate(item)
    criteria_set = CriteriaSet.objects.get(is_active=True)
    with transaction.atomic():
        existing = _active_duplicate(validated.clean)
        if existing is not None:
            raise _duplicate_error(existing)
        submission = _new_submission(
            actor=actor, validated=validated, criteria_set=criteria_set,
            previous_id=_previous_item_id(validated.clean),
        )
        try:
            with transaction.atomic():
                submission.save(force_insert=True)
                Signature.objects.bulk_create(_new_signatures(submission, validated.clean))
        except IntegrityError:
            # A simultaneous submission of the same signature committed first.
            existing = _active_duplicate(validated.clean)
            if existing is None:
                raise
            raise _duplicate_error(existing) from None
        audit.record_many(actor=actor, changes=[_create_change(submission, validated.clean)])
        if schedule_digests:
            notices.schedule_digests(submission)
    return submission


def _close(item: Submission, status: str, *, decided: bool = False) -> None:
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
        raise CurationError(refusal, code="forbidden", kind="forbidden")
    with transaction.atomic():
        item = Submission.objects.select_for_update().get(pk=item.pk)
        if item.status != Submission.Status.PENDING:
            raise CurationError(
                f"Only a pending item can be withdrawn; this one is {item.status}.", code="not_pending",
                kind="conflict",
            )
        _close(item, Submission.Status.WITHDRAWN)
        audit.record(actor=actor, action="submission.withdraw", obj=item)
    return item


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
        raise CurationError("Only investigators submit items.", code="forbidden", kind="forbidden")
    outcome = ImportOutcome()
    valid: dict[str, Validated] = {}
    first_holder: dict[tuple[str, str], str] = {}
    for key, item in items.items():
        try:
            validated = submission_validate(item)
        except CurationError as exc:
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
            outcome.errors[key] = [(None, str(_duplicate_error(hit.submission)))]
            del batch[key]
            continue
        previous = next((inactive[(s.algorithm, s.digest)].submission_id for s in validated.clean
                         if (s.algorithm, s.digest) in inactive), None)
        submission = _new_submission(actor=actor, validated=validated, criteria_set=criteria_set,
                                     previous_id=previous)
        submissions.append(submission)
        sigs.extend(_new_signatures(submission, validated.clean))
        changes.append(_create_change(submission, validated.clean))
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
            except CurationError as exc:
                outcome.errors[key] = [(None, exc.message)]
        if created:
            notices.schedule_digests(created[0])  # each item has committed: this runs now
        outcome.created.extend(created)
        return
    outcome.created.extend(submissions)


def _refuse(refusal: permissions.Refusal) -> CurationError:
    return CurationError(refusal.message, code=refusal.code, kind=refusal.kind)


def review_record(*, actor, item: Submission, answers: dict, comment: str = "") -> Review:
    """Record a review, then apply the rule; concurrent reviews of one item serialise on its lock,
    so exactly the reviews that reach the decision count and later ones are refused."""
    refusal = permissions.review_refusal(actor, item)
    if refusal is not None and refusal.kind == "forbidden":
        raise _refuse(refusal)  # cheap early answer; everything is checked again under the lock
    comment = (comment or "").strip()
    if len(comment) > MAX_NOTE:
        raise CurationError(f"At most {MAX_NOTE} characters.", code="invalid", field="comment")
    with transaction.atomic():
        item = Submission.objects.select_for_update().select_related("criteria_set").get(pk=item.pk)
        refusal = permissions.review_refusal(actor, item)
        if refusal is not None:
            raise _refuse(refusal)
        keys = list(item.criteria_set.criteria.order_by("position").values_list("key", flat=True))
        try:
            verdict = workflow.verdict_for(answers, keys)
        except workflow.AnswersError as exc:
            raise CurationError(
                "The answers do not match the item's criteria.", code="invalid",
                extra={"errors": {"answers": [f"{k}: {m}" for k, m in exc.errors.items()]}},
            ) from None
        review = Review.objects.create(
            submission=item, reviewer=actor, organisation_id=actor.organisation_id, verdict=verdict,
            answers={k: answers[k] for k in keys}, comment=comment,
        )
        audit.record(actor=actor, action="review.record", obj=item,
                     details={"review_id": review.pk, "verdict": verdict})
        _apply_rule(item)
    return review


def _apply_rule(item: Submission) -> None:
    """Decide the (locked) item if its reviews now say so."""
    counted = [
        workflow.CountedReview(verdict, org)
        for verdict, org in Review.objects.filter(submission=item).values_list("verdict", "organisation_id")
    ]
    status = workflow.next_status(
        counted, required_agreements=item.required_agreements,
        min_organisations=item.min_reviewer_organisations,
    )
    if status == Submission.Status.PENDING:
        return
    _close(item, status, decided=True)
    agreements = sum(1 for r in counted if r.verdict == workflow.AGREE)
    audit.record(actor=None, action=f"submission.{'approve' if status == 'approved' else 'reject'}", obj=item,
                 details={"reviews": len(counted), "agreements": agreements})
    notices.item_decided(item)


def review_recuse(*, actor, item: Submission, reason: str) -> Recusal:
    if reason not in Recusal.Reason.values:
        raise CurationError(f"reason must be one of {', '.join(Recusal.Reason.values)}.", code="invalid",
                            field="reason")
    with transaction.atomic():
        item = Submission.objects.select_for_update().get(pk=item.pk)
        refusal = permissions.review_refusal(actor, item)
        if refusal is not None:
            raise _refuse(refusal)
        recusal = Recusal.objects.create(submission=item, reviewer=actor, reason=reason)
        audit.record(actor=actor, action="review.recuse", obj=item, details={"reason": reason})
    return recusal


def criteria_publish(*, actor, criteria: list[tuple[str, str]]) -> CriteriaSet:
    """Publish a new criteria-set version; new items use it, existing items keep theirs."""
    if actor is not None and not permissions.may_publish_criteria(actor):
        raise CurationError("Only administrators publish criteria.", code="forbidden", kind="forbidden")
    errors = _criteria_errors(criteria)
    if errors:
        raise CurationError("The criteria have errors.", code="invalid", field="criteria",
                            extra={"errors": {"criteria": errors}})
    with transaction.atomic():
        # Lock every existing set, in one order, before reading: a concurrent publish waits here
        # for the first to commit and then sees its new version. Locking only the active row is not
        # enough: the waiter finds that row no longer active and would insert a second active set.
        list(CriteriaSet.objects.select_for_update().order_by("version").values_list("pk", flat=True))
        latest = CriteriaSet.objects.order_by("-version").values_list("version", flat=True).first() or 0
        CriteriaSet.objects.filter(is_active=True).update(is_active=False)
        try:
            with transaction.atomic():
                new = CriteriaSet.objects.create(version=latest + 1, is_active=True, created_by=actor)
        except IntegrityError:  # only where rows cannot be locked (SQLite serialises writes instead)
            raise CurationError("Another criteria version was published at the same moment; try again.",
                                code="conflict", kind="conflict") from None
        Criterion.objects.bulk_create(
            Criterion(criteria_set=new, key=key, question=question, position=i)
            for i, (key, question) in enumerate(criteria)
        )
        audit.record(actor=actor, action="criteria.publish", obj=new,
                     details={"version": new.version, "criteria": [{"key": k, "question": q} for k, q in criteria]})
    return new


def _criteria_errors(criteria: list[tuple[str, str]]) -> list[str]:
    errors = []
    if not criteria:
        errors.append("A criteria set needs at least one criterion.")
    keys = [key for key, _ in criteria]
    for key, question in criteria:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", key):
            errors.append(f"{key!r}: a key is lower-case letters, digits and underscores, starting with a letter.")
        if not question.strip() or len(question) > 500:
            errors.append(f"{key!r}: a question is 1 to 500 characters.")
    if len(set(keys)) != len(keys):
        errors.append("Each key may appear only once.")
    return errors


def item_retract(*, actor, item: Submission, reason: str) -> Submission:
    """A curator takes an approved item off the list; the next release removes it."""
    if not permissions.may_retract(actor):
        raise CurationError("Only curators retract items.", code="forbidden", kind="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise CurationError("A reason is required.", code="invalid", field="reason")
    if len(reason) > 500:
        raise CurationError("At most 500 characters.", code="invalid", field="reason")
    with transaction.atomic():
        item = Submission.objects.select_for_update().get(pk=item.pk)
        if item.status != Submission.Status.APPROVED:
            raise CurationError(f"Only an approved item can be retracted; this one is {item.status}.",
                                code="not_approved", kind="conflict")
        item.retraction_reason = reason
        item.save(update_fields=["retraction_reason"])
        _close(item, Submission.Status.RETRACTED)
        audit.record(actor=actor, action="submission.retract", obj=item, details={"reason": reason})
    return item


def feed_grant(*, actor, organisation, feed_name: str, revoke: bool = False) -> None:
    """Entitle a partner organisation to a feed (or take the entitlement back), audited."""
    from guardian.shortcuts import assign_perm, remove_perm

    from accounts.services import organisation_group

    if actor is not None and not permissions.may_manage_entitlements(actor):
        raise CurationError("Only administrators manage entitlements.", code="forbidden", kind="forbidden")
    feed = Feed.objects.filter(name=feed_name).first()
    if feed is None:
        known = ", ".join(Feed.objects.values_list("name", flat=True))
        raise CurationError(f"Unknown feed {feed_name!r}; feeds are {known}.", code="invalid", field="feed")
    if organisation.kind != organisation.Kind.PARTNER:
        raise CurationError(f"{organisation.name} is not a partner organisation.", code="not_partner",
                            kind="conflict")
    with transaction.atomic():
        group = organisation_group(organisation)
        (remove_perm if revoke else assign_perm)("curation.download_feed", group, feed)
        audit.record(actor=actor, action="feed.revoke" if revoke else "feed.grant", obj=organisation,
                     details={"feed": feed.name})
