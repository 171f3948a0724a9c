"""Releases: requesting a build, building it from one snapshot, publishing it signed.

A curator's request creates a `building` release (one at a time: a partial unique index) and
queues `tasks.release_build`. The build snapshots the approved items into the release's
membership table, renders every file from that snapshot by streaming rows into the export
storage, records sizes and SHA-256, writes and signs the manifest, and only then publishes with a
conditional update. Every step can run again: a failed or interrupted build publishes nothing and
its retry keeps the version number.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterable, Iterator

from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from curation import audit, exports, release_rows, signing, signing_keys
from curation.errors import CurationError
from curation.models import Release, ReleaseDelta, ReleaseFile, ReleaseMember
from curation.permissions import may_publish

log = logging.getLogger(__name__)
SPOOL_BYTES = 8 * 1024 * 1024


def export_storage():
    return storages["exports"]


def release_request(*, actor, note: str = "") -> Release:
    """Create (or, after a failure, reuse) the next version as `building` and queue its build."""
    if actor is not None and not may_publish(actor):
        raise CurationError("Only curators publish releases.", code="forbidden", kind="forbidden")
    note = (note or "").strip()
    if len(note) > 500:
        raise CurationError("At most 500 characters.", code="invalid", field="note")
    try:
        with transaction.atomic():
            release = _next_release(actor, note)
            audit.record(actor=actor, action="release.request", obj=release,
                         details={"version": release.version, "attempt": release.attempts + 1})
            transaction.on_commit(lambda: _queue_build(release.pk), robust=True)
    except IntegrityError:
        raise _busy() from None
    return release


def _busy() -> CurationError:
    building = Release.objects.filter(status=Release.Status.BUILDING).values_list("version", flat=True).first()
    return CurationError(
        f"Release {building} is being built; wait for it to finish." if building else "Another build started.",
        code="build_running", kind="conflict",
    )


def _next_release(actor, note: str) -> Release:
    latest = Release.objects.select_for_update().order_by("-version").first()
    if latest is not None and latest.status == Release.Status.BUILDING:
        raise _busy()
    if latest is not None and latest.status == Release.Status.FAILED:
        # A failed build's retry keeps its number, so published versions never have gaps.
        latest.status, latest.note, latest.error, latest.created_by = Release.Status.BUILDING, note, "", actor
        latest.save(update_fields=["status", "note", "error", "created_by"])
        return latest
    version = latest.version + 1 if latest else 1
    return Release.objects.create(
        version=version, note=note, created_by=actor, previous_version=latest.version if latest else None
    )


def _queue_build(release_id: int) -> None:
    from curation.tasks import release_build

    release_build.delay(release_id)


def release_build(release_id: int) -> str:
    """Build and publish `release_id` if it is still building; the status it ends in."""
    if Release.objects.filter(pk=release_id, status=Release.Status.BUILDING).update(attempts=F("attempts") + 1) != 1:
        return Release.objects.filter(pk=release_id).values_list("status", flat=True).first() or "missing"
    release = Release.objects.get(pk=release_id)
    try:
        _progress(release, "taking the snapshot of approved items")
        _snapshot(release)
        files = []
        for number, spec in enumerate(exports.FILES, start=1):
            _progress(release, f"writing {spec.format} ({number} of {len(exports.FILES)})")
            files.append(_render(release, spec))
        _progress(release, "signing the manifest")
        manifest = _manifest(release, files)
        _publish(release, files, manifest)
    except Exception as exc:
        log.exception("Release %s build failed", release.version)
        _fail(release, exc)
        return Release.Status.FAILED
    return Release.Status.PUBLISHED


def _progress(release: Release, step: str) -> None:
    Release.objects.filter(pk=release.pk, status=Release.Status.BUILDING).update(progress=step)


def _snapshot(release: Release) -> None:
    with transaction.atomic():
        ReleaseMember.objects.filter(release=release).delete()
        release_rows.snapshot(release)
        unsupported = release_rows.unsupported_members(release)
        if unsupported:
            raise RuntimeError(f"{unsupported} approved item(s) lack the recorded agreements that approve them")
        counts = release_rows.counts(release)
        Release.objects.filter(pk=release.pk).update(**counts)
    for name, value in counts.items():
        setattr(release, name, value)


def _render(release: Release, spec: exports.FileSpec) -> ReleaseFile:
    name = spec.name(release.version)
    path = f"releases/v{release.version}/{name}"
    size, digest = write_stream(path, release_rows.chunks_for(release, spec.format))
    ReleaseFile.objects.filter(release=release, format=spec.format).delete()
    return ReleaseFile.objects.create(release=release, format=spec.format, feed=spec.feed, name=name, path=path,
                                      size=size, sha256=digest)


def write_stream(path: str, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Stream chunks into the export storage under `path`; (size, SHA-256). Memory stays flat."""
    digest, size = hashlib.sha256(), 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            spool.write(chunk)
        spool.seek(0)
        storage = export_storage()
        if storage.exists(path):
            storage.delete(path)  # an earlier, unpublished attempt
        saved = storage.save(path, File(spool, name=path))
    if saved != path:
        raise RuntimeError(f"storage saved {path} as {saved}")
    return size, digest.hexdigest()


def _manifest(release: Release, files: list[ReleaseFile]) -> dict:
    previous = Release.objects.filter(version=release.version - 1, status=Release.Status.PUBLISHED).first()
    key = signing_keys.active()
    return {
        "list": "baseline",
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
    }


def _publish(release: Release, files: list[ReleaseFile], manifest: dict) -> None:
    body = signing.canonical_manifest(manifest)
    key = signing_keys.active()
    signature = signing.sign(signing_keys.private_key(), body)
    with transaction.atomic():
        published = Release.objects.filter(pk=release.pk, status=Release.Status.BUILDING).update(
            status=Release.Status.PUBLISHED, published_at=timezone.now(), manifest=body, progress="",
            manifest_sha256=hashlib.sha256(body).hexdigest(), signature=signature, key_id=key.key_id,
            previous_version=manifest["previous_version"],
        )
        if published != 1:
            raise RuntimeError("the release was no longer building")
        audit.record(actor=None, action="release.publish", obj=release, details={
            "version": release.version, "manifest_sha256": hashlib.sha256(body).hexdigest(),
            "item_count": release.item_count, "added": release.added, "removed": release.removed,
        })


def _fail(release: Release, exc: Exception) -> None:
    with transaction.atomic():
        if Release.objects.filter(pk=release.pk, status=Release.Status.BUILDING).update(
            status=Release.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        ):
            audit.record(actor=None, action="release.fail", obj=release,
                         details={"version": release.version, "error": type(exc).__name__})


def open_file(path: str):
    return export_storage().open(path, "rb")


def delta_since(release: Release, since: int) -> ReleaseDelta:
    """The delta from published version `since` to `release`, made once and kept."""
    if not Release.objects.filter(version=since, status=Release.Status.PUBLISHED).exists() or since >= release.version:
        raise CurationError(f"since must be a published version below {release.version}.", code="invalid",
                            field="since")
    existing = ReleaseDelta.objects.filter(release=release, since_version=since).first()
    if existing is not None:
        return existing
    name = f"baseline-v{release.version}.delta-since-v{since}.csv"
    path = f"releases/v{release.version}/{name}"
    earlier = Release.objects.get(version=since)
    size, digest = write_stream(path, exports.render_delta(release_rows.delta_rows(release, earlier)))
    try:
        with transaction.atomic():
            return ReleaseDelta.objects.create(release=release, since_version=since, name=name, path=path,
                                               size=size, sha256=digest)
    except IntegrityError:  # made meanwhile by another request: identical bytes
        return ReleaseDelta.objects.get(release=release, since_version=since)


def chunks_of(handle, size: int = 64 * 1024) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk
