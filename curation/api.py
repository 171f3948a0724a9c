from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, UnsupportedMediaType
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import HasRole
from config.api import Pagination
from curation import media, permissions, selectors, services, signatures
from curation.errors import CurationError
from curation.models import Submission
from curation.serializers import (
    HashInput,
    HashOutput,
    RecuseInput,
    ReviewInput,
    ReviewOutput,
    ReviewResult,
    SubmissionInput,
    SubmissionOutput,
    paginated,
)
from curation.uploads import too_large_message, upload_too_large


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
        criteria_set = selectors.active_criteria_set()
        return Response(
            {
                "version": criteria_set.version,
                "criteria": [{"key": c.key, "question": c.question} for c in criteria_set.criteria.all()],
            }
        )


class TooLarge(CurationError):
    def __init__(self) -> None:
        super().__init__(too_large_message(), code="too_large", kind="too_large")


class HashView(APIView):
    """Hash a file in memory: its media type and signatures. Nothing is stored."""

    permission_classes = [HasRole.of(Role.INVESTIGATOR)]
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
        try:
            result = media.hash_bytes(upload.read())
        except media.MediaError as exc:
            if exc.status == 415:
                raise UnsupportedMediaType(upload.content_type or "unknown", detail=exc.message) from None
            if exc.status == 400:
                return Response({"file": [exc.message]}, status=400)
            return Response({"detail": exc.message, "code": exc.code}, status=exc.status)  # e.g. 413
        finally:
            upload.close()
        return Response({"media_type": result.media_type, "signatures": result.signatures})

    def handle_exception(self, exc):
        # Over a browser session, DRF's CSRF check reads the form first; a body too large to parse
        # has no token left to find. That is a 413, not a CSRF 403 (curation/uploads.py).
        if (isinstance(exc, PermissionDenied) and str(exc.detail).startswith("CSRF Failed")
                and upload_too_large(self.request)):
            exc = TooLarge()
        return super().handle_exception(exc)


def _item_response(request, item: Submission, status_code: int = 200) -> Response:
    context = {"show_previous": permissions.may_see_earlier_item_link(request.user)}
    return Response(SubmissionOutput(item, context=context).data, status=status_code)


class SubmissionListView(APIView):
    """Items visible to the caller (investigators: their organisation's; curators: all)."""

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Submission.Status.values)],
        responses=paginated(SubmissionOutput, "PaginatedSubmissions"), operation_id="submissions_list",
    )
    def get(self, request):
        if not permissions.may_list_submissions(request.user):
            raise PermissionDenied("Your role does not allow listing submissions.")
        wanted = request.query_params.get("status")
        if wanted and wanted not in Submission.Status.values:
            return Response({"status": [f"Must be one of {', '.join(Submission.Status.values)}."]}, status=400)
        items = selectors.submission_list_for(request.user, status=wanted)
        paginator = Pagination()
        page = paginator.paginate_queryset(items, request, view=self)
        context = {"show_previous": permissions.may_see_earlier_item_link(request.user)}
        return paginator.get_paginated_response(SubmissionOutput(page, many=True, context=context).data)

    @extend_schema(request=SubmissionInput, responses={201: SubmissionOutput})
    def post(self, request):
        if not permissions.may_submit(request.user):
            raise PermissionDenied("Only investigators submit items.")
        data = SubmissionInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.submission_create(actor=request.user, item=services.ItemInput(**data.validated_data))
        item = selectors.with_details(Submission.objects.filter(pk=item.pk)).get()
        return _item_response(request, item, status.HTTP_201_CREATED)


def visible_item(request, item_id) -> Submission:
    item = selectors.submission_for(request.user, item_id)
    if item is None:
        raise NotFound("No such item, or it is not visible to you.")
    return item


class SubmissionDetailView(APIView):
    @extend_schema(responses=SubmissionOutput)
    def get(self, request, item_id):
        return _item_response(request, visible_item(request, item_id))


class SubmissionWithdrawView(APIView):
    @extend_schema(request=None, responses=SubmissionOutput)
    def post(self, request, item_id):
        item = visible_item(request, item_id)
        services.submission_withdraw(actor=request.user, item=item)
        return _item_response(request, visible_item(request, item_id))



class ReviewQueueView(APIView):
    """Pending items the caller may review, oldest first."""

    permission_classes = [HasRole.of(Role.REVIEWER)]

    @extend_schema(responses=paginated(SubmissionOutput, "PaginatedReviewQueue"), operation_id="review_queue_list")
    def get(self, request):
        items = selectors.with_details(selectors.review_queue_for(request.user))
        paginator = Pagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(SubmissionOutput(page, many=True).data)


def _item_for_review(request, item_id) -> Submission:
    """Reviews and recusals: only reviewers; a missing item is 404, eligibility is the service's."""
    if not permissions.may_review(request.user):
        raise PermissionDenied("Only reviewers review items.")
    item = Submission.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("No such item.")
    return item


class ReviewsView(APIView):
    @extend_schema(request=ReviewInput, responses={201: ReviewResult})
    def post(self, request, item_id):
        item = _item_for_review(request, item_id)
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_record(actor=request.user, item=item, answers=data.validated_data["answers"],
                                        comment=data.validated_data["comment"])
        item.refresh_from_db(fields=["status"])
        return Response({"verdict": review.verdict, "submission_status": item.status}, status=201)

    @extend_schema(responses=ReviewOutput(many=True))
    def get(self, request, item_id):
        item = visible_item(request, item_id)
        allowed = permissions.may_see_reviews(request.user, item)
        if allowed is None:
            raise NotFound("No such item, or it is not visible to you.")  # blind: same answer as unknown
        if not allowed:
            raise PermissionDenied("Only the item's reviewers and curators see its reviews.")
        return Response(ReviewOutput(selectors.reviews_of(item), many=True).data)


class RecuseView(APIView):
    @extend_schema(request=RecuseInput, responses={204: None})
    def post(self, request, item_id):
        item = _item_for_review(request, item_id)
        data = RecuseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.review_recuse(actor=request.user, item=item, reason=data.validated_data["reason"])
        return Response(status=204)
