"""Item endpoints: submit, list, read, near-duplicates, withdraw, retract, sign off or refuse held items."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, paginated
from curation import permissions
from curation.matching import near
from curation.models import Submission
from curation.submissions import selectors, services
from curation.submissions.serializers import (
    HeldDecisionInput,
    NearDuplicatesOutput,
    RetractInput,
    SubmissionInput,
    SubmissionOutput,
    near_duplicate_row,
)


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


class NearDuplicatesView(APIView):
    """Every earlier item within PDQ 31 of this one, or whose vPDQ this one's compares with as
    `full` or `clip`, listed or not, closest first (curators; DESIGN.md section 4)."""

    @extend_schema(responses=NearDuplicatesOutput, operation_id="submissions_near_duplicates")
    def get(self, request, item_id):
        if not permissions.may_see_near_duplicates(request.user):
            raise PermissionDenied("Only curators see near-duplicates.")
        item = visible_item(request, item_id)
        return Response({"item": str(item.pk), "near_duplicates": [
            near_duplicate_row(found, evidence) for found, evidence in near.earlier_near(item)]})


class SubmissionWithdrawView(APIView):
    @extend_schema(request=None, responses=SubmissionOutput)
    def post(self, request, item_id):
        item = visible_item(request, item_id)
        services.submission_withdraw(actor=request.user, item=item)
        return _item_response(request, visible_item(request, item_id))


class RetractView(APIView):
    @extend_schema(request=RetractInput, responses=SubmissionOutput)
    def post(self, request, item_id):
        if not permissions.may_retract(request.user):
            raise PermissionDenied("Only curators retract items.")
        item = visible_item(request, item_id)
        data = RetractInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.item_retract(actor=request.user, item=item, reason=data.validated_data["reason"])
        item = selectors.submission_for(request.user, item_id)
        return Response(SubmissionOutput(item, context={"show_previous": True}).data)


class _HeldDecisionView(APIView):
    """A curator's decision on a held item, with a reason (DESIGN.md section 4)."""

    decide = staticmethod(services.submission_sign_off)

    def post(self, request, item_id):
        if not permissions.may_decide_held(request.user):
            raise PermissionDenied("Only curators sign off or refuse held items.")
        item = visible_item(request, item_id)
        data = HeldDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        self.decide(actor=request.user, item=item, reason=data.validated_data["reason"])
        return _item_response(request, visible_item(request, item_id))


class SignOffView(_HeldDecisionView):
    @extend_schema(request=HeldDecisionInput, responses=SubmissionOutput, operation_id="submissions_sign_off",
                   description="held → pending: the item goes to review. 409 unless held.")
    def post(self, request, item_id):
        return super().post(request, item_id)


class RefuseView(_HeldDecisionView):
    decide = staticmethod(services.submission_refuse)

    @extend_schema(request=HeldDecisionInput, responses=SubmissionOutput, operation_id="submissions_refuse",
                   description="held → withdrawn. 409 unless held.")
    def post(self, request, item_id):
        return super().post(request, item_id)
