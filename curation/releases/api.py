"""Release endpoints: curators publish, partners list, download and verify (DESIGN.md section 6)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, paginated
from core.inputs import whole_number
from curation import permissions
from curation.models import Feed, Release, SigningKey
from curation.releases import downloads, services
from curation.releases.exports import manifest_name, signature_name
from curation.releases.serializers import PublishInput, ReleaseOutput

_RANGE_NOT_SATISFIABLE = inline_serializer("RangeNotSatisfiable", {
    "detail": serializers.CharField(), "code": serializers.CharField()})


def _download_responses(media_type: str, whole) -> dict:
    """What a download answers (curation/releases/downloads.py; README "Downloads")."""
    return {
        (200, media_type): whole,
        (206, media_type): OpenApiResponse(bytes, description="One byte range (`Range: bytes=...`)."),
        302: OpenApiResponse(description="With object storage: `Location` is a presigned URL that expires after "
                                         "BASELINE_DOWNLOAD_URL_SECONDS."),
        304: OpenApiResponse(description="`If-None-Match` names the ETag (the SHA-256): not a download."),
        416: OpenApiResponse(_RANGE_NOT_SATISFIABLE,
                             description="A malformed range, or one past the end (`Content-Range: bytes */SIZE`)."),
    }


def _require_release_role(request) -> None:
    if not permissions.may_see_releases(request.user):
        raise PermissionDenied("Only partners and curators see releases.")


def _release(request, version: int) -> Release:
    _require_release_role(request)
    release = permissions.releases_visible_to(request.user).filter(version=version).first()
    if release is None:
        raise NotFound("No such release, or it is not published.")
    return release


def _published(request, version: int) -> Release:
    release = _release(request, version)
    if release.status != Release.Status.PUBLISHED:
        raise NotFound("That release is not published.")
    return release


def _out(request, release: Release) -> dict:
    context = {"request": request, "feeds": permissions.entitled_feeds(request.user)}
    return ReleaseOutput(release, context=context).data


class ReleaseListView(APIView):
    @extend_schema(responses=paginated(ReleaseOutput, "PaginatedReleases"), operation_id="releases_list")
    def get(self, request):
        _require_release_role(request)
        items = permissions.releases_visible_to(request.user).prefetch_related("files").order_by("-version")
        paginator = Pagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response([_out(request, r) for r in page])

    @extend_schema(
        request=PublishInput,
        responses={202: inline_serializer("PublishAccepted", {"version": serializers.IntegerField(),
                                                              "status": serializers.CharField()})},
    )
    def post(self, request):
        if not permissions.may_publish(request.user):
            raise PermissionDenied("Only curators publish releases.")
        data = PublishInput(data=request.data)
        data.is_valid(raise_exception=True)
        release = services.release_request(actor=request.user, note=data.validated_data["note"])
        # The status it was requested in (building), not read again: without a broker the build
        # has already run in process on commit.
        return Response({"version": release.version, "status": release.status}, status=202)


class ReleaseLatestView(APIView):
    @extend_schema(responses=ReleaseOutput)
    def get(self, request):
        _require_release_role(request)
        release = Release.objects.filter(status=Release.Status.PUBLISHED).order_by("-version").first()
        if release is None:
            raise NotFound("Nothing has been published yet.")
        return Response(_out(request, release))


class ReleaseDetailView(APIView):
    @extend_schema(responses=ReleaseOutput)
    def get(self, request, version: int):
        return Response(_out(request, _release(request, version)))


class ReleaseFileView(APIView):
    @extend_schema(responses=_download_responses("application/octet-stream", bytes))
    def get(self, request, version: int, file_format: str):
        release = _published(request, version)
        record = release.files.filter(format=file_format).first()
        if record is None:
            raise NotFound(f"Release {version} has no file of format {file_format!r}.")
        if record.feed not in permissions.entitled_feeds(request.user):
            raise PermissionDenied(f"Your organisation is not entitled to the {record.feed} feed.")
        return downloads.download(request, release, downloads.stored(file_format, record))


class ManifestView(APIView):
    @extend_schema(responses=_download_responses("application/json", OpenApiTypes.OBJECT))
    def get(self, request, version: int):
        release = _published(request, version)
        return downloads.download(request, release, downloads.in_database(
            "manifest", name=manifest_name(version), body=bytes(release.manifest), sha256=release.manifest_sha256))


class SignatureView(APIView):
    @extend_schema(responses=inline_serializer("ReleaseSignature", {
        "algorithm": serializers.CharField(), "key_id": serializers.CharField(),
        "signature": serializers.CharField()}))
    def get(self, request, version: int):
        release = _published(request, version)
        services.download_record(request, release, "signature")
        response = Response({"algorithm": "ed25519", "key_id": release.key_id, "signature": release.signature})
        # The same JSON body; a browser saves it as a file beside the manifest rather than showing it.
        response["Content-Disposition"] = f'attachment; filename="{signature_name(version)}"'
        return response


class DeltaView(APIView):
    @extend_schema(parameters=[OpenApiParameter("since", int, required=True)],
                   responses=_download_responses("text/csv", bytes))
    def get(self, request, version: int):
        release = _published(request, version)
        if Feed.STANDARD not in permissions.entitled_feeds(request.user):
            raise PermissionDenied("Your organisation is not entitled to the standard feed.")
        since = whole_number(request.query_params.get("since", ""))
        if since is None:
            return Response({"since": ["A published version number below this one is required."]}, status=400)
        delta = services.delta_since(release, since)
        return downloads.download(request, release, downloads.stored(f"delta-since-{since}", delta))


class SigningKeysView(APIView):
    @extend_schema(responses=inline_serializer("SigningKeyOut", {
        "key_id": serializers.CharField(), "algorithm": serializers.CharField(),
        "public_key": serializers.CharField(), "active": serializers.BooleanField()}, many=True))
    def get(self, request):
        _require_release_role(request)
        return Response([
            {"key_id": k.key_id, "algorithm": "ed25519", "public_key": k.public_key, "active": k.active}
            for k in SigningKey.objects.order_by("-active", "-created_at")
        ])
