"""Every non-trivial read."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import Role, User
from accounts.permissions import has_role
from curation import permissions
from curation.models import AuditEntry, CriteriaSet, Review, Signature, Submission


def active_criteria_set() -> CriteriaSet:
    return CriteriaSet.objects.prefetch_related("criteria").get(is_active=True)


def with_details(items: QuerySet[Submission]) -> QuerySet[Submission]:
    return items.select_related("organisation", "criteria_set", "submitter").prefetch_related(
        Prefetch("signatures", queryset=Signature.objects.order_by("algorithm"))
    )


def submission_list_for(user, *, status: str | None = None) -> QuerySet[Submission]:
    items = permissions.submissions_visible_to(user)
    if status:
        items = items.filter(status=status)
    return with_details(items).order_by("-created_at", "id")


def submission_for(user, item_id) -> Submission | None:
    """The item if `user` may see it, else None (callers answer 404)."""
    return with_details(permissions.submissions_visible_to(user)).filter(pk=item_id).first()


def review_queue_for(user) -> QuerySet[Submission]:
    """Pending items the reviewer may review, oldest first."""
    if not has_role(user, Role.REVIEWER):
        return Submission.objects.none()
    return Submission.objects.filter(permissions.review_queue_condition(user)).order_by("created_at", "id")


def digest_recipients_for(item: Submission) -> QuerySet:
    """Opted-in, active reviewers outside the item's organisation, with an email address."""
    return (
        User.objects.filter(
            role_grants__role=Role.REVIEWER, is_active=True, organisation__is_active=True, email_digest=True,
        )
        .exclude(organisation_id=item.organisation_id)
        .exclude(email="")
        .distinct()
    )


def reviews_of(item: Submission) -> QuerySet[Review]:
    return Review.objects.filter(submission=item).select_related("reviewer", "organisation").order_by("created_at")


STATUS_ACTIONS = ("submission.create", "submission.approve", "submission.reject", "submission.withdraw",
                  "submission.retract")


def status_history(item: Submission) -> QuerySet[AuditEntry]:
    """The item's status changes from the audit log (never its review entries: blind review)."""
    return AuditEntry.objects.filter(object_type="curation.submission", object_id=str(item.pk),
                                     action__in=STATUS_ACTIONS).order_by("seq")
