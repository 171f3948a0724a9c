"""Administrators' own pages: users, roles, organisations. Every change goes through a service;
input comes through accounts/forms.py, the user or organisation through accounts/selectors.py."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import forms, permissions, requests, selectors, services
from accounts.countries import COUNTRIES
from accounts.models import Organisation, Role, RoleRequest
from core.errors import DomainError
from core.forms import from_body, from_query

REQUEST_SENT = "Request sent; another administrator must approve it."


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
        "back": urlencode({k: v for k, v in search.items() if v not in ("", None)}),  # for the user pages
    })


@login_required
def user_detail(request, pk: int):
    """One user and everything an administrator does to their account: roles granted and revoked,
    deactivation, a new one-time password, a second-factor reset. The list's search rides along."""
    target = selectors.user_for_admin_or_404(request.user, pk)
    return render(request, "accounts/admin_user.html", {
        "target": target, "grants": target.role_grants.order_by("role"), "roles": Role.choices,
        "has_mfa": bool(selectors.users_with_second_factor([target])), "self": target == request.user,
        "back": from_query(forms.BackForm, request).query(),
    })


def _to_user_page(request, user):
    """Back to the user's page after an action, the list's search still carried."""
    back = from_body(forms.BackForm, request).query()
    url = reverse("admin-user", args=[user.pk])
    return redirect(f"{url}?{urlencode({'back': back})}" if back else url)


def _user_action(request, pk: int, action, form_class: type[forms.InputForm] | None = None):
    """Fetch the user (403/404), read the form, act; a refusal becomes the message on the user's page."""
    user = selectors.user_for_admin_or_404(request.user, pk)
    try:
        data = from_body(form_class, request).cleaned_or_raise() if form_class else {}
        action(user, **data)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _to_user_page(request, user)


@login_required
@require_POST
def user_grant(request, pk: int):
    def grant(user, *, role: str, reason: str):
        if permissions.act_needs_second_administrator(request.user, RoleRequest.Kind.ROLE_GRANT, role=role):
            requests.role_request_create(actor=request.user, kind=RoleRequest.Kind.ROLE_GRANT,
                                         payload={"user_id": user.pk, "role": role, "reason": reason})
            messages.success(request, f"{REQUEST_SENT} ({role} for {user.username})")
            return
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
        if permissions.act_needs_second_administrator(request.user, RoleRequest.Kind.MFA_RESET, target=user):
            requests.role_request_create(actor=request.user, kind=RoleRequest.Kind.MFA_RESET,
                                         payload={"user_id": user.pk})
            messages.success(request, f"{REQUEST_SENT} (a second-factor reset for {user.username})")
            return
        services.mfa_reset(actor=request.user, user=user)
        messages.success(request, f"{user.username} will set up a new second factor at their next sign-in.")
    return _user_action(request, pk, reset)


@login_required
@require_POST
def user_password_issue(request, pk: int):
    """A new one-time password for someone who lost theirs: shown once, replaced at their next sign-in."""
    user = selectors.user_for_admin_or_404(request.user, pk)
    try:
        if permissions.act_needs_second_administrator(request.user, RoleRequest.Kind.PASSWORD_ISSUE, target=user):
            requests.role_request_create(actor=request.user, kind=RoleRequest.Kind.PASSWORD_ISSUE,
                                         payload={"user_id": user.pk})
            messages.success(request, f"{REQUEST_SENT} (a one-time password for {user.username}; it is shown "
                                      "to the approver only)")
            return _to_user_page(request, user)
        password = services.user_password_issue(actor=request.user, user=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _to_user_page(request, user)
    return render(request, "accounts/admin_password_issued.html", {"target": user, "password": password})


@login_required
def user_create(request):
    selectors.account_manager_or_403(request.user)
    form = from_body(forms.UserCreateForm, request) if request.method == "POST" else forms.UserCreateForm()
    errors: list[str] = []
    if form.is_bound:
        try:
            data = form.cleaned_or_raise()
            # A new account is a request: its one-time password is shown to the approver only.
            requests.role_request_create(actor=request.user, kind=RoleRequest.Kind.USER_CREATE, payload={
                "username": data["username"], "email": data["email"], "roles": data["roles"],
                "organisation_id": data["organisation"].pk if data["organisation"] else None})
        except DomainError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, f"{REQUEST_SENT} (the account {data['username']}; its one-time password "
                                      "is shown to the approver only)")
            return redirect("role-requests")
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
            requests.role_request_create(actor=request.user, kind=RoleRequest.Kind.ORGANISATION_CREATE,
                                         payload=form.cleaned_or_raise())
        except DomainError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, f"{REQUEST_SENT} (the organisation {form.cleaned_data['name']})")
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


# The two-person rule's pages ------------------------------------------------------------------

@login_required
def role_request_list(request):
    """Requests the administrator made, pending ones they may approve, and the operator's acts that
    await a second administrator's acknowledgement."""
    selectors.account_manager_or_403(request.user)
    rows = selectors.role_requests_for(request.user)
    requests.role_requests_listed(actor=request.user, count=len(rows))
    operator_acts = [(entry, permissions.may_acknowledge_operator_act(request.user, entry))
                     for entry in selectors.operator_acts_unacknowledged()[:200]]
    return render(request, "accounts/role_requests.html", {
        "mine": [r for r in rows if r.requested_by_id == request.user.pk],
        "to_decide": [r for r in rows if r.requested_by_id != request.user.pk],
        "operator_acts": operator_acts,
    })


@login_required
@require_POST
def role_request_approve(request, pk: int):
    role_request = selectors.role_request_visible_or_404(request.user, pk)
    try:
        role_request, password = requests.role_request_approve(actor=request.user, request_id=role_request.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("role-requests")
    if password is not None:
        username = role_request.payload.get("username", "")
        return render(request, "accounts/admin_password_issued.html", {"target": {"username": username},
                                                                       "password": password, "approved": True})
    messages.success(request, f"Approved: {role_request.get_kind_display().lower()}.")
    return redirect("role-requests")


@login_required
@require_POST
def role_request_refuse(request, pk: int):
    role_request = selectors.role_request_visible_or_404(request.user, pk)
    try:
        reason = from_body(forms.RoleRequestRefuseForm, request).cleaned_or_raise()["reason"]
        requests.role_request_refuse(actor=request.user, request_id=role_request.pk, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Request refused.")
    return redirect("role-requests")


@login_required
@require_POST
def operator_act_acknowledge(request, pk: int):
    selectors.account_manager_or_403(request.user)
    try:
        requests.operator_act_acknowledge(actor=request.user, entry_id=pk)
    except DomainError as exc:
        if exc.kind == "not_found":
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, "Acknowledged.")
    return redirect("role-requests")
