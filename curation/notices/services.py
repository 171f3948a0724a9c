"""Notifications: in-app notices about decisions, and the opt-in review-queue email digest.

Blind review holds here too: notices are written only once an item is decided, and the digest
tells a reviewer how many items wait in their own queue, nothing about anyone's reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from curation.models import DigestState, Notice, Report, Review, Submission

if TYPE_CHECKING:
    from curation.reviews.selectors import QueueSize

DIGEST_INTERVAL = timedelta(hours=1)
DIGEST_LOST_AFTER = timedelta(minutes=5)  # a planned send this late is presumed lost (see plan_digest)


MESSAGE_MAX = Notice._meta.get_field("message").max_length


def _notice(user_id: int, item: Submission, message: str) -> Notice:
    if len(message) > MESSAGE_MAX:
        message = message[: MESSAGE_MAX - 1] + "…"
    return Notice(user_id=user_id, submission=item, message=message)


def criteria_answered_no(item: Submission) -> list[str]:
    """The questions of the item's criteria that some review answered "no", in the set's order;
    never who answered, nor how many did."""
    no = {key for answers in Review.objects.filter(submission=item).values_list("answers", flat=True)
          for key, yes in (answers or {}).items() if yes is False}
    return [c.question for c in item.criteria_set.criteria.order_by("position") if c.key in no]


def item_decided(item: Submission) -> None:
    """Tell the submitter and the item's reviewers the outcome (inside the deciding transaction).
    The submitter of a rejected item learns which criteria were not met (not who said so); the
    reviewers learn only the outcome."""
    short = str(item.pk)[:8]
    reviewers = set(Review.objects.filter(submission=item).values_list("reviewer_id", flat=True))
    if item.status == Submission.Status.REJECTED:
        questions = "; ".join(criteria_answered_no(item))
        to_submitter = f"Item {short} was rejected. Not met: {questions}" if questions else (
            f"Item {short} was rejected.")
    else:
        to_submitter = f"Item {short} was {item.status}."
    Notice.objects.bulk_create([
        _notice(item.submitter_id, item, to_submitter),
        *(_notice(user_id, item, f"Item {short} was {item.status}.") for user_id in reviewers - {item.submitter_id}),
    ])


def item_retracted(item: Submission, reason: str) -> None:
    """Tell the submitter that their listed item was retracted, and why (inside the retraction)."""
    Notice.objects.bulk_create([_notice(
        item.submitter_id, item,
        f"Item {str(item.pk)[:8]} was retracted: it leaves the list in the next release. Reason: {reason}")])


def match_reports_shared(shared: list[Report]) -> None:
    """A notice to each investigator of the submitting organisation, per `match` report its partner
    shared with them (inside the reporting transaction); never the partner's name."""
    if not shared:
        return
    items = {str(item.pk): item for item in Submission.objects.filter(pk__in={r.item_id for r in shared})}
    investigators: dict[int, list[int]] = {}
    organisations = {item.organisation_id for item in items.values()}
    for user_id, organisation_id in (User.objects.filter(organisation_id__in=organisations, is_active=True,
                                                         role_grants__role=Role.INVESTIGATOR)
                                     .values_list("pk", "organisation_id").distinct()):
        investigators.setdefault(organisation_id, []).append(user_id)
    Notice.objects.bulk_create([
        _notice(user_id, items[str(report.item_id)],
                f"A partner reported a match of your item {str(report.item_id)[:8]}: see the item's reports.")
        for report in shared for user_id in investigators.get(items[str(report.item_id)].organisation_id, [])])


def report_decided(report: Report) -> None:
    """Tell the reporter the outcome of their report (inside the decision)."""
    Notice.objects.bulk_create([_notice(
        report.reporter_id, report.item,
        f"Your {report.get_kind_display().lower()} report {report.reference!r} on item {str(report.item_id)[:8]} "
        f"was {report.status}: {report.decision_reason}")])


def unread_count(user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def schedule_digests(item: Submission) -> None:
    """After new items commit, plan a digest for each opted-in reviewer they are queued for. Call it
    once per transaction of new items (one submission, or one import batch): every item of a batch
    has the same submitter's organisation, so one of them stands for all."""
    from curation.tasks import review_digest_plan

    # robust: a broker outage must not turn a committed submission into an error.
    transaction.on_commit(lambda: review_digest_plan.delay(str(item.pk)), robust=True)


def plan_digest(user_id: int, *, lost_after: timedelta = DIGEST_LOST_AFTER) -> datetime | None:
    """Reserve the user's next digest slot: the time to send it at (at most one email an hour), or
    None if one is already planned. A slot whose send has not happened `lost_after` past its time is
    taken to be lost (a broker outage; or no broker, where nothing can wait) and planned afresh, so
    a reviewer's digests never stop for good; the lost send, should it still come, finds its slot
    taken and does nothing."""
    now = timezone.now()
    with transaction.atomic():
        state, _ = DigestState.objects.select_for_update().get_or_create(user_id=user_id)
        if state.scheduled_for is not None and state.scheduled_for + lost_after > now:
            return None
        earliest = state.last_sent_at + DIGEST_INTERVAL if state.last_sent_at else now
        state.scheduled_for = max(now, earliest)
        state.save(update_fields=["scheduled_for"])
    return state.scheduled_for


@dataclass(frozen=True)
class DigestOutcome:
    sent: bool
    retry_at: datetime | None = None  # too early: the slot moved to this time; send again then


def send_digest(user, queue_size: QueueSize, *, slot: datetime | None = None) -> DigestOutcome:
    """Send the digest planned for `slot` if the hour since the last one has passed. Too early (a
    clock or countdown a little ahead), the slot moves to the hour and the caller sends again then.
    A send whose slot was replaced (see `plan_digest`) does nothing. `slot=None` (a send queued
    before slots existed) acts only on a slot nobody else holds."""
    now = timezone.now()
    with transaction.atomic():
        state, _ = DigestState.objects.select_for_update().get_or_create(user_id=user.pk)
        held = state.scheduled_for is not None and state.scheduled_for > now
        if (slot is not None and state.scheduled_for != slot) or (slot is None and held):
            return DigestOutcome(sent=False)
        due = state.last_sent_at + DIGEST_INTERVAL if state.last_sent_at else now
        if now < due:
            state.scheduled_for = due
            state.save(update_fields=["scheduled_for"])
            return DigestOutcome(sent=False, retry_at=due)
        state.scheduled_for = None
        if not queue_size or not user.email:
            state.save(update_fields=["scheduled_for"])
            return DigestOutcome(sent=False)
        state.last_sent_at = now
        state.save(update_fields=["scheduled_for", "last_sent_at"])
    send_mail(
        subject=f"Baseline: {queue_size} item{'s' if queue_size.count != 1 else ''} in your review queue",
        message=(
            f"{queue_size} item{'s wait' if queue_size.count != 1 else ' waits'} for your review in Baseline.\n"
            f"Open your queue: {settings.BASELINE_SITE_URL.rstrip('/')}{reverse('review-queue')}\n\n"
            "You receive at most one such email an hour. Turn it off on your Notices page."
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    return DigestOutcome(sent=True)


def notices_mark_read(*, actor) -> int:
    """Mark every unread notice of `actor` read (their own; a notice is nobody else's to read)."""
    with transaction.atomic():
        return Notice.objects.filter(user=actor, read_at__isnull=True).update(read_at=timezone.now())


def unread_notices(user):
    return Notice.objects.filter(user=user, read_at__isnull=True)
