from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import roles_of


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
