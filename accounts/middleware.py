"""Interactive sessions pass the second factor (BASELINE_REQUIRE_MFA) and then replace a one-time
password (`User.must_change_password`) before anything else. The order is fixed by MIDDLEWARE:
RequireSecondFactor runs first, so a password is changed only in a fully signed-in session."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts import mfa

# Pages a signed-in but unverified session may reach: the sign-in steps themselves (and their assets).
OPEN_PREFIXES = ("/sign-in/", "/sign-out/", "/two-factor/", "/static/", "/favicon.ico")
# ...and, while a one-time password is still in use, the page that replaces it.
PASSWORD_OPEN_PREFIXES = (*OPEN_PREFIXES, "/password/")


class RequireSecondFactor:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.BASELINE_REQUIRE_MFA
            and user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                # A session that has not passed the second factor gets no API access either
                # (API tokens are authenticated by DRF in the view and never reach this branch).
                return JsonResponse({"detail": "Complete two-factor sign-in first.", "code": "mfa_required"},
                                    status=403)
            target = "mfa-verify" if mfa.has_device(user) else "mfa-enrol"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class RequirePasswordChange:
    """A session whose user holds a one-time password reaches only the password page (and sign-out
    and the two-factor pages). API tokens are authenticated later, by DRF, and are unaffected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not request.path.startswith(PASSWORD_OPEN_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                if request.headers.get("Authorization", "").split(" ")[0].lower() == "token":
                    return self.get_response(request)  # DRF uses the token, not this session
                return JsonResponse({"detail": "Choose a new password first.", "code": "password_change_required"},
                                    status=403)
            return redirect(f"{reverse('password-change')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
