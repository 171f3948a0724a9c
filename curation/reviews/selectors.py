"""Reads for reviewers: the queue, an item's reviews, the digest's recipients."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role, User
from accounts.permissions import allows
from curation import permissions
from curation.models import Recusal, Review, Submission
from curation.submissions.selectors import with_details

# The queue is counted up to this many items (a LIMIT-ed count): past it, the badge, home page, review
# pages and digest say "1,000+", the API's `count` stops at it (`count_capped`), and the pages list the
# oldest this many (core/pagination.py). Counting a queue of a million exactly took seconds a page.
QUEUE_COUNT_CAP = 1000


@dataclass(frozen=True)
class QueueSize:
    """How many items wait in a reviewer's queue: exact up to QUEUE_COUNT_CAP, else `more`."""

    count: int
    more: bool = False

    def __str__(self) -> str:
        return f"{self.count:,}+" if self.more else f"{self.count:,}"

    def __bool__(self) -> bool:
        return self.count > 0


def review_queue_for(user) -> QuerySet[Submission]:
    """Pending items the reviewer may review, oldest first (created_at, then id: the partial index
    submission_pending_queue walks in this order)."""
    if not permissions.may_review(user):
        return Submission.objects.none()
    return Submission.objects.filter(permissions.review_queue_condition(user)).order_by("created_at", "id")


def review_queue_size(user) -> QueueSize:
    """The size of the reviewer's queue, counted up to QUEUE_COUNT_CAP (it reads at most that many
    rows more than one, oldest first, whatever the queue's length)."""
    counted = review_queue_for(user)[: QUEUE_COUNT_CAP + 1].count()
    return QueueSize(min(counted, QUEUE_COUNT_CAP), more=counted > QUEUE_COUNT_CAP)


def review_item_or_404(user, item_id) -> Submission:
    """The queued item a reviewer acts on: 403 for anyone but a reviewer, 404 when the item is not in
    their queue (someone else's, already reviewed or recused from, decided, or no such item)."""
    if not allows(user, permissions.may_review):
        raise PermissionDenied
    item = with_details(review_queue_for(user)).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def queued_item(user, item_id) -> Submission | None:
    """The item if it is in the reviewer's queue now (403 for anyone but a reviewer)."""
    if not allows(user, permissions.may_review):
        raise PermissionDenied
    return with_details(review_queue_for(user)).filter(pk=item_id).first()


def own_judgement(user, item_id) -> Review | Recusal | None:
    """The reviewer's own review of the item, or their recusal from it: what they did, never what
    anyone else did (blind review), and nothing about the item's state."""
    review = (Review.objects.filter(reviewer=user, submission_id=item_id)
              .select_related("submission__criteria_set").first())
    if review is not None:
        return review
    return Recusal.objects.filter(reviewer=user, submission_id=item_id).select_related("submission").first()


def reviews_by(user) -> QuerySet[Review]:
    """The reviewer's own reviews, newest first (the "My reviews" history)."""
    return (Review.objects.filter(reviewer=user).select_related("submission__criteria_set")
            .order_by("-created_at", "-id"))


def answered_no(review: Review) -> list[str]:
    """The questions of the criteria the review answered "no", in the criteria set's order."""
    criteria = review.submission.criteria_set.criteria.order_by("position")
    return [c.question for c in criteria if review.answers.get(c.key) is False]


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
