"""Celery tasks: they take ids and call services or notices. Nothing here carries media."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User
from curation import notices, selectors
from curation.models import Submission


@shared_task(ignore_result=True)
def review_digest_plan(item_id: str) -> int:
    """Plan a digest for every opted-in reviewer the new item is queued for."""
    item = Submission.objects.filter(pk=item_id).first()
    if item is None:
        return 0
    planned = 0
    for user in selectors.digest_recipients_for(item):
        delay = notices.plan_digest(user.pk)
        if delay is not None:
            review_digest_send.apply_async(args=[user.pk], countdown=max(0, int(delay.total_seconds())))
            planned += 1
    return planned


@shared_task(ignore_result=True)
def review_digest_send(user_id: int) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    return notices.send_digest(user, selectors.review_queue_for(user).count())


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def release_build(release_id: int) -> str:
    """Build and publish a release. Late acknowledgement: if the worker dies the broker hands the
    task to another worker, and every step of the build is safe to run again."""
    from curation.releases import release_build as build

    return build(release_id)
