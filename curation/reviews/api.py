"""Review endpoints: the criteria, the queue, reviews and recusals."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import Allows
from core.api import CappedPagination, paginated
from curation import permissions
from curation.models import Submission
from curation.reviews import selectors, services
from curation.reviews.criteria import active_criteria_set
from curation.reviews.serializers import RecuseInput, ReviewInput, ReviewOutput, ReviewResult
from curation.submissions.api import visible_item
from curation.submissions.selectors import with_details
from curation.submissions.serializers import SubmissionOutput


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


class QueuePagination(CappedPagination):
    cap = selectors.QUEUE_COUNT_CAP


class ReviewQueueView(APIView):
    """Pending items the caller may review, oldest first; `count` stops at the cap (`count_capped`)."""

    permission_classes = [Allows.rule(permissions.may_review)]

    @extend_schema(responses=paginated(SubmissionOutput, "PaginatedReviewQueue", capped=True),
                   operation_id="review_queue_list")
    def get(self, request):
        items = with_details(selectors.review_queue_for(request.user))
        paginator = QueuePagination()
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
