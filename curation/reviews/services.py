"""Every write of reviews: recording one (and deciding the item when the rule says so) and
recusing. Concurrent reviews of one item serialise on its row lock."""

from __future__ import annotations

from django.db import transaction

from core import audit
from core.actions import AuditAction
from core.actors import SYSTEM
from core.errors import DomainError
from curation import permissions
from curation.models import Recusal, Review, Submission
from curation.notices import services as notices
from curation.reviews import workflow
from curation.submissions.services import submission_close

MAX_COMMENT = Review._meta.get_field("comment").max_length


def _refuse(refusal: permissions.Refusal) -> DomainError:
    return DomainError(refusal.message, code=refusal.code, kind=refusal.kind)


def review_record(*, actor, item: Submission, answers: dict, comment: str = "") -> Review:
    """Record a review, then apply the rule; concurrent reviews of one item serialise on its lock,
    so exactly the reviews that reach the decision count and later ones are refused."""
    refusal = permissions.review_refusal(actor, item)
    if refusal is not None and refusal.kind == "forbidden":
        raise _refuse(refusal)  # cheap early answer; everything is checked again under the lock
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(f"At most {MAX_COMMENT} characters.", code="invalid", field="comment")
    with transaction.atomic():
        item = Submission.objects.select_for_update().select_related("criteria_set").get(pk=item.pk)
        refusal = permissions.review_refusal(actor, item)
        if refusal is not None:
            raise _refuse(refusal)
        keys = list(item.criteria_set.criteria.order_by("position").values_list("key", flat=True))
        try:
            verdict = workflow.verdict_for(answers, keys)
        except workflow.AnswersError as exc:
            raise DomainError(
                "The answers do not match the item's criteria.", code="invalid",
                extra={"errors": {"answers": [f"{k}: {m}" for k, m in exc.errors.items()]}},
            ) from None
        review = Review.objects.create(
            submission=item, reviewer=actor, organisation_id=actor.organisation_id, verdict=verdict,
            answers={k: answers[k] for k in keys}, comment=comment,
        )
        audit.record(actor=actor, action=AuditAction.REVIEW_RECORD, obj=item,
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
    submission_close(item, status, decided=True)
    agreements = sum(1 for r in counted if r.verdict == workflow.AGREE)
    action = AuditAction.SUBMISSION_APPROVE if status == Submission.Status.APPROVED else AuditAction.SUBMISSION_REJECT
    audit.record(actor=SYSTEM, action=action, obj=item,
                 details={"reviews": len(counted), "agreements": agreements})
    notices.item_decided(item)


def review_recuse(*, actor, item: Submission, reason: str) -> Recusal:
    if reason not in Recusal.Reason.values:
        raise DomainError(f"reason must be one of {', '.join(Recusal.Reason.values)}.", code="invalid",
                            field="reason")
    with transaction.atomic():
        item = Submission.objects.select_for_update().get(pk=item.pk)
        refusal = permissions.review_refusal(actor, item)
        if refusal is not None:
            raise _refuse(refusal)
        recusal = Recusal.objects.create(submission=item, reviewer=actor, reason=reason)
        audit.record(actor=actor, action=AuditAction.REVIEW_RECUSE, obj=item, details={"reason": reason})
    return recusal
