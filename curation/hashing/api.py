"""Hashing endpoints: the algorithm table, and `POST hash/` (a file hashed in memory, nothing kept)."""

from __future__ import annotations

from baseline_client.hashing import media, signatures
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, UnsupportedMediaType
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import Allows
from core.errors import DomainError
from core.parsers import MultiPartParser
from curation import permissions
from curation.hashing import slots
from curation.hashing.serializers import HashInput, HashOutput
from curation.hashing.uploads import declared_too_large, too_large_message, upload_too_large


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


class TooLarge(DomainError):
    def __init__(self) -> None:
        super().__init__(too_large_message(), code="too_large", kind="too_large")


class HashView(APIView):
    """Hash a file in memory: its media type and signatures. Nothing is stored."""

    permission_classes = [Allows.rule(permissions.may_submit)]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": HashInput}, responses=HashOutput)
    def post(self, request):
        upload = request.FILES.get("file")  # parsed in memory only (curation/uploads.py)
        if upload_too_large(request):
            raise TooLarge()
        if upload is None:
            return Response({"file": ["No file was submitted."]}, status=400)
        if upload.size == 0:
            return Response({"file": ["The submitted file is empty."]}, status=400)
        options = HashInput(data={"seconds_per_hash": request.data.get("seconds_per_hash", 1.0)}, partial=True)
        if not options.is_valid():
            return Response(options.errors, status=400)
        try:  # at most HASHING_SLOTS files and one video at a time per user: 429
            result = slots.hash_upload(request.user, upload.read(),
                                       seconds_per_hash=options.validated_data["seconds_per_hash"])
        except media.MediaError as exc:
            if exc.status == 415:
                raise UnsupportedMediaType(upload.content_type or "unknown", detail=exc.message) from None
            if exc.status == 400:
                return Response({"file": [exc.message]}, status=400)
            headers = {"Retry-After": "5"} if exc.status == 429 else None
            return Response({"detail": exc.message, "code": exc.code}, status=exc.status, headers=headers)  # 413, 429
        finally:
            upload.close()
        return Response(result.as_dict())

    def handle_exception(self, exc):
        # Over a browser session, DRF's CSRF check reads the form first; a body too large to parse
        # has no token left to find. That is a 413, not a CSRF 403 (curation/uploads.py). Without a
        # CSRF cookie the check fails before reading anything: the declared length tells then.
        if (isinstance(exc, PermissionDenied) and str(exc.detail).startswith("CSRF Failed")
                and (upload_too_large(self.request) or declared_too_large(self.request))):
            exc = TooLarge()
        return super().handle_exception(exc)
