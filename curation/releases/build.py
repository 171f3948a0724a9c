"""Releases: requesting a build, building it from one snapshot, publishing it signed.

A curator's request creates a `building` release (one at a time per list: a partial unique index)
and queues `tasks.release_build`. The build fixes the release's membership (closing and opening
stays on the list, `membership.snapshot`), renders every file from that snapshot by streaming rows into the export
storage, records sizes and SHA-256, writes and signs the manifest, and only then publishes with a
conditional update. A failed or interrupted build publishes nothing and its retry keeps the
version number.

More than one run of the same build can exist at once: the broker redelivers a task whose worker
died, and `publish_release --resume` queues one more. Each run is an *attempt*: it takes the build
over by raising the release's `attempts` counter (under the release's row lock) and from then on
owns it until a newer attempt takes over. Every write an attempt makes to the release, its
membership or its file rows happens under that row lock and only while the release is still
`building` and still owned by the attempt; a run that has lost the build stops quietly. Each
attempt writes its files under its own storage path (`releases/vN/attempt-K/`), so no run ever
overwrites a file another run wrote, and the publish is a conditional update on (`building`, this
attempt). Only once published are other attempts' files of that version deleted (no row refers to
them). Once published, the database itself refuses any change to the
release or its file rows (triggers, migration 0008) and any change to its membership but the
closing of a stay by the version being built (migration 0013).
"""

from __future__ import annotations

import hashlib
import logging
import queue
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core import audit
from core.actions import AuditAction
from core.actors import SYSTEM
from curation.matching import index as match_index
from curation.models import BuildHeartbeat, Release, ReleaseFile
from curation.releases import exports, membership, signing, signing_keys
from curation.releases.services import build_beat, queue_build, signing_key_register
from curation.releases.storage import SPOOL_BYTES, Stored, chunks_of, export_storage, write_stream

log = logging.getLogger(__name__)


class Superseded(Exception):
    """This attempt no longer owns the build: a newer attempt took it over, or the build ended."""


def release_build(release_id: int) -> str:
    """Take the build of `release_id` over if it is still building, and build and publish it.

    Returns the status the release is in when this attempt ends (an attempt that lost the build to
    a newer one returns quietly with whatever the release is by then)."""
    attempt = attempt_start(release_id)
    if attempt is None:
        return _status(release_id)
    release = Release.objects.get(pk=release_id)
    with heartbeat(release.pk, attempt):
        return _build(release, attempt)


def _build(release: Release, attempt: int) -> str:
    release_id = release.pk
    try:
        _progress(release, attempt, "taking the snapshot of approved items")
        snapshot(release, attempt)
        files = []
        for number, spec in enumerate(exports.FILES, start=1):
            _progress(release, attempt, f"writing {spec.format} ({number} of {len(exports.FILES)})")
            files.extend(render_file(release, attempt, spec))
        _progress(release, attempt, "writing the matching index")
        index = write_stream(attempt_path(release, attempt, f"{release.list}-v{release.version}.match-index"),
                             match_index.write(release.version, release.list,
                                               lambda algorithm: membership.algorithm_rows(release, algorithm)))
        _progress(release, attempt, "signing the manifest")
        manifest = _manifest(release, files)
        _publish(release, attempt, files, manifest, index)
    except Superseded:
        log.info("Release %s attempt %s stopped: the build is no longer its own", release.version, attempt)
        return _status(release_id)
    except Exception as exc:
        log.exception("Release %s build (attempt %s) failed", release.version, attempt)
        _fail(release, attempt, exc)
        return _status(release_id)
    try:
        _sweep_other_attempts(release, attempt)
    except OSError:  # the release is published; leftovers only cost space
        log.warning("Release %s: could not remove files of other attempts", release.version, exc_info=True)
    return Release.Status.PUBLISHED


def _status(release_id: int) -> str:
    return Release.objects.filter(pk=release_id).values_list("status", flat=True).first() or "missing"


def attempt_start(release_id: int) -> int | None:
    """Take the build over: the new attempt number, or None if the release is not building."""
    with transaction.atomic():
        release = Release.objects.select_for_update().filter(pk=release_id, status=Release.Status.BUILDING).first()
        if release is None:
            return None
        release.attempts += 1
        release.progress = "starting"
        release.save(update_fields=["attempts", "progress"])
        build_beat(release.pk, release.attempts)
        return release.attempts


# Heartbeat and watchdog (DESIGN.md section 14) ----------------------------------------------------

@contextmanager
def heartbeat(release_id: int, attempt: int) -> Iterator[None]:
    """Beat from a thread of its own every BASELINE_BUILD_HEARTBEAT_SECONDS while the build runs,
    whatever step it is in; only while this attempt still owns the beat (a newer one takes it)."""
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.wait(settings.BASELINE_BUILD_HEARTBEAT_SECONDS):
                BuildHeartbeat.objects.filter(release_id=release_id, attempt=attempt).update(beat_at=timezone.now())
        except Exception:  # a beat lost to a database hiccup only risks a restart, never the build
            log.warning("Release build heartbeat stopped", exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=f"release-{release_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def restart_stale_builds() -> list[int]:
    """Queue a new attempt of every build silent for more than BASELINE_BUILD_STALE_SECONDS (its
    worker was killed outright, or its task was lost): the versions restarted. A build holding its
    release's row lock is alive (a dead worker's lock goes with its connection) and is left alone;
    claiming the restart moves the heartbeat on, so two watchdogs never restart a build twice."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.BASELINE_BUILD_STALE_SECONDS)
    restarted = []
    for release_id in Release.objects.filter(status=Release.Status.BUILDING).values_list("pk", flat=True):
        with transaction.atomic():
            release = (Release.objects.select_for_update(skip_locked=True)
                       .filter(pk=release_id, status=Release.Status.BUILDING).first())
            if release is None:
                continue
            last = BuildHeartbeat.objects.filter(release_id=release_id).values_list("beat_at", flat=True).first()
            if last is None:
                BuildHeartbeat.objects.get_or_create(release_id=release_id, defaults={"beat_at": release.created_at})
                last = release.created_at
            if last >= cutoff or not BuildHeartbeat.objects.filter(release_id=release_id, beat_at=last).update(
                    beat_at=now):
                continue
            audit.record(actor=SYSTEM, action=AuditAction.RELEASE_RESTART, obj=release, details={
                "version": release.version, "attempt": release.attempts + 1,
                "silent_seconds": int((now - last).total_seconds())})
            transaction.on_commit(lambda pk=release_id: queue_build(pk), robust=True)
            restarted.append(release.version)
    return restarted


@contextmanager
def _owned(release: Release, attempt: int) -> Iterator[None]:
    """A transaction holding the release's row lock, entered only while `attempt` owns the build."""
    with transaction.atomic():
        state = Release.objects.select_for_update().filter(pk=release.pk).values_list("status", "attempts").first()
        if state != (Release.Status.BUILDING, attempt):
            raise Superseded
        yield


def _progress(release: Release, attempt: int, step: str) -> None:
    if not Release.objects.filter(pk=release.pk, status=Release.Status.BUILDING, attempts=attempt).update(
        progress=step
    ):
        raise Superseded


def snapshot(release: Release, attempt: int) -> None:
    with _owned(release, attempt):
        ReleaseFile.objects.filter(release=release).delete()  # an earlier attempt's; this one renders all
        membership.snapshot(release)  # undoes an earlier attempt's membership changes first
        unsupported = membership.unsupported_members(release)
        if unsupported:
            raise RuntimeError(f"{unsupported} approved item(s) lack the recorded agreements that approve them")
        counts = membership.counts(release)
        Release.objects.filter(pk=release.pk).update(**counts)
    for name, value in counts.items():
        setattr(release, name, value)


def attempt_path(release: Release, attempt: int, name: str) -> str:
    return f"releases/v{release.version}/attempt-{attempt}/{name}"


def render_file(release: Release, attempt: int, spec: exports.FileSpec) -> list[ReleaseFile]:
    """Render one file from the membership and store it, with its gzip copy compressed on the way
    (in a thread of its own: zlib runs outside the GIL, beside the rendering); both recorded."""
    rendered = [spec]
    stored = []
    copy = spec.gzip_copy
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        chunks = membership.chunks_for(release, spec.format)
        name = spec.name(release.version)
        stored.append(write_stream(attempt_path(release, attempt, name),
                                   chunks if copy is None else _compressed_into(chunks, spool)))
        if copy is not None:
            spool.seek(0)
            rendered.append(copy)
            stored.append(write_stream(attempt_path(release, attempt, copy.name(release.version)),
                                       chunks_of(spool)))
    try:
        with _owned(release, attempt):
            ReleaseFile.objects.filter(release=release, format__in=[s.format for s in rendered]).delete()
            return [ReleaseFile.objects.create(release=release, format=s.format, feed=s.feed,
                                               name=s.name(release.version), path=f.path, size=f.size,
                                               sha256=f.sha256) for s, f in zip(rendered, stored, strict=True)]
    except Superseded:
        for f in stored:
            export_storage().delete(f.path)  # never recorded, so never served: nothing to keep
        raise


def _compressed_into(chunks: Iterator[bytes], out) -> Iterator[bytes]:
    """Pass `chunks` through while a thread writes their deterministic gzip to `out`. The queue is
    bounded, so memory stays a few chunks whatever the file's size."""
    work: queue.Queue = queue.Queue(maxsize=16)
    failure: list[BaseException] = []

    def compress() -> None:
        gz = exports.GzipCopy()
        try:
            while (chunk := work.get()) is not None:
                out.write(gz.feed(chunk))
            out.write(gz.finish())
        except BaseException as exc:  # handed to the build, which fails
            failure.append(exc)
            while work.get() is not None:  # keep draining so the producer never blocks
                pass

    thread = threading.Thread(target=compress, name="release-gzip", daemon=True)
    thread.start()
    finished = False
    try:
        for chunk in chunks:
            work.put(chunk)
            yield chunk
        finished = True
    finally:
        work.put(None)
        thread.join()
    if finished and failure:
        raise failure[0]


def _sweep_other_attempts(release: Release, attempt: int) -> None:
    """Once published, delete what earlier (or lost) attempts of this version left in storage. No
    row refers to those files; a run still writing one deletes its own file when it finds the build
    taken (`_render`)."""
    storage = export_storage()
    try:
        folders, _ = storage.listdir(f"releases/v{release.version}")
    except FileNotFoundError:
        return
    for folder in folders:
        if folder.startswith("attempt-") and folder != f"attempt-{attempt}":
            base = f"releases/v{release.version}/{folder}"
            for name in storage.listdir(base)[1]:
                storage.delete(f"{base}/{name}")


def _manifest(release: Release, files: list[ReleaseFile]) -> dict:
    previous = Release.objects.filter(list=release.list, version=release.version - 1,
                                      status=Release.Status.PUBLISHED).first()
    key = signing_key_register()
    return {
        "list": release.list,
        "version": release.version,
        "previous_version": previous.version if previous else None,
        "previous_manifest_sha256": previous.manifest_sha256 if previous else None,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "item_count": release.item_count,
        "signature_counts": release.signature_counts,
        "added": release.added,
        "removed": release.removed,
        "audit_head": audit.head_hash(),
        "key_id": key.key_id,
        "files": [{"format": f.format, "feed": f.feed, "name": f.name, "size": f.size, "sha256": f.sha256}
                  for f in files],
        **({"next_key": successor} if (successor := signing_keys.next_public_key()) else {}),
    }


def _publish(release: Release, attempt: int, files: list[ReleaseFile], manifest: dict, index: Stored) -> None:
    body = signing.canonical_manifest(manifest)
    key = signing_key_register()
    signature = signing.sign(signing_keys.private_key(), body)
    with _owned(release, attempt):
        recorded = set(ReleaseFile.objects.filter(release=release).values_list("pk", flat=True))
        if recorded != {f.pk for f in files}:
            raise RuntimeError("the release's file records are not the ones this attempt wrote")
        published = Release.objects.filter(pk=release.pk, status=Release.Status.BUILDING, attempts=attempt).update(
            status=Release.Status.PUBLISHED, published_at=timezone.now(), manifest=body, progress="",
            manifest_sha256=hashlib.sha256(body).hexdigest(), signature=signature, key_id=key.key_id,
            previous_version=manifest["previous_version"], match_index_path=index.path,
            match_index_sha256=index.sha256,
        )
        if published != 1:
            raise Superseded
        audit.record(actor=SYSTEM, action=AuditAction.RELEASE_PUBLISH, obj=release, details={
            "version": release.version, "manifest_sha256": hashlib.sha256(body).hexdigest(),
            "item_count": release.item_count, "added": release.added, "removed": release.removed,
        })


def _fail(release: Release, attempt: int, exc: Exception) -> None:
    with transaction.atomic():
        if Release.objects.filter(pk=release.pk, status=Release.Status.BUILDING, attempts=attempt).update(
            status=Release.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], progress=""
        ):
            audit.record(actor=SYSTEM, action=AuditAction.RELEASE_FAIL, obj=release,
                         details={"version": release.version, "error": type(exc).__name__})
