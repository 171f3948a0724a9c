"""Shapes of the releases API."""

from __future__ import annotations

from rest_framework import serializers

from curation.models import Release
from curation.permissions import may_see_release_internals


class ReleaseFileOutput(serializers.Serializer):
    """One downloadable file of a release (the schema of `ReleaseOutput.files`)."""

    format = serializers.CharField()
    feed = serializers.CharField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.URLField()


class ReleaseOutput(serializers.Serializer):
    """A release as the caller may see it: partners get only their feeds' files.

    The fields document the shape for the OpenAPI schema; `to_representation` builds it.
    """

    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Release.Status.choices)
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    item_count = serializers.IntegerField()
    signature_counts = serializers.DictField(child=serializers.IntegerField(),
                                             help_text="Signatures in the release, per algorithm.")
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    previous_version = serializers.IntegerField(allow_null=True)
    files = ReleaseFileOutput(many=True, help_text="Published releases only; a partner sees their feeds' files.")
    note = serializers.CharField(required=False, help_text="Curators only.")
    progress = serializers.CharField(required=False, help_text="Curators only: the build step under way.")
    error = serializers.CharField(required=False, help_text="Curators only.")
    attempts = serializers.IntegerField(required=False, help_text="Curators only: build attempts so far.")

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
            data.update(note=release.note, progress=release.progress, error=release.error, attempts=release.attempts)
        return data


def _iso(value):
    return serializers.DateTimeField().to_representation(value) if value else None


class PublishInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=Release._meta.get_field("note").max_length)
