"""Celery tasks: they take ids and call services or notices. Nothing here carries media."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from celery import shared_task
from django.utils import timezone

from accounts.models import User
from curation.models import Submission
from curation.notices import services as notices
from curation.reviews.selectors import digest_recipients_for, review_queue_size


@shared_task(ignore_result=True)
def review_digest_plan(item_id: str) -> int:
    """Plan a digest for every opted-in reviewer the new item is queued for."""
    item = Submission.objects.filter(pk=item_id).first()
    if item is None:
        return 0
    # Without a broker a countdown is ignored (the task would run at once, too early), so a planned
    # digest counts as lost as soon as its time passes and the next plan sends it.
    lost_after = timedelta(0) if _no_broker() else notices.DIGEST_LOST_AFTER
    planned = 0
    for user in digest_recipients_for(item):
        slot = notices.plan_digest(user.pk, lost_after=lost_after)
        if slot is not None:
            _send_at(user.pk, slot)
            planned += 1
    return planned


@shared_task(ignore_result=True)
def review_digest_send(user_id: int, slot: str | None = None) -> bool:
    """Send the digest planned for `slot` (ISO 8601); if it ran early, queue itself again for the hour."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    outcome = notices.send_digest(user, review_queue_size(user),
                                  slot=datetime.fromisoformat(slot) if slot else None)
    if outcome.retry_at is not None:
        _send_at(user.pk, outcome.retry_at)
    return outcome.sent


def countdown_for(delay: timedelta) -> int:
    """Whole seconds to wait, rounded up: a send must never run before its time."""
    return max(0, math.ceil(delay.total_seconds()))


def _send_at(user_id: int, slot: datetime) -> None:
    countdown = countdown_for(slot - timezone.now())
    if countdown and _no_broker():
        return  # it would run now, too early; the next plan after `slot` sends it (lost_after 0)
    review_digest_send.apply_async(args=[user_id, slot.isoformat()], countdown=countdown)


def _no_broker() -> bool:
    return bool(review_digest_send.app.conf.task_always_eager)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def release_build(release_id: int) -> str:
    """Build and publish a release. Late acknowledgement: if the worker dies the broker hands the
    task to another worker, and every step of the build is safe to run again."""
    from curation.releases.build import release_build as build

    return build(release_id)


@shared_task(ignore_result=True)
def release_build_watchdog() -> list[int]:
    """Run by beat every minute: restart, as a new attempt, a build whose heartbeat went silent."""
    from curation.releases.build import restart_stale_builds

    return restart_stale_builds()


@shared_task(ignore_result=True)
def sightings_purge() -> int:
    """Run by beat daily: delete sightings older than BASELINE_SIGHTING_RETENTION_DAYS."""
    from curation.matching.services import sightings_purge as purge

    return purge()


@shared_task(ignore_result=True)
def retention_purge() -> dict:
    """Run by beat daily: delete reports and download log rows past their retention periods."""
    from curation.reports.services import retention_purge as purge

    return purge()
