"""Notifications: in-app notices about decisions, and the opt-in review-queue email digest.

Blind review holds here too: notices are written only once an item is decided, and the digest
tells a reviewer how many items wait in their own queue, nothing about anyone's reviews.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from curation.models import DigestState, Notice, Review, Submission

DIGEST_INTERVAL = timedelta(hours=1)


def item_decided(item: Submission) -> None:
    """Tell the submitter and the item's reviewers the outcome (inside the deciding transaction)."""
    short = str(item.pk)[:8]
    users = {item.submitter_id, *Review.objects.filter(submission=item).values_list("reviewer_id", flat=True)}
    Notice.objects.bulk_create(
        Notice(user_id=user_id, submission=item, message=f"Item {short} was {item.status}.") for user_id in users
    )


def unread_count(user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def schedule_digests(item: Submission) -> None:
    """After an item is submitted, plan a digest for each opted-in reviewer it is queued for."""
    from curation.tasks import review_digest_plan

    # robust: a broker outage must not turn a committed submission into an error.
    transaction.on_commit(lambda: review_digest_plan.delay(str(item.pk)), robust=True)


def plan_digest(user_id: int) -> timedelta | None:
    """Reserve the user's next digest slot; returns the delay to send it after, or None if one is
    already planned. At most one email an hour per reviewer."""
    now = timezone.now()
    with transaction.atomic():
        state, _ = DigestState.objects.select_for_update().get_or_create(user_id=user_id)
        if state.scheduled_for is not None:
            return None
        earliest = state.last_sent_at + DIGEST_INTERVAL if state.last_sent_at else now
        state.scheduled_for = max(now, earliest)
        state.save(update_fields=["scheduled_for"])
    return state.scheduled_for - now


def send_digest(user, queue_size: int) -> bool:
    """Send the planned digest now if the hour has passed; True if an email went out."""
    now = timezone.now()
    with transaction.atomic():
        state, _ = DigestState.objects.select_for_update().get_or_create(user_id=user.pk)
        if state.last_sent_at and now - state.last_sent_at < DIGEST_INTERVAL:
            return False
        state.scheduled_for = None
        if queue_size == 0 or not user.email:
            state.save(update_fields=["scheduled_for"])
            return False
        state.last_sent_at = now
        state.save(update_fields=["scheduled_for", "last_sent_at"])
    send_mail(
        subject=f"Baseline: {queue_size} item{'s' if queue_size != 1 else ''} in your review queue",
        message=(
            f"{queue_size} item{'s wait' if queue_size != 1 else ' waits'} for your review in Baseline.\n"
            f"Open your queue: {settings.BASELINE_SITE_URL.rstrip('/')}{reverse('review-queue')}\n\n"
            "You receive at most one such email an hour. Turn it off on your Notices page."
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    return True
