"""The one place that answers role questions: which roles a user holds, and what they may do.

Views, API endpoints, templates and services ask here; nothing else reads RoleGrant rows.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts.models import Role, RoleGrant
from core.actors import acts_beyond_roles

# Roles that may never be held together (separation of duties, DESIGN.md invariant 7).
INCOMPATIBLE_ROLES: frozenset[frozenset[str]] = frozenset(
    {frozenset({Role.REVIEWER, Role.ADMINISTRATOR})}
)

_CACHE_ATTR = "_baseline_roles"


def roles_of(user) -> frozenset[str]:
    """The roles a user holds now; none for anonymous, inactive or organisation-less users."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        if user.organisation_id is None or not user.organisation.is_active:
            cached = frozenset()
        else:
            cached = frozenset(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user) -> None:
    """Drop the per-request cache after a role change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_role(user, role: str) -> bool:
    return role in roles_of(user)


def has_any_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def role_conflict(current: frozenset[str] | set[str], new_role: str) -> str | None:
    """The held role that `new_role` may not be combined with, if any."""
    for pair in INCOMPATIBLE_ROLES:
        if new_role in pair:
            other = next(iter(pair - {new_role}))
            if other in current:
                return other
    return None


def allows(actor, rule, *args) -> bool:
    """Whether `actor` may do what `rule` guards. The system and the operator (core/actors.py) act
    beyond roles; anyone else, `None` included, must pass the rule."""
    return acts_beyond_roles(actor) or (actor is not None and bool(rule(actor, *args)))


# Named rules. Callers ask these, never `has_role` directly (tests/test_permissions_in_one_place.py).

def may_manage_accounts(user) -> bool:
    """Administrators manage organisations and user accounts: create users, (de)activate users and
    organisations, reset second factors, and use the administrators' user and organisation pages."""
    return has_role(user, Role.ADMINISTRATOR)


def may_view_admin_site(user) -> bool:
    """Administrators browse the read-only Django admin (which also wants a verified second factor)."""
    return has_role(user, Role.ADMINISTRATOR)


def may_manage_roles(actor, user) -> bool:
    """Administrators manage roles of others, never their own."""
    return may_manage_accounts(actor) and actor.pk != user.pk


def may_issue_password(actor, user) -> bool:
    """Administrators hand out one-time passwords to others; everyone changes their own themselves."""
    return may_manage_accounts(actor) and actor.pk != user.pk


def may_see_others_tokens(user) -> bool:
    """Administrators see every user's active API tokens (and so may revoke them)."""
    return has_role(user, Role.ADMINISTRATOR)


def may_revoke_token(actor, token) -> bool:
    """Everyone revokes their own tokens; administrators anyone's. Others' tokens are invisible (404)."""
    return token.user_id == actor.pk or may_see_others_tokens(actor)


def may_see_reviewer_roster(user) -> bool:
    """Administrators and curators see the roster of reviewers and their workload."""
    return has_any_role(user, Role.ADMINISTRATOR, Role.CURATOR)


class Allows(BasePermission):
    """DRF permission from a named rule: `permission_classes = [Allows.rule(may_review)]`."""

    message = "Your role does not allow this."

    @staticmethod
    def check(user) -> bool:
        return False

    @classmethod
    def rule(cls, rule) -> type[Allows]:
        return type(f"Allows_{rule.__name__}", (cls,), {"check": staticmethod(rule)})

    def has_permission(self, request, view) -> bool:
        return bool(self.check(request.user))
