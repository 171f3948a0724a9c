"""Interactive sessions must pass the second factor before anything else (BASELINE_REQUIRE_MFA)."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts import mfa

# Pages a signed-in but unverified session may reach: the sign-in steps themselves.
OPEN_PREFIXES = ("/sign-in/", "/sign-out/", "/two-factor/", "/static/")


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
