"""Report endpoints (DESIGN.md section 11): partners file match and false-positive reports and
follow their own; curators see all; investigators the match reports shared on their items."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, paginated
from curation import permissions
from curation.models import Report
from curation.reports import services


class ReportInput(serializers.Serializer):
    item_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    reference = serializers.CharField(max_length=services.MAX_REFERENCE, help_text="your own case id")
    details = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.MAX_DETAILS,
                                    trim_whitespace=False, help_text="words only, never media")
    observed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    share_with_submitter = serializers.BooleanField(required=False, default=False)


class ReportOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    item_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    reference = serializers.CharField()
    details = serializers.CharField()
    observed_at = serializers.DateTimeField(allow_null=True)
    share_with_submitter = serializers.BooleanField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField(help_text="why a curator dismissed it")
    organisation = serializers.CharField(required=False, help_text="the reporting organisation, where you may see it")


def _out(request, report: Report) -> dict:
    data = ReportOutput(report).data
    if permissions.sees_reporter(request.user, report):
        data["organisation"] = report.organisation.name
    return data


class ReportListView(APIView):
    @extend_schema(responses=paginated(ReportOutput, "PaginatedReports"), operation_id="reports_list")
    def get(self, request):
        if not permissions.may_see_reports(request.user):
            raise PermissionDenied("Your role has no reports to see.")
        reports = permissions.reports_visible_to(request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(reports, request, view=self)
        return paginator.get_paginated_response([_out(request, r) for r in page])

    @extend_schema(request=ReportInput(many=True), responses={201: ReportOutput(many=True)},
                   operation_id="reports_create",
                   description="One report, or a list of up to 500 (all written, or none). 404 when an item is "
                               "not listed in a published release your feeds hold.")
    def post(self, request):
        if not permissions.may_report(request.user):
            raise PermissionDenied("Only partners file match reports.")
        many = isinstance(request.data, list)
        if many and not 1 <= len(request.data) <= services.MAX_BATCH:
            return Response({"reports": [f"Send 1 to {services.MAX_BATCH} reports a call."]}, status=400)
        data = ReportInput(data=request.data, many=many)
        data.is_valid(raise_exception=True)
        rows = data.validated_data if many else [data.validated_data]
        created = services.reports_create(actor=request.user, rows=[
            services.ReportInput(**{**row, "item_id": str(row["item_id"])}) for row in rows])
        body = [_out(request, r) for r in created]
        return Response(body if many else body[0], status=status.HTTP_201_CREATED)


class ReportDetailView(APIView):
    @extend_schema(responses=ReportOutput)
    def get(self, request, report_id):
        report = permissions.reports_visible_to(request.user).filter(pk=report_id).first()
        if report is None:
            raise NotFound("No such report, or it is not visible to you.")
        return Response(_out(request, report))


class DismissInput(serializers.Serializer):
    reason = serializers.CharField(max_length=services.MAX_REASON)


class ReportDismissView(APIView):
    @extend_schema(request=DismissInput, responses=ReportOutput, operation_id="reports_dismiss",
                   description="Curators: a false-positive report found unfounded; the partner sees the reason. "
                               "409 unless a false positive waiting for triage.")
    def post(self, request, report_id):
        if not permissions.may_triage_reports(request.user):
            raise PermissionDenied("Only curators triage reports.")
        report = permissions.reports_visible_to(request.user).filter(pk=report_id).first()
        if report is None:
            raise NotFound("No such report.")
        data = DismissInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_out(request, services.report_dismiss(actor=request.user, report=report,
                                                              reason=data.validated_data["reason"])))
