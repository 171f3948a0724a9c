"""Shapes of the reviews API."""

from __future__ import annotations

from rest_framework import serializers

from curation.models import Recusal, Review
from curation.submissions.serializers import OrganisationOutput


class ReviewInput(serializers.Serializer):
    answers = serializers.JSONField()
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=Review._meta.get_field("comment").max_length)


class ReviewResult(serializers.Serializer):
    verdict = serializers.CharField()
    submission_status = serializers.CharField()


class RecuseInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Recusal.Reason.values)


class ReviewOutput(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.username")
    organisation = OrganisationOutput()
    verdict = serializers.CharField()
    answers = serializers.DictField(child=serializers.BooleanField())
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
