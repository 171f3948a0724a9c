from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import admin_views, mfa_views, views

urlpatterns = [
    path("sign-in/", mfa_views.SignInView.as_view(), name="login"),
    path("two-factor/", mfa_views.verify, name="mfa-verify"),
    path("two-factor/set-up/", mfa_views.enrol, name="mfa-enrol"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password-change"),
    path("tokens/", views.tokens, name="tokens"),
    path("users/", admin_views.user_list, name="admin-users"),
    path("users/new/", admin_views.user_create, name="admin-user-create"),
    path("users/<int:pk>/", admin_views.user_detail, name="admin-user"),
    path("users/<int:pk>/grant/", admin_views.user_grant, name="admin-user-grant"),
    path("users/<int:pk>/revoke/", admin_views.user_revoke, name="admin-user-revoke"),
    path("users/<int:pk>/active/", admin_views.user_active, name="admin-user-active"),
    path("users/<int:pk>/password/", admin_views.user_password_issue, name="admin-user-password"),
    path("users/<int:pk>/reset-two-factor/", admin_views.user_reset_mfa, name="admin-user-reset-mfa"),
    path("organisations/", admin_views.organisation_list, name="admin-organisations"),
    path("organisations/<int:pk>/", admin_views.organisation_edit, name="admin-organisation-edit"),
    path("requests/", admin_views.role_request_list, name="role-requests"),
    path("requests/<int:pk>/approve/", admin_views.role_request_approve, name="role-request-approve"),
    path("requests/<int:pk>/refuse/", admin_views.role_request_refuse, name="role-request-refuse"),
    path("operator-acts/<int:pk>/acknowledge/", admin_views.operator_act_acknowledge,
         name="operator-act-acknowledge"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
