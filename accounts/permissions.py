"""The one place that answers role questions: which roles a user holds, and what they may do.

Views, API endpoints, templates and services ask here; nothing else reads RoleGrant rows.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.permissions import BasePermission

from accounts.models import Role, RoleGrant, RoleRequest
from core.actors import acts_beyond_roles
from core.errors import DomainError

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


# Two-person rule (DESIGN.md section 3) -----------------------------------------------------------

# Roles whose grant, and whose holders' passwords and second factors, need a second administrator.
TWO_PERSON_ROLES: frozenset[str] = frozenset({Role.ADMINISTRATOR, Role.REVIEWER, Role.CURATOR})
# How long an administrator grant made by people must stand before its holder may approve requests.
APPROVER_GRANT_AGE = timedelta(days=7)


def holds_two_person_role(user) -> bool:
    """Whether `user` has a grant of a two-person role, active or not (a deactivated reviewer gets the
    role back on reactivation, so their password is guarded all the same)."""
    return RoleGrant.objects.filter(user=user, role__in=TWO_PERSON_ROLES).exists()


def act_needs_second_administrator(actor, kind: str, *, target=None, role: str = "") -> bool:
    """Whether the act `kind` (a RoleRequest.Kind) by `actor` must be a request another administrator
    approves. The system and the operator act directly (their acts are audited and acknowledged)."""
    if acts_beyond_roles(actor):
        return False
    if kind in (RoleRequest.Kind.ORGANISATION_CREATE, RoleRequest.Kind.USER_CREATE,
                RoleRequest.Kind.CRITERIA_PUBLISH):
        return True
    if kind == RoleRequest.Kind.ROLE_GRANT:
        return role in TWO_PERSON_ROLES
    if kind in (RoleRequest.Kind.PASSWORD_ISSUE, RoleRequest.Kind.MFA_RESET):
        return target is not None and holds_two_person_role(target)
    return False


def may_request_two_person_acts(user) -> bool:
    """Administrators ask for two-person acts and see the requests page."""
    return has_role(user, Role.ADMINISTRATOR)


def role_request_approval_refusal(actor, request: RoleRequest, *, now=None) -> str | None:
    """Why `actor` may not approve `request`, or None if they may: the one statement of who the
    second person may be (DESIGN.md section 3)."""
    if not has_role(actor, Role.ADMINISTRATOR):
        return "Only administrators approve requests."
    requester = request.requested_by
    if actor.pk == requester.pk:
        return "Nobody approves their own request."
    if actor.organisation_id == requester.organisation_id:
        return "The approver must belong to another organisation than the requester."
    if actor.created_by_id == requester.pk:
        return "An administrator may not approve the requests of the person who created their account."
    if actor.pk == request.payload.get("user_id"):
        return "Nobody approves a request about their own account."
    grant = RoleGrant.objects.filter(user=actor, role=Role.ADMINISTRATOR).first()
    if grant is None:
        return "Only administrators approve requests."
    if requester.pk in (grant.granted_by_id, grant.approved_by_id):
        return "An administrator may not approve the requests of the person who granted them the role."
    from_operator = grant.granted_by_id is None and grant.approved_by_id is None
    old_enough = grant.granted_at <= (now or timezone.now()) - APPROVER_GRANT_AGE
    if not from_operator and not (grant.approved_by_id is not None and old_enough):
        return ("The approver must hold administrator from the operator or through an approved grant "
                f"at least {APPROVER_GRANT_AGE.days} days old.")
    return None


def may_approve_role_request(actor, request: RoleRequest) -> bool:
    return role_request_approval_refusal(actor, request) is None


def may_see_role_request(actor, request: RoleRequest) -> bool:
    """The requester sees their request; any administrator who may approve it does too."""
    return has_role(actor, Role.ADMINISTRATOR) and (
        request.requested_by_id == actor.pk or may_approve_role_request(actor, request))


def may_acknowledge_operator_act(actor, entry) -> bool:
    """Any administrator acknowledges what the operator did, except an act on their own account."""
    own = entry.object_type == "accounts.user" and entry.object_id == str(actor.pk)
    return has_role(actor, Role.ADMINISTRATOR) and not own


def second_person_check(actor, approval: RoleRequest | None, kind: str, *, target=None, role: str = "") -> dict:
    """The two-person rule at the write, asked by each service of a listed act: a person performs it
    only as the approver of `approval` (accounts/requests.py), else DomainError `needs_approval`.
    Returns what the act's audit entry adds: the request and its requester, so it names both people."""
    if approval is None:
        if act_needs_second_administrator(actor, kind, target=target, role=role):
            raise DomainError(
                "This needs a second administrator: send a request (POST /api/v1/role-requests/ or the "
                "Requests page); an administrator of another organisation must approve it.",
                code="needs_approval", kind="forbidden")
        return {}
    if (approval.kind != kind or approval.status != RoleRequest.Status.APPROVED
            or approval.decided_by_id is None or approval.decided_by_id != getattr(actor, "pk", None)):
        raise DomainError("Only the approver of a request performs it.", code="forbidden", kind="forbidden")
    return {"role_request_id": approval.pk, "requested_by_id": approval.requested_by_id,
            "requested_by": approval.requested_by.username}


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
