"""Administrators' own pages: users, roles, organisations. Every change goes through a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import services
from accounts.countries import COUNTRIES
from accounts.models import Organisation, Role, RoleGrant, User
from accounts.permissions import may_manage_accounts
from core.errors import DomainError
from core.inputs import whole_number


def _admin(request) -> None:
    if not may_manage_accounts(request.user):
        raise PermissionDenied


@login_required
def user_list(request):
    _admin(request)
    users = User.objects.select_related("organisation").prefetch_related(
        Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role"))
    ).order_by("organisation__name", "username")
    query, role, org = request.GET.get("q", "").strip(), request.GET.get("role", ""), request.GET.get("org", "")
    if query:
        users = users.filter(Q(username__icontains=query) | Q(email__icontains=query))
    if role in Role.values:
        users = users.filter(role_grants__role=role)
    if whole_number(org) is not None:
        users = users.filter(organisation_id=whole_number(org))
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with_mfa = set(TOTPDevice.objects.filter(confirmed=True, user__in=[u.pk for u in page.object_list])
                   .values_list("user_id", flat=True))
    return render(request, "accounts/admin_users.html", {
        "page": page, "roles": Role.choices, "organisations": Organisation.objects.order_by("name"),
        "q": query, "role": role, "org": org, "with_mfa": with_mfa,
    })


def _user_action(request, pk: int, action) -> object:
    _admin(request)
    user = get_object_or_404(User, pk=pk)
    try:
        action(user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("admin-users")


@login_required
@require_POST
def user_grant(request, pk: int):
    def grant(user):
        services.role_grant(actor=request.user, user=user, role=request.POST.get("role", ""),
                            reason=request.POST.get("reason", "").strip())
        messages.success(request, f"{user.username} now holds the {request.POST.get('role')} role.")
    return _user_action(request, pk, grant)


@login_required
@require_POST
def user_revoke(request, pk: int):
    def revoke(user):
        services.role_revoke(actor=request.user, user=user, role=request.POST.get("role", ""),
                             reason=request.POST.get("reason", "").strip())
        messages.success(request, f"{user.username} no longer holds the {request.POST.get('role')} role.")
    return _user_action(request, pk, revoke)


@login_required
@require_POST
def user_active(request, pk: int):
    def toggle(user):
        active = request.POST.get("active") == "on"
        services.user_set_active(actor=request.user, user=user, active=active,
                                 reason=request.POST.get("reason", "").strip())
        messages.success(request, f"{user.username} {'reactivated' if active else 'deactivated'}.")
    return _user_action(request, pk, toggle)


@login_required
@require_POST
def user_reset_mfa(request, pk: int):
    def reset(user):
        services.mfa_reset(actor=request.user, user=user)
        messages.success(request, f"{user.username} will set up a new second factor at their next sign-in.")
    return _user_action(request, pk, reset)


@login_required
@require_POST
def user_password_issue(request, pk: int):
    """A new one-time password for someone who lost theirs: shown once, replaced at their next sign-in."""
    _admin(request)
    user = get_object_or_404(User, pk=pk)
    try:
        password = services.user_password_issue(actor=request.user, user=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("admin-users")
    return render(request, "accounts/admin_password_issued.html", {"target": user, "password": password})


@login_required
def user_create(request):
    _admin(request)
    form = {"username": "", "email": "", "organisation": "", "roles": []}
    errors: list[str] = []
    if request.method == "POST":
        form = {"username": request.POST.get("username", ""), "email": request.POST.get("email", ""),
                "organisation": request.POST.get("organisation", ""), "roles": request.POST.getlist("roles")}
        org_id = whole_number(form["organisation"])
        org = Organisation.objects.filter(pk=org_id).first() if org_id is not None else None
        if org is None:
            errors.append("Choose an organisation.")
        else:
            password = services.new_one_time_password()
            try:
                user = services.user_create(actor=request.user, username=form["username"], organisation=org,
                                            roles=form["roles"], email=form["email"], password=password,
                                            must_change_password=True)
            except DomainError as exc:
                errors.append(exc.message)
            else:
                return render(request, "accounts/admin_user_created.html", {"created": user, "password": password})
    return render(request, "accounts/admin_user_create.html", {
        "form": form, "errors": errors, "roles": Role.choices,
        "organisations": Organisation.objects.filter(is_active=True).order_by("name"),
    }, status=400 if errors else 200)


@login_required
def organisation_list(request):
    _admin(request)
    errors: list[str] = []
    if request.method == "POST":
        try:
            org = services.organisation_create(actor=request.user, name=request.POST.get("name", ""),
                                               country=request.POST.get("country", ""),
                                               kind=request.POST.get("kind", ""))
        except DomainError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, f"Organisation {org.name} created.")
            return redirect("admin-organisations")
    query = request.GET.get("q", "").strip()[:200]
    organisations = Organisation.objects.annotate(member_count=Count("members")).order_by("name")
    if query:
        organisations = organisations.filter(name__icontains=query)
    page = Paginator(organisations, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/admin_organisations.html", {
        "page": page, "q": query, "kinds": Organisation.Kind.choices, "countries": sorted(COUNTRIES.items()),
        "errors": errors, "posted": request.POST,
    }, status=400 if errors else 200)


@login_required
def organisation_edit(request, pk: int):
    _admin(request)
    org = get_object_or_404(Organisation, pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            if "active" in request.POST:
                services.organisation_set_active(actor=request.user, organisation=org,
                                                 active=request.POST["active"] == "on",
                                                 reason=request.POST.get("reason", ""))
            else:
                services.organisation_update(actor=request.user, organisation=org,
                                             name=request.POST.get("name", ""),
                                             country=request.POST.get("country", ""),
                                             kind=request.POST.get("kind", ""))
        except DomainError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, "Organisation updated.")
            return redirect("admin-organisations")
    return render(request, "accounts/admin_organisation_edit.html", {
        "org": org, "kinds": Organisation.Kind.choices, "countries": sorted(COUNTRIES.items()), "errors": errors,
    }, status=400 if errors else 200)
