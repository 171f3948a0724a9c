"""Every download of release material is logged, with an audit entry, in one transaction."""

from __future__ import annotations

from django.db import transaction

from accounts.network import client_address
from curation import audit
from curation.models import Download, Release


def record(request, release: Release, file: str) -> None:
    user = request.user
    with transaction.atomic():
        Download.objects.create(user=user, organisation_id=user.organisation_id, release=release, file=file,
                                address=client_address(request))
        audit.record(actor=user, action="release.download", obj=release,
                     details={"version": release.version, "file": file})
