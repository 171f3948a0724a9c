"""Reads about releases: what the next one adds, which feeds an organisation holds, and whether the
audit heads signed into releases are still in the chain."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.http import Http404
from guardian.shortcuts import get_objects_for_group

from accounts.models import Organisation
from accounts.permissions import allows
from core import audit
from core.models import AuditEntry
from curation import permissions
from curation.models import Feed, Listing, Release, Submission


def release_or_404(user, version: int) -> Release:
    """The release a page shows: 403 for those who see no releases, 404 for one `user` may not see."""
    if not allows(user, permissions.may_see_releases):
        raise PermissionDenied
    release = permissions.releases_visible_to(user).filter(version=version).first()
    if release is None:
        raise Http404
    return release


def partner_organisation(organisation_id: int | None) -> Organisation | None:
    """The partner organisation with this id, if there is one (feeds are granted to partners only)."""
    if organisation_id is None:
        return None
    return partners().filter(pk=organisation_id).first()


def partners():
    return Organisation.objects.filter(kind=Organisation.Kind.PARTNER)


def pending_changes() -> tuple[int, int]:
    """(additions, removals) the next release will make, by the snapshot's own rule (approved items
    are listed): approved items not in the latest published release, and members of that release no
    longer approved (retracted, expired or otherwise closed since)."""
    latest = Release.objects.filter(status=Release.Status.PUBLISHED).order_by("-version").first()
    approved = Submission.objects.filter(status=Submission.Status.APPROVED)
    if latest is None:
        return approved.count(), 0
    listed = Listing.objects.members(latest.version, latest.list)
    additions = approved.exclude(pk__in=listed.values("submission_id")).count()
    removals = listed.exclude(submission__status=Submission.Status.APPROVED).count()
    return additions, removals


def approved_not_yet_released() -> int:
    """Approved items the next release will add."""
    return pending_changes()[0]


def feeds_of(organisation) -> set[str]:
    organisation.refresh_from_db(fields=["group"])  # the grant may have created the group meanwhile
    if organisation.group_id is None:
        return set()
    return set(get_objects_for_group(organisation.group, "curation.download_feed", klass=Feed)
               .values_list("name", flat=True))


def unanchored_release_heads() -> list[int]:
    """Versions of published releases whose signed `audit_head` is not an entry of the chain."""
    heads = {}
    for version, manifest in Release.objects.filter(status=Release.Status.PUBLISHED).values_list("version", "manifest"):
        heads[json.loads(bytes(manifest))["audit_head"]] = version
    if not heads:
        return []
    found = set(AuditEntry.objects.filter(hash__in=heads).values_list("hash", flat=True)) | {audit.GENESIS}
    return sorted(version for head, version in heads.items() if head not in found)
