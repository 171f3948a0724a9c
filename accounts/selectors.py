"""Reads for the account pages. Each page fetches the object it acts on through the one helper for
its type, which answers 404 or 403 itself (STYLE.md "Races, said plainly"); nothing here writes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import permissions
from accounts.models import ApiToken, Organisation, RoleGrant, User
from accounts.permissions import allows


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
