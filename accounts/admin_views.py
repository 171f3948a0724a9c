"""Administrators' own pages: users, roles, organisations. Every change goes through a service;
input comes through accounts/forms.py, the user or organisation through accounts/selectors.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import forms, selectors, services
from accounts.countries import COUNTRIES
from accounts.models import Organisation, Role
from core.errors import DomainError
from core.forms import from_body, from_query


@login_required
def user_list(request):
    selectors.account_manager_or_403(request.user)
    search = from_query(forms.UserSearchForm, request).values()
    users = selectors.users_for_admin(query=search["q"], role=search["role"], organisation_id=search["org"])
    page = Paginator(users, 50).get_page(search["page"])
    return render(request, "accounts/admin_users.html", {
        "page": page, "roles": Role.choices, "organisations": Organisation.objects.order_by("name"),
        "q": search["q"], "role": search["role"], "org": "" if search["org"] is None else str(search["org"]),
        "with_mfa": selectors.users_with_second_factor(page.object_list),
    })


def _user_action(request, pk: int, action, form_class: type[forms.InputForm] | None = None):
    """Fetch the user (403/404), read the form, act; a refusal becomes the message on the users page."""
    user = selectors.user_for_admin_or_404(request.user, pk)
    try:
        data = from_body(form_class, request).cleaned_or_raise() if form_class else {}
        action(user, **data)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("admin-users")


@login_required
@require_POST
def user_grant(request, pk: int):
    def grant(user, *, role: str, reason: str):
        services.role_grant(actor=request.user, user=user, role=role, reason=reason)
        messages.success(request, f"{user.username} now holds the {role} role.")
    return _user_action(request, pk, grant, forms.RoleGrantForm)


@login_required
@require_POST
def user_revoke(request, pk: int):
    def revoke(user, *, role: str, reason: str):
        services.role_revoke(actor=request.user, user=user, role=role, reason=reason)
        messages.success(request, f"{user.username} no longer holds the {role} role.")
    return _user_action(request, pk, revoke, forms.RoleRevokeForm)


@login_required
@require_POST
def user_active(request, pk: int):
    def toggle(user, *, active: bool, reason: str):
        services.user_set_active(actor=request.user, user=user, active=active, reason=reason)
        messages.success(request, f"{user.username} {'reactivated' if active else 'deactivated'}.")
    return _user_action(request, pk, toggle, forms.UserActiveForm)


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
    user = selectors.user_for_admin_or_404(request.user, pk)
    try:
        password = services.user_password_issue(actor=request.user, user=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("admin-users")
    return render(request, "accounts/admin_password_issued.html", {"target": user, "password": password})


@login_required
def user_create(request):
    selectors.account_manager_or_403(request.user)
    form = from_body(forms.UserCreateForm, request) if request.method == "POST" else forms.UserCreateForm()
    errors: list[str] = []
    if form.is_bound:
        try:
            data = form.cleaned_or_raise()
            password = services.new_one_time_password()
            user = services.user_create(actor=request.user, username=data["username"],
                                        organisation=data["organisation"], roles=data["roles"],
                                        email=data["email"], password=password, must_change_password=True)
        except DomainError as exc:
            errors.append(exc.message)
        else:
            return render(request, "accounts/admin_user_created.html", {"created": user, "password": password})
    return render(request, "accounts/admin_user_create.html", {
        "form": form.echo(), "errors": errors, "roles": Role.choices,
        "organisations": Organisation.objects.filter(is_active=True).order_by("name"),
    }, status=400 if errors else 200)


@login_required
def organisation_list(request):
    selectors.account_manager_or_403(request.user)
    form = from_body(forms.OrganisationForm, request) if request.method == "POST" else forms.OrganisationForm()
    errors: list[str] = []
    if form.is_bound:
        try:
            org = services.organisation_create(actor=request.user, **form.cleaned_or_raise())
        except DomainError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, f"Organisation {org.name} created.")
            return redirect("admin-organisations")
    search = from_query(forms.OrganisationSearchForm, request).values()
    page = Paginator(selectors.organisations_for_admin(query=search["q"]), 50).get_page(search["page"])
    return render(request, "accounts/admin_organisations.html", {
        "page": page, "q": search["q"], "kinds": Organisation.Kind.choices, "countries": sorted(COUNTRIES.items()),
        "errors": errors, "posted": form.echo(),
    }, status=400 if errors else 200)


@login_required
def organisation_edit(request, pk: int):
    org = selectors.organisation_for_admin_or_404(request.user, pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            data = from_body(forms.OrganisationEditForm, request).cleaned_or_raise()
            if data["active"] is not None:
                services.organisation_set_active(actor=request.user, organisation=org, active=data["active"],
                                                 reason=data["reason"])
            else:
                services.organisation_update(actor=request.user, organisation=org, name=data["name"],
                                             country=data["country"], kind=data["kind"])
        except DomainError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, "Organisation updated.")
            return redirect("admin-organisations")
    return render(request, "accounts/admin_organisation_edit.html", {
        "org": org, "kinds": Organisation.Kind.choices, "countries": sorted(COUNTRIES.items()), "errors": errors,
    }, status=400 if errors else 200)
