"""`POST match/` (DESIGN.md section 9): hashes matched against the latest published releases."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import throttling
from accounts.permissions import Allows
from curation import permissions
from curation.matching import services, vpdq


class QueryInput(serializers.Serializer):
    algorithm = serializers.CharField()
    value = serializers.CharField(trim_whitespace=False)


class MatchInput(serializers.Serializer):
    signatures = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=services.MAX_QUERIES)
    pdq_max_distance = serializers.IntegerField(required=False, default=services.DEFAULT_PDQ_DISTANCE, min_value=0,
                                                max_value=services.DEFAULT_PDQ_DISTANCE)
    vpdq_min_coverage = serializers.FloatField(required=False, default=vpdq.DEFAULT_THRESHOLD,
                                               min_value=vpdq.THRESHOLD_RANGE[0], max_value=vpdq.THRESHOLD_RANGE[1])


class MatchOutput(serializers.Serializer):
    releases = serializers.DictField(child=serializers.IntegerField(), help_text="list -> version matched")
    results = serializers.ListField(child=serializers.DictField())


class MatchView(APIView):
    """Match hashes (never files, for partners) against the latest published release of each list
    the caller may match. Results are those of a brute-force search."""

    permission_classes = [Allows.rule(permissions.may_match)]

    @extend_schema(request=MatchInput, responses=MatchOutput)
    def post(self, request):
        given = MatchInput(data=request.data)
        given.is_valid(raise_exception=True)
        options = given.validated_data
        queries = services.parse(options["signatures"], request.user)
        wait = throttling.spend_match_queries(request.user, len(queries))
        if wait:
            raise Throttled(wait, detail=f"More than {settings.BASELINE_MATCH_QUERY_RATE} match queries; "
                                         f"try again in {wait} s.")
        return Response(services.match(request.user, queries, pdq_max_distance=options["pdq_max_distance"],
                                       vpdq_min_coverage=options["vpdq_min_coverage"]))
