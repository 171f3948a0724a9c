"""The review-queue email digest keeps going: at most one an hour, never stuck after an early run.

Time moves by editing the stored timestamps (DigestState), never by sleeping."""

from datetime import timedelta

import pytest
from django.core import mail

from config.celery import app
from curation import tasks
from curation.models import DigestState
from curation.notices import services as notices
from tests.curation.helpers import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def opted_in(personas, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reviewer = personas.reviewer
    reviewer.email, reviewer.email_digest = "r1@example.org", True
    reviewer.save()
    return reviewer


@pytest.fixture
def no_broker():
    app.conf.task_always_eager = True  # as in `make run`: tasks in process, countdowns ignored
    try:
        yield
    finally:
        app.conf.task_always_eager = False


def state_of(user) -> DigestState:
    return DigestState.objects.get(user=user)


def go_back(user, delta: timedelta) -> None:
    """Make everything the digest state remembers `delta` older: time moved on by `delta`."""
    state = state_of(user)
    state.last_sent_at = state.last_sent_at - delta if state.last_sent_at else None
    state.scheduled_for = state.scheduled_for - delta if state.scheduled_for else None
    state.save()


def send_planned(user) -> bool:
    """Run the send task for the slot that is planned now, as the broker would deliver it."""
    return tasks.review_digest_send(user.pk, state_of(user).scheduled_for.isoformat())


def test_a_send_that_runs_just_before_the_hour_moves_to_the_hour_and_then_goes_out(personas, opted_in):
    assert tasks.review_digest_plan(str(make_item(personas.investigator).pk)) == 1
    assert send_planned(opted_in) is True
    assert tasks.review_digest_plan(str(make_item(personas.investigator).pk)) == 1
    go_back(opted_in, timedelta(seconds=3599.5))  # the send runs half a second early
    assert send_planned(opted_in) is False
    state = state_of(opted_in)
    assert state.scheduled_for == state.last_sent_at + notices.DIGEST_INTERVAL  # rescheduled, not dropped
    go_back(opted_in, timedelta(seconds=1))  # the rescheduled send's time arrives
    assert send_planned(opted_in) is True
    assert len(mail.outbox) == 2 and "2 items in your review queue" in mail.outbox[1].subject
    assert state_of(opted_in).scheduled_for is None
    assert tasks.review_digest_plan(str(make_item(personas.investigator).pk)) == 1  # and the next is planned


def test_a_lost_send_does_not_stop_digests_for_good(personas, opted_in):
    tasks.review_digest_plan(str(make_item(personas.investigator).pk))
    assert send_planned(opted_in) is True
    tasks.review_digest_plan(str(make_item(personas.investigator).pk))
    lost_slot = state_of(opted_in).scheduled_for.isoformat()  # ...and its task never arrives
    go_back(opted_in, timedelta(hours=2))
    assert tasks.review_digest_plan(str(make_item(personas.investigator).pk)) == 1  # planned afresh
    assert send_planned(opted_in) is True
    assert len(mail.outbox) == 2
    go_back(opted_in, timedelta(hours=2))
    assert tasks.review_digest_send(opted_in.pk, lost_slot) is False  # a stale task sends nothing
    assert len(mail.outbox) == 2


def test_never_more_than_one_digest_an_hour(personas, opted_in):
    tasks.review_digest_plan(str(make_item(personas.investigator).pk))
    slot = state_of(opted_in).scheduled_for.isoformat()
    assert tasks.review_digest_send(opted_in.pk, slot) is True
    assert tasks.review_digest_send(opted_in.pk, slot) is False  # the same task delivered twice
    for _ in range(3):
        tasks.review_digest_plan(str(make_item(personas.investigator).pk))
        assert send_planned(opted_in) is False  # too early, every time
    go_back(opted_in, timedelta(minutes=59))
    assert send_planned(opted_in) is False
    assert len(mail.outbox) == 1


def test_countdowns_round_up_so_a_send_never_runs_before_its_time():
    assert tasks.countdown_for(timedelta(seconds=3599.2)) == 3600
    assert tasks.countdown_for(timedelta(seconds=3600)) == 3600
    assert tasks.countdown_for(timedelta(seconds=-5)) == 0


@pytest.mark.usefixtures("no_broker")
def test_without_a_broker_the_next_submission_after_the_hour_sends_the_waiting_digest(personas, opted_in):
    make_item_and_plan = lambda: tasks.review_digest_plan(str(make_item(personas.investigator).pk))  # noqa: E731
    make_item_and_plan()  # due now: sent at once, in process
    assert len(mail.outbox) == 1
    make_item_and_plan()  # due in an hour: nothing runs early (the countdown would be ignored)
    assert len(mail.outbox) == 1 and state_of(opted_in).scheduled_for is not None
    go_back(opted_in, timedelta(hours=1, seconds=1))
    make_item_and_plan()
    assert len(mail.outbox) == 2 and "3 items" in mail.outbox[1].subject


def test_a_send_queued_before_slots_existed_still_works_once(personas, opted_in):
    tasks.review_digest_plan(str(make_item(personas.investigator).pk))
    assert tasks.review_digest_send(opted_in.pk) is True
    tasks.review_digest_plan(str(make_item(personas.investigator).pk))
    assert tasks.review_digest_send(opted_in.pk) is False  # a slot is held by its own task
    assert len(mail.outbox) == 1
