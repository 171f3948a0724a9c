from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import mfa_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", mfa_views.SignInView.as_view(), name="login"),
    path("two-factor/", mfa_views.verify, name="mfa-verify"),
    path("two-factor/set-up/", mfa_views.enrol, name="mfa-enrol"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
