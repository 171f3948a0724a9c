"""Two runs of the same build (a broker redelivery, `publish_release --resume`) can overlap; only
the newest attempt writes and publishes, and a published release never changes (invariant 4).

Real threads with their own PostgreSQL connections; a run is paused at a chosen step by wrapping
that step, so the interleavings are exact rather than left to chance."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core.models import AuditEntry
from curation import tasks
from curation.models import Listing, Release, ReleaseFile
from curation.releases import build as releases
from curation.releases import membership as release_rows
from curation.releases.storage import export_storage, open_file
from curation.submissions.services import item_retract
from tests.curation.helpers import approved_item, publish

TIMEOUT = 60


def building_release() -> Release:
    """A `building` release whose build nobody has queued (the test runs the attempts itself): the
    row release_request makes, without its queued build; no service makes one on purpose."""
    latest = Release.objects.filter(status=Release.Status.PUBLISHED).order_by("-version").first()
    return Release.objects.create(version=latest.version + 1 if latest else 1,
                                  previous_version=latest.version if latest else None)


def state(release_pk: int) -> tuple:
    """Everything a published release is: its row, its membership, its recorded and stored files."""
    release = Release.objects.get(pk=release_pk)
    row = (release.status, bytes(release.manifest or b""), release.manifest_sha256, release.signature,
           release.key_id, release.published_at, release.item_count, release.signature_counts, release.added,
           release.removed, release.attempts)
    members = sorted(Listing.objects.members(release.version).values_list("submission_id", "added_in_version"))
    files = {}
    for record in ReleaseFile.objects.filter(release=release):
        with open_file(record.path) as handle:
            files[record.format] = (record.name, record.path, record.size, record.sha256, handle.read())
    return row, members, files


def verified(version: int, capsys) -> bool:
    call_command("verify_release", str(version))  # exits 1 on any mismatch
    return f"Release {version} verified" in capsys.readouterr().out


def publications(version: int) -> int:
    return AuditEntry.objects.filter(action="release.publish", details__version=version).count()


class Pauses:
    """Stop the build running in a named thread at a step, until the test lets it go on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.monkeypatch = monkeypatch
        self.reached: dict[str, threading.Event] = {}
        self.go_on: dict[str, threading.Event] = {}
        self.steps: dict[str, str] = {}
        self.wrapped: set[str] = set()

    def add(self, thread: str, step: str) -> None:
        self.reached[thread], self.go_on[thread] = threading.Event(), threading.Event()
        self.steps[thread] = step
        if step in self.wrapped:
            return
        self.wrapped.add(step)
        # snapshot: attempt taken, snapshot not yet taken. render: the csv recorded, the json next.
        # publish: every file recorded, the manifest next. None of these holds a lock.
        module, name = {"snapshot": (releases, "snapshot"), "render": (release_rows, "chunks_for"),
                        "publish": (releases, "_manifest")}[step]
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            if step != "render" or args[1] == "json":
                self._pause(step)
            return original(*args, **kwargs)

        self.monkeypatch.setattr(module, name, wrapper)

    def _pause(self, step: str) -> None:
        name = threading.current_thread().name
        if self.steps.get(name) == step and not self.reached[name].is_set():
            self.reached[name].set()
            assert self.go_on[name].wait(TIMEOUT), f"{name} was never let go on"

    def wait_until_paused(self, thread: str) -> None:
        assert self.reached[thread].wait(TIMEOUT), f"{thread} never reached its pause"

    def release(self, thread: str) -> None:
        self.go_on[thread].set()


def run_build(name: str, release_pk: int, results: dict[str, str]) -> threading.Thread:
    def target() -> None:
        try:
            results[name] = tasks.release_build(release_pk)
        except BaseException as exc:  # reported by the test, not swallowed
            results[name] = f"raised {exc!r}"
        finally:
            connection.close()

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


@pytest.fixture
def listed(personas):
    return [approved_item(personas, algorithms=("md5", "sha1", "photodna")),
            approved_item(personas, algorithms=("sha256", "pdq")),
            approved_item(personas, media_type="video", algorithms=("md5", "vpdq"))]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("step", ["snapshot", "render", "publish"])
def test_a_stale_attempt_resuming_after_a_newer_one_published_changes_nothing(personas, listed, monkeypatch,
                                                                              capsys, step):
    release = building_release()
    pauses, results = Pauses(monkeypatch), {}
    pauses.add("first", step)
    first = run_build("first", release.pk, results)
    pauses.wait_until_paused("first")
    # The list moves on while the first run hangs, so its snapshot would differ from the published one.
    item_retract(actor=personas.curator, item=listed[0], reason="not the file it claimed")
    newcomer = approved_item(personas, algorithms=("md5", "sha1"))

    assert tasks.release_build(release.pk) == "published"  # the redelivery takes the build over
    published = state(release.pk)
    assert verified(1, capsys)
    assert [m for (m, _) in published[1]] == sorted([listed[1].pk, listed[2].pk, newcomer.pk])
    assert {path.rsplit("/", 1)[0] for (_, path, _, _, _) in published[2].values()} == {"releases/v1/attempt-2"}
    assert {name for (name, *_rest) in published[2].values()} >= {"baseline-v1.csv", "baseline-v1.vics.json"}

    pauses.release("first")
    first.join(TIMEOUT)
    assert results["first"] == "published"  # it stopped quietly: no failure recorded
    assert state(release.pk) == published and verified(1, capsys)
    assert publications(1) == 1 and not AuditEntry.objects.filter(action="release.fail").exists()
    storage = export_storage()
    leftovers = [name for folder in storage.listdir("releases/v1")[0] if folder != "attempt-2"
                 for name in storage.listdir(f"releases/v1/{folder}")[1]]
    assert leftovers == []  # the stale run's files: swept on publication, or deleted by the run itself
    assert tasks.release_build(release.pk) == "published"  # and a late run after that changes nothing
    assert state(release.pk) == published


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_older_attempt_going_on_while_a_newer_one_holds_the_build_stops_without_writing(personas, listed,
                                                                                           monkeypatch, capsys):
    release = building_release()
    pauses, results = Pauses(monkeypatch), {}
    pauses.add("older", "render")
    pauses.add("newer", "render")
    older = run_build("older", release.pk, results)
    pauses.wait_until_paused("older")
    newer = run_build("newer", release.pk, results)
    pauses.wait_until_paused("newer")
    held = state(release.pk)
    assert held[0][0] == "building" and held[0][-1] == 2
    assert sorted(path for (_, path, *_rest) in held[2].values()) == [
        "releases/v1/attempt-2/baseline-v1.csv", "releases/v1/attempt-2/baseline-v1.csv.gz"]

    pauses.release("older")  # renders json under its own path, then finds the build is not its own
    older.join(TIMEOUT)
    assert results["older"] == "building"
    assert state(release.pk) == held
    storage = export_storage()
    # It wrote the json under its own path, found the build taken and deleted it (never recorded).
    assert sorted(storage.listdir("releases/v1/attempt-1")[1]) == [  # recorded, then replaced
        "baseline-v1.csv", "baseline-v1.csv.gz"]

    pauses.release("newer")
    newer.join(TIMEOUT)
    assert results["newer"] == "published" and publications(1) == 1 and verified(1, capsys)
    assert ReleaseFile.objects.filter(release=release).exclude(path__startswith="releases/v1/attempt-2/").count() == 0
    assert storage.listdir("releases/v1/attempt-1")[1] == []  # the publication swept the older attempt's files
    release.refresh_from_db()
    assert sorted(storage.listdir("releases/v1/attempt-2")[1]) == sorted(  # its files and its matching index
        [*ReleaseFile.objects.filter(release=release).values_list("name", flat=True), "baseline-v1.match-index"])
    assert release.match_index_path == "releases/v1/attempt-2/baseline-v1.match-index"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_runs_of_one_build_publish_it_exactly_once(personas, listed, capsys):
    for version in range(1, 5):
        release = building_release()
        barrier, results = threading.Barrier(3), {}

        def build(name: str, barrier=barrier, results=results, pk=release.pk) -> None:
            try:
                barrier.wait(TIMEOUT)
                results[name] = tasks.release_build(pk)
            finally:
                connection.close()

        threads = [threading.Thread(target=build, args=(f"run{n}",)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        published = state(release.pk)
        assert published[0][0] == "published", (version, results, published[0])
        # Runs that lost the build stopped quietly (with the status they saw then); none failed.
        assert len(results) == 3 and set(results.values()) <= {"published", "building"}, results
        assert publications(version) == 1 and verified(version, capsys)
        attempt_dirs = {path.rsplit("/", 1)[0] for (_, path, *_rest) in published[2].values()}
        assert len(attempt_dirs) == 1, attempt_dirs
        assert tasks.release_build(release.pk) == "published"
        assert state(release.pk) == published


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_publish_release_resume_while_the_first_run_is_alive_publishes_once(personas, listed, monkeypatch, capsys):
    """--resume queues the build again though its first run is only slow; the queued run takes the
    build over and publishes, and the first run, going on, changes nothing."""
    from config.celery import app

    release = building_release()
    pauses, results = Pauses(monkeypatch), {}
    pauses.add("first", "render")
    first = run_build("first", release.pk, results)
    pauses.wait_until_paused("first")
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True  # the queued run runs here
    try:
        call_command("publish_release", "--resume", "--wait", "--timeout", "30")
    finally:
        app.conf.task_always_eager = eager
    out = capsys.readouterr().out
    assert "Release 1: build queued again." in out and "Release 1 published: 3 items" in out
    published = state(release.pk)

    pauses.release("first")
    first.join(TIMEOUT)
    assert results["first"] == "published"
    assert state(release.pk) == published and publications(1) == 1 and verified(1, capsys)


@pytest.mark.django_db
def test_the_database_refuses_any_change_to_a_published_release(personas, listed):
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    release = publish(personas.curator)
    stay, record = Listing.objects.members(release.version).first(), release.files.first()
    newcomer = approved_item(personas, algorithms=("md5",))
    changes: list[Callable[[], object]] = [
        lambda: Release.objects.filter(pk=release.pk).update(item_count=99),
        lambda: Release.objects.filter(pk=release.pk).update(status="building"),
        lambda: Release.objects.filter(pk=release.pk).update(progress="again"),
        lambda: _sql("DELETE FROM curation_release WHERE id = %s", release.pk),
        lambda: ReleaseFile.objects.filter(pk=record.pk).update(sha256="0" * 64),
        lambda: ReleaseFile.objects.filter(pk=record.pk).delete(),
        lambda: ReleaseFile.objects.create(release=release, format="extra", feed="standard", name="x", path="x",
                                           size=0, sha256="0" * 64),
    ]
    for change in changes:
        with pytest.raises(DatabaseError, match="release 1 is published and never changes"), transaction.atomic():
            change()
    Release.objects.get(pk=release.pk).save()  # writing back the same values changes nothing: allowed
    # The membership: nothing of a published stay changes, and no stay is added, while no build runs.
    refused = [
        lambda: Listing.objects.filter(pk=stay.pk).update(added_in_version=9),
        lambda: Listing.objects.filter(pk=stay.pk).update(entered_version=2),
        lambda: Listing.objects.filter(pk=stay.pk).update(left_version=2),  # version 2 is not being built
        lambda: Listing.objects.filter(pk=stay.pk).delete(),
        lambda: Listing.objects.create(submission=newcomer, entered_version=1, added_in_version=1),
        lambda: Listing.objects.create(submission=newcomer, entered_version=2, added_in_version=2),
        lambda: _sql("TRUNCATE curation_listing CASCADE"),
    ]
    for change in refused:
        with pytest.raises(DatabaseError, match=r"never changes|TRUNCATE"), transaction.atomic():
            change()
    second = building_release()  # a release still building is the build's to write
    refused_while_building = [
        lambda: Listing.objects.filter(pk=stay.pk).update(left_version=3),  # not the version being built
        lambda: Listing.objects.create(submission=newcomer, entered_version=1, added_in_version=1),
        lambda: Listing.objects.create(submission=newcomer, entered_version=2, added_in_version=2,
                                       left_version=3),
        lambda: Listing.objects.filter(pk=stay.pk).delete(),  # entered by a published version
    ]
    for change in refused_while_building:
        with pytest.raises(DatabaseError, match=r"never changes|listing_leaves_after_entering"), transaction.atomic():
            change()
    opened = Listing.objects.create(submission=newcomer, entered_version=2, added_in_version=2)
    assert Listing.objects.filter(pk=stay.pk).update(left_version=second.version) == 1  # closed by the build
    assert Listing.objects.filter(pk=stay.pk).update(left_version=None) == 1  # a retry undoes it
    assert Listing.objects.filter(pk=opened.pk).delete()[0] == 1


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
