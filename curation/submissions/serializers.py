"""Shapes of the items API. Rules live in services; these only check types."""

from __future__ import annotations

from baseline_client.hashing import signatures
from rest_framework import serializers

from curation.hashing.serializers import SignatureOutput
from curation.models import MediaType, Submission


def _max_length(field: str) -> int:
    return Submission._meta.get_field(field).max_length


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
    external_reference = serializers.CharField(max_length=_max_length("external_reference"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=_max_length("note"), default="")
    series = serializers.CharField(required=False, allow_blank=True, max_length=_max_length("series"), default="")
    victim_identified = serializers.BooleanField(required=False, allow_null=True, default=None)
    offender_identified = serializers.BooleanField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=_max_length("hold_reason"), default="",
        help_text="Required when a signature is in a rejected item: why it is submitted again (the new item is held).",
    )


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
            "series", "victim_identified", "offender_identified", "previous", "hold_reason",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_previous"):
            # The link to an earlier item, and why a held item was resubmitted, are for curators only:
            # either would tell a reviewer that an earlier item was rejected (blind review).
            data.pop("previous")
            data.pop("hold_reason")
        return data


class RetractInput(serializers.Serializer):
    reason = serializers.CharField(max_length=_max_length("retraction_reason"))


class HeldDecisionInput(serializers.Serializer):
    """A curator's sign-off or refusal of a held item."""

    reason = serializers.CharField(max_length=_max_length("retraction_reason"))


class NearDuplicateOutput(serializers.Serializer):
    item_id = serializers.UUIDField()
    status = serializers.CharField(help_text="the near item's status: " + ", ".join(Submission.Status.values))
    media_type = serializers.CharField()
    created_at = serializers.DateTimeField()
    organisation = OrganisationOutput()
    algorithm = serializers.ChoiceField(choices=["pdq", "vpdq"])
    distance = serializers.IntegerField(required=False, help_text="PDQ: the Hamming distance (0-31)")
    query_coverage = serializers.FloatField(required=False, help_text="vPDQ: % of this item's frames in the other")
    listed_coverage = serializers.FloatField(required=False, help_text="vPDQ: % of the other's frames in this one")
    kind = serializers.CharField(required=False, help_text="vPDQ: full or clip")


class NearDuplicatesOutput(serializers.Serializer):
    item = serializers.UUIDField()
    near_duplicates = NearDuplicateOutput(many=True)


def near_duplicate_row(item: Submission, evidence) -> dict:
    """One near-duplicate as the API gives it (`evidence`: curation.matching.near.Near)."""
    organisation = item.organisation
    return {"item_id": str(item.pk), "status": item.status, "media_type": item.media_type,
            "created_at": serializers.DateTimeField().to_representation(item.created_at),
            "organisation": {"id": organisation.pk, "name": organisation.name, "country": organisation.country},
            **evidence.evidence()}
