"""Reads for the account pages. Each page fetches the object it acts on through the one helper for
its type, which answers 404 or 403 itself (STYLE.md "Races, said plainly"); nothing here writes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import permissions
from accounts.models import ApiToken, OperatorActAcknowledgement, Organisation, RoleGrant, RoleRequest, User
from accounts.permissions import allows
from core.audit import OPERATOR_NAME
from core.models import AuditEntry


def account_manager_or_403(actor) -> None:
    """The administrators' pages are for those who manage accounts; anyone else gets 403."""
    if not allows(actor, permissions.may_manage_accounts):
        raise PermissionDenied


def user_for_admin_or_404(actor, pk: int) -> User:
    """A user an administrator acts on: 403 for anyone else (before looking), 404 if there is none."""
    account_manager_or_403(actor)
    return get_object_or_404(User, pk=pk)


def organisation_for_admin_or_404(actor, pk: int) -> Organisation:
    account_manager_or_403(actor)
    return get_object_or_404(Organisation, pk=pk)


def token_visible_or_404(user, pk: int) -> ApiToken:
    """A token its owner, or an administrator, acts on. Another user's token is invisible to
    everyone else: 404, as if it did not exist."""
    token = get_object_or_404(ApiToken, pk=pk)
    if not allows(user, permissions.may_revoke_token, token):
        raise Http404
    return token


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def tokens_of_others(user) -> QuerySet[ApiToken]:
    """Other users' active tokens, for those who may see them; none for anyone else."""
    if not allows(user, permissions.may_see_others_tokens):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(revoked_at__isnull=True).exclude(user=user).select_related("user")


def users_for_admin(*, query: str = "", role: str = "", organisation_id: int | None = None) -> QuerySet[User]:
    """Users by organisation and name with their roles, those whose name or email contains `query`,
    who hold `role`, of the organisation `organisation_id` (each when given)."""
    users = User.objects.select_related("organisation").prefetch_related(
        Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role"))
    ).order_by("organisation__name", "username")
    if query:
        users = users.filter(Q(username__icontains=query) | Q(email__icontains=query))
    if role:
        users = users.filter(role_grants__role=role)
    if organisation_id is not None:
        users = users.filter(organisation_id=organisation_id)
    return users


def users_with_second_factor(users) -> set[int]:
    """The ids of those among `users` who have a confirmed authenticator."""
    return set(TOTPDevice.objects.filter(confirmed=True, user__in=[u.pk for u in users])
               .values_list("user_id", flat=True))


def organisations_for_admin(*, query: str = "") -> QuerySet[Organisation]:
    """Organisations by name with their member counts, those whose name contains `query` if given."""
    organisations = Organisation.objects.annotate(member_count=Count("members")).order_by("name")
    if query:
        organisations = organisations.filter(name__icontains=query)
    return organisations


def role_requests_for(actor) -> list[RoleRequest]:
    """The requests `actor` made, and the pending ones of others that `actor` may approve (newest
    first). Eligibility is one rule in Python (accounts/permissions.py), over the pending few."""
    if not allows(actor, permissions.may_request_two_person_acts):
        return []
    rows = (RoleRequest.objects.select_related("requested_by__organisation", "decided_by")
            .filter(Q(requested_by=actor) | Q(status=RoleRequest.Status.PENDING))
            .exclude(~Q(requested_by=actor), requested_by__organisation_id=actor.organisation_id))
    return [r for r in rows if r.requested_by_id == actor.pk or permissions.may_approve_role_request(actor, r)]


def role_request_visible_or_404(actor, pk: int) -> RoleRequest:
    """A request its requester or a possible approver acts on; 403 for non-administrators, else 404."""
    account_manager_or_403(actor)
    request = RoleRequest.objects.select_related("requested_by").filter(pk=pk).first()
    if request is None or not permissions.may_see_role_request(actor, request):
        raise Http404
    return request


def operator_acts_unacknowledged() -> QuerySet[AuditEntry]:
    """What the operator did from the command line and no second administrator has acknowledged."""
    acknowledged = OperatorActAcknowledgement.objects.values("entry_id")
    return AuditEntry.objects.filter(actor_username=OPERATOR_NAME).exclude(pk__in=acknowledged).order_by("-seq")


def user_id_by_username(username: str) -> int | None:
    """The id of the user called exactly `username`, or None."""
    return User.objects.filter(username=username).values_list("pk", flat=True).first()


def names_by_id(*, user_ids=(), organisation_ids=()) -> tuple[dict[int, str], dict[int, str]]:
    """Usernames and organisation names of the given ids, in two queries: for pages that name the
    people and organisations an id points at (the audit log)."""
    users = dict(User.objects.filter(pk__in=set(user_ids)).values_list("pk", "username")) if user_ids else {}
    organisations = (dict(Organisation.objects.filter(pk__in=set(organisation_ids)).values_list("pk", "name"))
                     if organisation_ids else {})
    return users, organisations
