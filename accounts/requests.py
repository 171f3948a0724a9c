"""The two-person rule (DESIGN.md section 3): requests for the acts one administrator may not do
alone, their approval or refusal by a second administrator, and the acknowledgement of the acts the
operator performed from the command line.

A request is checked as far as it can be when it is made (the act it asks for must be possible), and
performed only on approval: by the approver, through the same service a direct act uses (with
`approval=`), in the transaction that records the decision, so the audit log names both people. Who
may approve is one rule: accounts/permissions.py `role_request_approval_refusal`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions, services
from accounts.models import REQUEST_LIFETIME_DAYS, OperatorActAcknowledgement, Organisation, RoleRequest, User
from core import audit
from core.actions import AuditAction
from core.actors import SYSTEM
from core.errors import DomainError
from core.models import AuditEntry

Kind = RoleRequest.Kind
Status = RoleRequest.Status


def _require_requester(actor) -> None:
    if not permissions.allows(actor, permissions.may_request_two_person_acts) or getattr(actor, "pk", None) is None:
        raise DomainError("Only administrators send requests.", code="forbidden", kind="forbidden")


def _target(payload: dict) -> User:
    user_id = payload.get("user_id")
    user = User.objects.filter(pk=user_id).first() if isinstance(user_id, int) else None
    if user is None:
        raise DomainError("No such user.", code="invalid", field="user_id")
    return user


def _not_needed(what: str) -> DomainError:
    return DomainError(f"{what} needs no second administrator: do it directly.", code="no_request_needed",
                       field="kind")


def _organisation_payload(actor, payload: dict) -> dict:
    name, country, kind = services._organisation_fields(
        str(payload.get("name") or ""), str(payload.get("country") or ""), str(payload.get("kind") or ""))
    if Organisation.objects.filter(name__iexact=name).exists():
        raise DomainError(f"An organisation named {name!r} exists.", code="exists", kind="conflict", field="name")
    return {"name": name, "country": country, "kind": kind}


def _user_payload(actor, payload: dict) -> dict:
    username = services._text(str(payload.get("username") or ""), field="username", label="A username",
                              max_length=User._meta.get_field("username").max_length)
    email = services._text(str(payload.get("email") or ""), field="email", label="An email address",
                           max_length=User._meta.get_field("email").max_length, required=False)
    org_id = payload.get("organisation_id")
    org = Organisation.objects.filter(pk=org_id, is_active=True).first() if isinstance(org_id, int) else None
    if org is None:
        raise DomainError("Choose an active organisation.", code="invalid", field="organisation_id")
    roles = payload.get("roles") or []
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise DomainError("Roles are a list of role names.", code="invalid", field="roles")
    roles = list(dict.fromkeys(roles))
    services._check_roles_combination(set(), roles)
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"A user named {username!r} exists.", code="exists", kind="conflict", field="username")
    return {"username": username, "email": email, "organisation_id": org.pk, "roles": roles}


def _grant_payload(actor, payload: dict) -> dict:
    user = _target(payload)
    services._check_actor_may_manage(actor, user)
    role = str(payload.get("role") or "")
    reason = services._reason(str(payload.get("reason") or ""), action="granting a role")
    held = set(user.role_grants.values_list("role", flat=True))
    if role in held:
        raise DomainError(f"{user.username} already holds {role}.", code="exists", kind="conflict")
    services._check_roles_combination(held, [role])
    if not permissions.act_needs_second_administrator(actor, Kind.ROLE_GRANT, role=role):
        raise _not_needed(f"Granting {role}")
    return {"user_id": user.pk, "username": user.username, "role": role, "reason": reason}


def _account_payload(kind: str):
    def check(actor, payload: dict) -> dict:
        user = _target(payload)
        if user.pk == actor.pk:
            raise DomainError("Nobody asks this for their own account.", code="self_change", kind="forbidden")
        if not permissions.act_needs_second_administrator(actor, kind, target=user):
            raise _not_needed(f"{Kind(kind).label} for {user.username}")
        return {"user_id": user.pk, "username": user.username}
    return check


PAYLOADS: dict[str, Callable[..., dict]] = {
    Kind.ORGANISATION_CREATE: _organisation_payload,
    Kind.USER_CREATE: _user_payload,
    Kind.ROLE_GRANT: _grant_payload,
    Kind.PASSWORD_ISSUE: _account_payload(Kind.PASSWORD_ISSUE),
    Kind.MFA_RESET: _account_payload(Kind.MFA_RESET),
}


# Acts of apps above accounts (curation's criteria sets): registered from their AppConfig.ready(),
# since accounts may not import them (core <- accounts <- curation <- portal).
PERFORMERS: dict[str, Callable[..., str | None]] = {}


def register(kind: str, *, check: Callable[..., dict], perform: Callable[..., str | None]) -> None:
    """Let another app's act be requested: `check(actor, payload)` returns the normalised payload
    (or raises), `perform(actor, request)` does it as the approver."""
    PAYLOADS[kind] = check
    PERFORMERS[kind] = perform


def role_request_create(*, actor, kind: str, payload: dict) -> RoleRequest:
    """Ask for a two-person act. The payload is checked now (so a request that cannot succeed is not
    sent) and stored normalised; nothing takes effect until another administrator approves it."""
    _require_requester(actor)
    if kind not in PAYLOADS:
        raise DomainError(f"Kind must be one of {', '.join(Kind.values)}.", code="invalid", field="kind")
    if not isinstance(payload, dict):
        raise DomainError("The payload is an object.", code="invalid", field="payload")
    payload = PAYLOADS[kind](actor, payload)
    with transaction.atomic():
        now = timezone.now()
        request = RoleRequest.objects.create(kind=kind, payload=payload, requested_by=actor, requested_at=now,
                                             expires_at=now + timedelta(days=REQUEST_LIFETIME_DAYS))
        audit.record(actor=actor, action=AuditAction.ROLE_REQUEST_CREATE, obj=request,
                     details={"kind": kind, "payload": payload, "expires_at": request.expires_at})
    return request


def _perform(actor, request: RoleRequest) -> str | None:
    """Do what `request` asks, as its approver. Returns a one-time password where one is made (shown
    to the approver only)."""
    p = request.payload
    if request.kind in PERFORMERS:
        return PERFORMERS[request.kind](actor, request)
    if request.kind == Kind.ORGANISATION_CREATE:
        services.organisation_create(actor=actor, name=p["name"], country=p["country"], kind=p["kind"],
                                     approval=request)
        return None
    if request.kind == Kind.USER_CREATE:
        password = services.new_one_time_password()
        services.user_create(actor=actor, username=p["username"], email=p["email"],
                             organisation=Organisation.objects.get(pk=p["organisation_id"]), roles=p["roles"],
                             password=password, must_change_password=True, approval=request)
        return password
    user = _target(p)
    if request.kind == Kind.ROLE_GRANT:
        services.role_grant(actor=actor, user=user, role=p["role"], reason=p["reason"], approval=request)
        return None
    if request.kind == Kind.PASSWORD_ISSUE:
        return services.user_password_issue(actor=actor, user=user, approval=request)
    services.mfa_reset(actor=actor, user=user, approval=request)
    return None


def _locked_pending(request_id: int) -> RoleRequest:
    request = RoleRequest.objects.select_for_update().select_related("requested_by").filter(pk=request_id).first()
    if request is None:
        raise DomainError("No such request.", code="not_found", kind="not_found")
    if request.status != Status.PENDING:
        raise DomainError(f"That request is already {request.status}.", code="decided", kind="conflict")
    return request


def _expire(request: RoleRequest) -> None:
    request.status = Status.EXPIRED
    request.save(update_fields=["status"])
    audit.record(actor=SYSTEM, action=AuditAction.ROLE_REQUEST_EXPIRE, obj=request, details={"kind": request.kind})


EXPIRED = "That request has expired (requests last 7 days); send a new one."


def role_request_approve(*, actor, request_id: int) -> tuple[RoleRequest, str | None]:
    """Approve and perform a request, once: the row is locked, so of simultaneous approvals one
    decides and the others meet a decided request (409). Returns the request and the one-time
    password the act made, if any (for the approver's eyes only)."""
    expired = False
    with transaction.atomic(durable=True):
        request = _locked_pending(request_id)
        refusal = permissions.role_request_approval_refusal(actor, request)
        if refusal:
            raise DomainError(refusal, code="not_eligible", kind="forbidden")
        if request.expires_at <= timezone.now():
            _expire(request)
            expired = True
        else:
            request.status, request.decided_by, request.decided_at = Status.APPROVED, actor, timezone.now()
            request.save(update_fields=["status", "decided_by", "decided_at"])
            secret = _perform(actor, request)
            audit.record(actor=actor, action=AuditAction.ROLE_REQUEST_APPROVE, obj=request,
                         details={"kind": request.kind, "requested_by_id": request.requested_by_id,
                                  "requested_by": request.requested_by.username})
    if expired:
        raise DomainError(EXPIRED, code="expired", kind="conflict")
    return request, secret


def role_request_refuse(*, actor, request_id: int, reason: str) -> RoleRequest:
    """Refuse a request (an administrator who may approve it), or withdraw it (its requester)."""
    reason = services._reason(reason, action="refusing a request")
    expired = False
    with transaction.atomic(durable=True):
        request = _locked_pending(request_id)
        if request.requested_by_id != getattr(actor, "pk", None):
            refusal = permissions.role_request_approval_refusal(actor, request)
            if refusal:
                raise DomainError(refusal.replace("approve", "refuse"), code="not_eligible", kind="forbidden")
        if request.expires_at <= timezone.now():
            _expire(request)
            expired = True
        else:
            request.status, request.decided_by, request.decided_at = Status.REFUSED, actor, timezone.now()
            request.reason = reason
            request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
            audit.record(actor=actor, action=AuditAction.ROLE_REQUEST_REFUSE, obj=request,
                         details={"kind": request.kind, "reason": reason,
                                  "requested_by_id": request.requested_by_id})
    if expired:
        raise DomainError(EXPIRED, code="expired", kind="conflict")
    return request


def role_requests_listed(*, actor, count: int) -> None:
    """Reading the requests is audited too (DESIGN.md section 3: every step)."""
    _require_requester(actor)
    with transaction.atomic():
        audit.record(actor=actor, action=AuditAction.ROLE_REQUEST_LIST, details={"count": count})


def operator_act_acknowledge(*, actor, entry_id: int) -> OperatorActAcknowledgement:
    """A second administrator has seen an act of the operator's; it leaves the list."""
    entry = AuditEntry.objects.filter(pk=entry_id, actor_username=audit.OPERATOR_NAME).first()
    if entry is None:
        raise DomainError("No such act of the operator's.", code="not_found", kind="not_found")
    if not permissions.allows(actor, permissions.may_acknowledge_operator_act, entry) or actor.pk is None:
        raise DomainError("Another administrator must acknowledge an act on your own account.",
                          code="forbidden", kind="forbidden")
    try:
        with transaction.atomic():
            ack = OperatorActAcknowledgement.objects.create(entry=entry, acknowledged_by=actor)
            audit.record(actor=actor, action=AuditAction.OPERATOR_ACT_ACKNOWLEDGE, obj=entry,
                         details={"action": entry.action, "operator": entry.details.get("operator")})
    except IntegrityError:
        raise DomainError("That act is already acknowledged.", code="decided", kind="conflict") from None
    return ack

