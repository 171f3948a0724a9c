"""`POST match/` (DESIGN.md section 9): hashes matched against the latest published releases."""

from __future__ import annotations

from baseline_client.hashing import media
from baseline_client.matching import vpdq
from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import throttling
from accounts.permissions import Allows
from core.parsers import MultiPartParser
from curation import permissions
from curation.hashing import slots
from curation.hashing.api import TooLarge
from curation.hashing.uploads import upload_too_large
from curation.matching import services


class QueryInput(serializers.Serializer):
    algorithm = serializers.CharField()
    value = serializers.CharField(trim_whitespace=False)


class MatchOptions(serializers.Serializer):
    pdq_max_distance = serializers.IntegerField(required=False, default=services.DEFAULT_PDQ_DISTANCE, min_value=0,
                                                max_value=services.DEFAULT_PDQ_DISTANCE)
    vpdq_min_coverage = serializers.FloatField(required=False, default=vpdq.DEFAULT_THRESHOLD,
                                               min_value=vpdq.THRESHOLD_RANGE[0], max_value=vpdq.THRESHOLD_RANGE[1])


class MatchInput(MatchOptions):
    signatures = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=services.MAX_QUERIES)


class MatchFileInput(MatchOptions):
    file = serializers.FileField(help_text="curators and investigators only; hashed in memory, never kept")


class MatchOutput(serializers.Serializer):
    releases = serializers.DictField(child=serializers.IntegerField(), help_text="list -> version matched")
    results = serializers.ListField(child=serializers.DictField())


class MatchView(APIView):
    """Match hashes (never files, for partners) against the latest published release of each list
    the caller may match. Results are those of a brute-force search."""

    permission_classes = [Allows.rule(permissions.may_match)]

    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(request={"application/json": MatchInput, "multipart/form-data": MatchFileInput},
                   responses=MatchOutput)
    def post(self, request):
        if "file" in request.FILES or upload_too_large(request):
            return self._match_file(request)
        given = MatchInput(data=request.data)
        given.is_valid(raise_exception=True)
        options = given.validated_data
        queries = services.parse(options["signatures"], request.user)
        return self._answer(request, queries, options)

    def _match_file(self, request):
        """Curators and investigators may send a file, hashed in memory as `POST hash/` hashes it: one
        query per computed signature, algorithms outside the caller's feeds skipped."""
        if not permissions.may_match_files(request.user):
            raise PermissionDenied("Partners send hashes, never files: hash them where they are (the partner "
                                   "client's `baseline hash`) and send the hashes.")
        if upload_too_large(request):
            raise TooLarge()
        given = MatchFileInput(data=request.data)
        given.is_valid(raise_exception=True)
        upload = request.FILES["file"]
        try:
            hashed = slots.hash_upload(request.user, upload.read(), seconds_per_hash=1.0)
        except media.MediaError as exc:
            if exc.status == 400:
                return Response({"file": [exc.message]}, status=400)
            return Response({"detail": exc.message, "code": exc.code}, status=exc.status)
        finally:
            upload.close()
        allowed = services.matchable_algorithms(request.user)
        computed = [s for s in hashed.signatures if s["algorithm"] in allowed]
        queries = services.parse([{"algorithm": s["algorithm"], "value": s["value"]} for s in computed], request.user)
        return self._answer(request, queries, given.validated_data, signatures=computed)

    def _answer(self, request, queries, options, signatures=None):
        wait = throttling.spend_match_queries(request.user, len(queries))
        if wait:
            raise Throttled(wait, detail=f"More than {settings.BASELINE_MATCH_QUERY_RATE} match queries; "
                                         f"try again in {wait} s.")
        answer = services.match(request.user, queries, pdq_max_distance=options["pdq_max_distance"],
                                vpdq_min_coverage=options["vpdq_min_coverage"])
        return Response(answer if signatures is None else {"signatures": signatures, **answer})
