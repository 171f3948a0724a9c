from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions, requests, selectors
from accounts.models import RoleRequest
from accounts.permissions import roles_of
from core.api import Pagination, paginated


class MeView(APIView):
    """Who the caller is: username, organisation and roles."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "organisation": inline_serializer(
                    "MeOrganisation",
                    {
                        "id": serializers.IntegerField(),
                        "name": serializers.CharField(),
                        "country": serializers.CharField(),
                        "kind": serializers.CharField(),
                    },
                ),
                "roles": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request):
        user = request.user
        org = user.organisation
        return Response(
            {
                "username": user.username,
                "organisation": {"id": org.pk, "name": org.name, "country": org.country, "kind": org.kind}
                if org
                else None,
                "roles": sorted(roles_of(user)),
            }
        )


# The two-person rule (DESIGN.md section 3) ----------------------------------------------------

class RoleRequestInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RoleRequest.Kind.choices)
    payload = serializers.DictField(help_text=(
        "organisation_create: {name, country, kind}; user_create: {username, email, organisation_id, roles}; "
        "role_grant: {user_id, role, reason}; password_issue and mfa_reset: {user_id}."))


class RoleRequestOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    payload = serializers.DictField()
    status = serializers.CharField(source="shown_status")
    requested_by = serializers.CharField(source="requested_by.username")
    requested_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class RoleRequestApproved(RoleRequestOutput):
    one_time_password = serializers.CharField(
        required=False, help_text="Only for user_create and password_issue: shown to the approver, once.")


class RefuseInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="", trim_whitespace=False)


def _administrators_only(request) -> None:
    if not permissions.may_request_two_person_acts(request.user):
        raise PermissionDenied("Only administrators send and decide requests.")


class RoleRequestListView(APIView):
    """Requests the caller made, and pending ones the caller may approve."""

    @extend_schema(responses=paginated(RoleRequestOutput, "PaginatedRoleRequests"), operation_id="role_requests_list")
    def get(self, request):
        _administrators_only(request)
        rows = selectors.role_requests_for(request.user)
        requests.role_requests_listed(actor=request.user, count=len(rows))
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RoleRequestOutput(page, many=True).data)

    @extend_schema(request=RoleRequestInput, responses={201: RoleRequestOutput}, operation_id="role_requests_create")
    def post(self, request):
        _administrators_only(request)
        data = RoleRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = requests.role_request_create(actor=request.user, kind=data.validated_data["kind"],
                                               payload=data.validated_data["payload"])
        return Response(RoleRequestOutput(created).data, status=status.HTTP_201_CREATED)


def _visible(request, pk: int) -> RoleRequest:
    _administrators_only(request)
    try:
        return selectors.role_request_visible_or_404(request.user, pk)
    except Http404:
        raise NotFound("No such request, or it is not yours to see.") from None


class RoleRequestApproveView(APIView):
    @extend_schema(request=None, responses=RoleRequestApproved, operation_id="role_requests_approve")
    def post(self, request, pk: int):
        approved, password = requests.role_request_approve(actor=request.user, request_id=_visible(request, pk).pk)
        body = RoleRequestOutput(approved).data
        if password is not None:
            body["one_time_password"] = password
        return Response(body)


class RoleRequestRefuseView(APIView):
    @extend_schema(request=RefuseInput, responses=RoleRequestOutput, operation_id="role_requests_refuse")
    def post(self, request, pk: int):
        target = _visible(request, pk)
        data = RefuseInput(data=request.data)
        data.is_valid(raise_exception=True)
        refused = requests.role_request_refuse(actor=request.user, request_id=target.pk,
                                               reason=data.validated_data["reason"])
        return Response(RoleRequestOutput(refused).data)
