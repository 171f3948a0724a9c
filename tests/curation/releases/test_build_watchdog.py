"""A killed worker (issue 13 item 6): builds beat from a thread of their own; the watchdog that beat
runs every minute restarts, as a new attempt, a build silent for BASELINE_BUILD_STALE_SECONDS, and
only such a build: not a live one holding its row lock through a long step, not twice when two
watchdogs run at once. Real threads and connections on PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from core.models import AuditEntry
from curation import tasks
from curation.models import BuildHeartbeat, Release
from curation.releases import build
from curation.releases.services import release_request
from tests.conftest import ensure_initial_data
from tests.curation.helpers import approved_item


def killed_build(personas) -> Release:
    """A build whose worker died after taking its attempt: building, attempt 1, silent since."""
    ensure_initial_data()  # a transactional test may start after another flushed the tables
    approved_item(personas)
    release = Release.objects.create(version=1)
    build.attempt_start(release.pk)
    BuildHeartbeat.objects.filter(release_id=release.pk).update(beat_at=timezone.now() - timedelta(minutes=3))
    return release


@pytest.fixture
def eager():
    app = tasks.release_build.app
    before, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield
    app.conf.task_always_eager = before


@pytest.mark.django_db
def test_a_silent_build_is_restarted_as_a_new_attempt_and_publishes(personas, eager,
                                                                    django_capture_on_commit_callbacks):
    release = killed_build(personas)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.release_build_watchdog() == [1]
    release.refresh_from_db()
    assert (release.status, release.attempts) == ("published", 2)
    entry = AuditEntry.objects.get(action="release.restart")
    assert entry.details["version"] == 1 and entry.details["attempt"] == 2
    assert 170 <= entry.details["silent_seconds"] <= 200
    assert tasks.release_build_watchdog() == []  # published: nothing to restart


@pytest.mark.django_db
def test_a_build_that_beats_is_left_alone(personas, django_capture_on_commit_callbacks):
    release = killed_build(personas)
    BuildHeartbeat.objects.filter(release_id=release.pk).update(beat_at=timezone.now() - timedelta(seconds=100))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert build.restart_stale_builds() == []
    assert not queued and not AuditEntry.objects.filter(action="release.restart").exists()


@pytest.mark.django_db
def test_a_request_counts_as_a_beat_until_the_first_attempt(personas, django_capture_on_commit_callbacks):
    """A build whose task was lost before any worker took it is restarted too, counted from its
    request; a failed build asked for again does not inherit its old silence."""
    approved_item(personas)
    release = release_request(actor=personas.curator)  # queued to a broker no worker reads
    beat = BuildHeartbeat.objects.get(release_id=release.pk)
    assert timezone.now() - beat.beat_at < timedelta(seconds=5) and beat.attempt == 0
    assert build.restart_stale_builds() == []
    Release.objects.filter(pk=release.pk).update(status="failed")
    BuildHeartbeat.objects.filter(release_id=release.pk).update(beat_at=timezone.now() - timedelta(hours=1))
    release_request(actor=personas.curator)  # the retry, same version
    assert build.restart_stale_builds() == []
    BuildHeartbeat.objects.filter(release_id=release.pk).update(beat_at=timezone.now() - timedelta(minutes=5))
    assert build.restart_stale_builds() == [1]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_build_holding_its_row_lock_is_alive_whatever_its_heartbeat(personas):
    """The snapshot holds the release's row lock for minutes at 10M signatures; a dead worker's lock
    goes with its connection. So a locked release is never restarted."""
    release = killed_build(personas)
    locked, release_lock = threading.Event(), threading.Event()

    def long_step():
        try:
            with transaction.atomic():
                Release.objects.select_for_update().get(pk=release.pk)
                locked.set()
                release_lock.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=long_step)
    worker.start()
    assert locked.wait(10)
    try:
        assert build.restart_stale_builds() == []
    finally:
        release_lock.set()
        worker.join(10)
    assert build.restart_stale_builds() == [1]  # lock gone, still silent: restarted


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_watchdogs_at_once_restart_a_build_once(personas):
    release = killed_build(personas)
    results, start = [], threading.Barrier(4)

    def watchdog():
        try:
            start.wait(10)
            results.append(build.restart_stale_builds())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=watchdog) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(map(tuple, results)) == [(), (), (), (1,)]
    assert AuditEntry.objects.filter(action="release.restart", object_id=str(release.pk)).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_beats_from_its_own_thread_for_its_own_attempt_only(personas, settings):
    settings.BASELINE_BUILD_HEARTBEAT_SECONDS = 0.2
    release = killed_build(personas)
    silent_since = BuildHeartbeat.objects.get(release_id=release.pk).beat_at
    with build.heartbeat(release.pk, 1):  # the main thread busy elsewhere: the thread beats
        deadline = time.monotonic() + 10
        while BuildHeartbeat.objects.get(release_id=release.pk).beat_at == silent_since:
            assert time.monotonic() < deadline, "no beat within 10 s"
            time.sleep(0.05)
    beaten = BuildHeartbeat.objects.get(release_id=release.pk).beat_at
    assert beaten - silent_since > timedelta(minutes=2)
    build.attempt_start(release.pk)  # attempt 2 takes the beat over
    taken = BuildHeartbeat.objects.get(release_id=release.pk)
    with build.heartbeat(release.pk, 1):  # a lost attempt that is still running
        time.sleep(0.5)  # two beat periods: time must pass for a beat that must not happen
    assert BuildHeartbeat.objects.get(release_id=release.pk) == taken
    assert BuildHeartbeat.objects.get(release_id=release.pk).beat_at == taken.beat_at
