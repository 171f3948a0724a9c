"""Shapes of the API's input and output. Rules live in services; these only check types."""

from __future__ import annotations

from rest_framework import serializers

from curation import signatures
from curation.models import MediaType, Submission
from curation.permissions import may_see_release_internals


class SignatureInput(serializers.Serializer):
    algorithm = serializers.CharField(trim_whitespace=True)
    value = serializers.CharField(trim_whitespace=False, max_length=signatures.VPDQ_MAX_FRAMES * 90)
    quality = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)


MAX_SIGNATURES = len(signatures.ALGORITHMS)  # one per algorithm; checked before any row is parsed


class SubmissionInput(serializers.Serializer):
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    signatures = SignatureInput(
        many=True, allow_empty=False, max_length=MAX_SIGNATURES,
        error_messages={"max_length": f"At most {MAX_SIGNATURES} signatures: one per algorithm "
                                      f"({', '.join(signatures.ALGORITHMS)})."},
    )
    external_reference = serializers.CharField(max_length=200)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    series = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    victim_identified = serializers.BooleanField(required=False, allow_null=True, default=None)
    offender_identified = serializers.BooleanField(required=False, allow_null=True, default=None)


class SignatureOutput(serializers.Serializer):
    algorithm = serializers.CharField()
    value = serializers.CharField()
    quality = serializers.IntegerField(required=False)

    def to_representation(self, instance):
        data = {"algorithm": instance.algorithm, "value": instance.value}
        if instance.quality is not None:
            data["quality"] = instance.quality
        return data


class OrganisationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    country = serializers.CharField()


class SubmissionOutput(serializers.ModelSerializer):
    signatures = SignatureOutput(many=True)
    organisation = OrganisationOutput()
    criteria_set_version = serializers.IntegerField(source="criteria_set.version")

    class Meta:
        model = Submission
        fields = [
            "id", "status", "media_type", "signatures", "external_reference", "note", "organisation",
            "criteria_set_version", "required_agreements", "created_at", "decided_at",
            "series", "victim_identified", "offender_identified", "previous",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_previous"):
            data.pop("previous")  # the link to an earlier item is for curators only
        return data


class HashOutput(serializers.Serializer):
    media_type = serializers.CharField()
    signatures = SignatureOutput(many=True)


class HashInput(serializers.Serializer):
    file = serializers.FileField()


class ReviewInput(serializers.Serializer):
    answers = serializers.JSONField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ReviewResult(serializers.Serializer):
    verdict = serializers.CharField()
    submission_status = serializers.CharField()


class RecuseInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=["conflict_of_interest", "cannot_access_material", "other"])


class ReviewOutput(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.username")
    organisation = OrganisationOutput()
    verdict = serializers.CharField()
    answers = serializers.DictField(child=serializers.BooleanField())
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


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
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class RetractInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


def paginated(serializer_class, name: str):
    """The contract's page shape around a list, for the OpenAPI schema of APIViews."""
    return type(name, (serializers.Serializer,), {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": serializer_class(many=True),
    })
