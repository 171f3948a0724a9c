from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import password_validation, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import forms, selectors, services
from accounts.mfa_views import safe_next
from accounts.permissions import allows, may_see_others_tokens
from core.errors import DomainError
from core.forms import from_body, from_query


@login_required
def tokens(request):
    new_key = None
    if request.method == "POST":
        try:
            data = from_body(forms.TokenCreateForm, request).cleaned_or_raise()
            _, new_key = services.token_create(actor=request.user, user=request.user, name=data["name"],
                                               days=data["days"], current_password=data["current_password"])
        except DomainError as exc:
            messages.error(request, exc.message)
    page = from_query(forms.PageForm, request).values()["page"]
    others = Paginator(selectors.tokens_of_others(request.user), 50).get_page(page)  # an administrator may see many
    return render(request, "accounts/tokens.html", {
        "tokens": selectors.tokens_of(request.user), "others": others.object_list, "page": others,
        "new_key": new_key, "sees_others": allows(request.user, may_see_others_tokens),
        "usual_days": settings.BASELINE_TOKEN_DAYS,
    })


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = selectors.token_visible_or_404(request.user, pk)
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
        try:
            data = from_body(forms.PasswordChangeForm, request).cleaned_or_raise()
            services.user_password_change(actor=request.user, user=request.user,
                                          current_password=data["current_password"],
                                          new_password=data["new_password"])
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
