"""Shapes of the releases API."""

from __future__ import annotations

from rest_framework import serializers

from curation.models import Release
from curation.permissions import may_see_release_internals


class ReleaseOutput(serializers.Serializer):
    """A release as the caller may see it: partners get only their feeds' files."""

    def to_representation(self, release):
        request, feeds = self.context["request"], self.context["feeds"]
        data = {
            "version": release.version, "status": release.status, "created_at": _iso(release.created_at),
            "published_at": _iso(release.published_at), "item_count": release.item_count,
            "signature_counts": release.signature_counts, "added": release.added, "removed": release.removed,
            "previous_version": release.previous_version,
            "files": [
                {"format": f.format, "feed": f.feed, "name": f.name, "size": f.size, "sha256": f.sha256,
                 "url": request.build_absolute_uri(f"/api/v1/releases/{release.version}/files/{f.format}/")}
                for f in release.files.all() if f.feed in feeds
            ] if release.status == "published" else [],
        }
        if may_see_release_internals(request.user):
            data.update(note=release.note, progress=release.progress, error=release.error)
        return data


def _iso(value):
    return serializers.DateTimeField().to_representation(value) if value else None


class PublishInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=Release._meta.get_field("note").max_length)
