from django.urls import path

from accounts.api import MeView, RoleRequestApproveView, RoleRequestListView, RoleRequestRefuseView

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("role-requests/", RoleRequestListView.as_view(), name="api-role-requests"),
    path("role-requests/<int:pk>/approve/", RoleRequestApproveView.as_view(), name="api-role-request-approve"),
    path("role-requests/<int:pk>/refuse/", RoleRequestRefuseView.as_view(), name="api-role-request-refuse"),
]
