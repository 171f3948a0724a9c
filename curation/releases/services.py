"""Writes about releases other than the build itself: requesting a build, making a delta on
request, logging a download, registering the signing key, and partners' feed entitlements."""

from __future__ import annotations

import base64

from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.network import client_address
from accounts.permissions import allows
from accounts.services import organisation_group_ensure
from core import audit
from core.actions import AuditAction
from core.actors import SYSTEM, person
from core.errors import DomainError
from curation import permissions
from curation.models import BuildHeartbeat, Download, Feed, Release, ReleaseDelta, SigningKey
from curation.models.releases import BASELINE_LIST
from curation.releases import exports, membership, signing, signing_keys
from curation.releases.storage import export_storage, write_stream

MAX_NOTE = Release._meta.get_field("note").max_length


def release_request(*, actor, note: str = "") -> Release:
    """Create (or, after a failure, reuse) the next version as `building` and queue its build."""
    if not allows(actor, permissions.may_publish):
        raise DomainError("Only curators publish releases.", code="forbidden", kind="forbidden")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(f"At most {MAX_NOTE} characters.", code="invalid", field="note")
    try:
        with transaction.atomic():
            release = _next_release(actor, note)
            audit.record(actor=actor, action=AuditAction.RELEASE_REQUEST, obj=release,
                         details={"version": release.version, "attempt": release.attempts + 1})
            transaction.on_commit(lambda: queue_build(release.pk), robust=True)
    except IntegrityError:
        raise _busy() from None
    return release


def _busy() -> DomainError:
    building = Release.objects.filter(status=Release.Status.BUILDING).values_list("version", flat=True).first()
    return DomainError(
        f"Release {building} is being built; wait for it to finish." if building else "Another build started.",
        code="build_running", kind="conflict",
    )


def _next_release(actor, note: str) -> Release:
    latest = Release.objects.select_for_update().filter(list=BASELINE_LIST).order_by("-version").first()
    if latest is not None and latest.status == Release.Status.BUILDING:
        raise _busy()
    if latest is not None and latest.status == Release.Status.FAILED:
        # A failed build's retry keeps its number, so published versions never have gaps.
        latest.status, latest.note, latest.error, latest.created_by = Release.Status.BUILDING, note, "", person(actor)
        latest.progress = ""
        latest.save(update_fields=["status", "note", "error", "created_by", "progress"])
        _beat_requested(latest)
        return latest
    version = latest.version + 1 if latest else 1
    release = Release.objects.create(
        version=version, note=note, created_by=person(actor), previous_version=latest.version if latest else None
    )
    _beat_requested(release)
    return release


def _beat_requested(release: Release) -> None:
    """The watchdog counts a build's silence from its request until its first attempt beats."""
    build_beat(release.pk, release.attempts)


def build_beat(release_id: int, attempt: int) -> None:
    """Record that `attempt` of the build is alive now (an attempt that starts takes the row over)."""
    BuildHeartbeat.objects.update_or_create(release_id=release_id,
                                            defaults={"attempt": attempt, "beat_at": timezone.now()})


def queue_build(release_id: int) -> None:
    from curation.tasks import release_build

    release_build.delay(release_id)


def delta_since(release: Release, since: int) -> ReleaseDelta:
    """The delta from published version `since` to `release`, made once (by the first request, under
    the release's row lock; concurrent first requests wait for it) and then kept."""
    if not Release.objects.filter(version=since, status=Release.Status.PUBLISHED).exists() or since >= release.version:
        raise DomainError(f"since must be a published version below {release.version}.", code="invalid",
                            field="since")
    existing = ReleaseDelta.objects.filter(release=release, since_version=since).first()
    if existing is not None:
        return existing
    earlier = Release.objects.get(version=since)
    name = f"baseline-v{release.version}.delta-since-v{since}.csv"
    with transaction.atomic():
        Release.objects.select_for_update().filter(pk=release.pk).values_list("pk", flat=True).first()
        existing = ReleaseDelta.objects.filter(release=release, since_version=since).first()
        if existing is not None:  # made by the request we waited for
            return existing
        stored = write_stream(f"releases/v{release.version}/{name}",
                              exports.render_delta(membership.delta_rows(release, earlier)))
        try:
            with transaction.atomic():
                return ReleaseDelta.objects.create(release=release, since_version=since, name=name,
                                                   path=stored.path, size=stored.size, sha256=stored.sha256)
        except IntegrityError:  # only where row locks do not exist (SQLite): another request won
            export_storage().delete(stored.path)  # ours, never recorded, so never served
    return ReleaseDelta.objects.get(release=release, since_version=since)


def feed_grant(*, actor, organisation, feed_name: str, revoke: bool = False) -> None:
    """Entitle a partner organisation to a feed (or take the entitlement back), audited."""
    if not allows(actor, permissions.may_manage_entitlements):
        raise DomainError("Only administrators manage entitlements.", code="forbidden", kind="forbidden")
    feed = Feed.objects.filter(name=feed_name).first()
    if feed is None:
        known = ", ".join(Feed.objects.values_list("name", flat=True))
        raise DomainError(f"Unknown feed {feed_name!r}; feeds are {known}.", code="invalid", field="feed")
    if organisation.kind != organisation.Kind.PARTNER:
        raise DomainError(f"{organisation.name} is not a partner organisation.", code="not_partner",
                          kind="conflict")
    with transaction.atomic():
        group = organisation_group_ensure(actor=actor, organisation=organisation)
        (remove_perm if revoke else assign_perm)("curation.download_feed", group, feed)
        audit.record(actor=actor, action=AuditAction.FEED_REVOKE if revoke else AuditAction.FEED_GRANT,
                     obj=organisation,
                     details={"feed": feed.name})


def download_record(request, release: Release, file: str, *, part: str | None = None) -> None:
    """Log a download of release material (who, which file, when, from where) with its audit entry.

    Every answer that hands bytes out is one download, a byte range (`part`, "FIRST-LAST", which
    the audit entry names) included: each request of a resumed download is logged."""
    user = request.user
    details = {"version": release.version, "file": file} | ({"range": part} if part else {})
    with transaction.atomic():
        Download.objects.create(user=user, organisation_id=user.organisation_id, release=release, file=file,
                                address=client_address(request))
        audit.record(actor=user, action=AuditAction.RELEASE_DOWNLOAD, obj=release, details=details)


def signing_key_register() -> SigningKey:
    """The SigningKey row of the key in use, registered (and made the only active one) if new."""
    raw = signing.public_raw(signing_keys.private_key())
    kid = signing.key_id(raw)
    current = SigningKey.objects.filter(key_id=kid, active=True).first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            SigningKey.objects.filter(active=True).exclude(key_id=kid).update(active=False)
            key, _ = SigningKey.objects.update_or_create(
                key_id=kid, defaults={"public_key": base64.b64encode(raw).decode(), "active": True}
            )
            audit.record(actor=SYSTEM, action=AuditAction.SIGNING_KEY_ACTIVATE, obj=key, details={"key_id": kid})
    except IntegrityError:  # registered by a simultaneous build
        key = SigningKey.objects.get(key_id=kid)
    return key
