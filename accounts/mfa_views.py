from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import forms, mfa, services
from core.errors import DomainError
from core.forms import from_body, from_query


def safe_next(request) -> str:
    """The `next` target if it stays on this site, else the home page."""
    target = forms.next_target(from_body(forms.NextForm, request), from_query(forms.NextForm, request))
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()) and target.startswith("/"):
        return target
    return reverse("home")


class SignInView(auth_views.LoginView):
    """Username and password first; then the second factor, or enrolment if there is none yet."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        super().form_valid(form)
        if not settings.BASELINE_REQUIRE_MFA:
            return redirect(safe_next(self.request))
        target = "mfa-verify" if mfa.has_device(form.get_user()) else "mfa-enrol"
        return redirect(f"{reverse(target)}?next={safe_next(self.request)}")


@login_required
def verify(request):
    if request.user.is_verified():
        return redirect(safe_next(request))
    if not mfa.has_device(request.user):
        return redirect("mfa-enrol")
    error = None
    if request.method == "POST":
        try:
            token = from_body(forms.SecondFactorForm, request).cleaned_or_raise()["token"]
        except DomainError as exc:
            error = exc.message
        else:
            error = services.mfa_verify(actor=request.user, request=request, token=token)
        if error is None:
            return redirect(safe_next(request))
    return render(request, "accounts/mfa_verify.html", {"error": error, "next": safe_next(request)},
                  status=400 if error else 200)


@login_required
def enrol(request):
    if mfa.has_device(request.user) and not request.user.is_verified():
        return redirect("mfa-verify")  # a second factor exists: prove it before replacing it
    device = services.mfa_device_pending_ensure(actor=request.user, user=request.user)
    error = None
    if request.method == "POST":
        try:
            data = from_body(forms.SecondFactorForm, request).cleaned_or_raise()
            codes = services.mfa_enrol(actor=request.user, request=request, device=device, token=data["token"],
                                       current_password=data["current_password"])
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "Two-factor sign-in is on.")
            return render(request, "accounts/mfa_codes.html", {"codes": codes, "next": safe_next(request)})
    return render(request, "accounts/mfa_enrol.html", {
        "qr": mfa.qr_svg(device), "secret": mfa.secret_base32(device), "error": error, "next": safe_next(request),
        "replacing": mfa.has_device(request.user),
    }, status=400 if error else 200)
