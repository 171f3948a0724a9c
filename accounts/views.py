from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import password_validation, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import services
from accounts.mfa_views import safe_next
from accounts.models import ApiToken
from accounts.permissions import may_revoke_token, may_see_others_tokens
from core.errors import DomainError
from core.inputs import whole_number


@login_required
def tokens(request):
    sees_others = may_see_others_tokens(request.user)
    new_key = None
    if request.method == "POST":
        days = whole_number(request.POST.get("days") or "90")
        try:
            if days is None:
                raise DomainError("Days must be a whole number.", code="invalid", field="days")
            _, new_key = services.token_create(
                actor=request.user, user=request.user, name=request.POST.get("name", ""), days=days
            )
        except DomainError as exc:
            messages.error(request, exc.message)
    own = ApiToken.objects.filter(user=request.user)
    others = (
        ApiToken.objects.filter(revoked_at__isnull=True).exclude(user=request.user).select_related("user")
        if sees_others
        else ApiToken.objects.none()
    )
    others = Paginator(others, 50).get_page(request.GET.get("page"))  # an administrator may see many
    return render(request, "accounts/tokens.html", {
        "tokens": own, "others": others.object_list, "page": others, "new_key": new_key, "sees_others": sees_others,
    })


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk)
    if not may_revoke_token(request.user, token):
        # Another user's token is invisible to non-administrators.
        return render(request, "404.html", status=404)
    try:
        services.token_revoke(actor=request.user, token=token)
        messages.success(request, f"Token {token.prefix}… revoked.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("tokens")


@login_required
def password_change(request):
    """Every signed-in user changes their own password here; a one-time password must be replaced
    before anything else (accounts/middleware.py::RequirePasswordChange)."""
    error, status = None, 200
    if request.method == "POST":
        new, again = request.POST.get("new_password", ""), request.POST.get("new_password_again", "")
        try:
            if new != again:
                raise DomainError("The two new passwords differ.", code="invalid", field="new_password_again")
            services.user_password_change(actor=request.user, user=request.user,
                                          current_password=request.POST.get("current_password", ""),
                                          new_password=new)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            request.user.refresh_from_db()
            update_session_auth_hash(request, request.user)  # this session stays signed in; others end
            messages.success(request, "Your password has been changed.")
            return redirect(safe_next(request))
    return render(request, "accounts/password_change.html", {
        "error": error, "next": safe_next(request), "required": request.user.must_change_password,
        "rules": password_validation.password_validators_help_texts(),
    }, status=status)


def locked_out(request, *args, **kwargs):
    """django-axes lockout: the same words whether or not the account exists."""
    from django.contrib.auth.forms import AuthenticationForm

    return render(request, "registration/login.html", {
        "form": AuthenticationForm(request), "locked_out": True,
    }, status=429)
