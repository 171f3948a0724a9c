"""Reads about releases: what the next one adds, which feeds an organisation holds, and whether the
audit heads signed into releases are still in the chain."""

from __future__ import annotations

import json

from guardian.shortcuts import get_objects_for_group

from core import audit
from core.models import AuditEntry
from curation.models import Feed, Release, ReleaseMember, Submission


def approved_not_yet_released() -> int:
    """Approved items the next release will add."""
    latest = Release.objects.filter(status=Release.Status.PUBLISHED).order_by("-version").first()
    approved = Submission.objects.filter(status=Submission.Status.APPROVED)
    if latest is None:
        return approved.count()
    listed = ReleaseMember.objects.filter(release=latest).values("submission_id")
    return approved.exclude(pk__in=listed).count()


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
