from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from curation import signatures
from curation.selectors import active_criteria_set


class AlgorithmsView(APIView):
    """The signature algorithms the service accepts (DESIGN.md section 2)."""

    @extend_schema(
        responses=inline_serializer(
            "Algorithm",
            {
                "algorithm": serializers.CharField(),
                "media_types": serializers.ListField(child=serializers.CharField()),
                "canonical_form": serializers.CharField(),
                "computed_from_file": serializers.BooleanField(),
            },
            many=True,
        )
    )
    def get(self, request):
        return Response(signatures.table())


class CriteriaView(APIView):
    """The active criteria set reviewers answer."""

    @extend_schema(
        responses=inline_serializer(
            "CriteriaSet",
            {
                "version": serializers.IntegerField(),
                "criteria": inline_serializer(
                    "Criterion", {"key": serializers.CharField(), "question": serializers.CharField()}, many=True
                ),
            },
        )
    )
    def get(self, request):
        criteria_set = active_criteria_set()
        return Response(
            {
                "version": criteria_set.version,
                "criteria": [{"key": c.key, "question": c.question} for c in criteria_set.criteria.all()],
            }
        )
