"""Reads for reviewers: the queue, an item's reviews, the digest's recipients."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Role, User
from curation import permissions
from curation.models import Review, Submission


def review_queue_for(user) -> QuerySet[Submission]:
    """Pending items the reviewer may review, oldest first."""
    if not permissions.may_review(user):
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
