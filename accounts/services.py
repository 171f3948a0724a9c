"""Every write to organisations, users, roles, tokens and second factors. Each one audits in its own transaction."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import permissions
from accounts.countries import COUNTRIES
from accounts.mfa import RECOVERY_CODES as MFA_RECOVERY_CODES
from accounts.mfa import THROTTLED as MFA_THROTTLED
from accounts.mfa import recovery_code_digest, recovery_code_digests
from accounts.models import ApiToken, Organisation, Role, RoleGrant, RoleRequest, User
from accounts.permissions import allows
from accounts.tokens import digest, new_key
from core import audit
from core.actions import AuditAction
from core.actors import acts_beyond_roles, person
from core.errors import DomainError
from core.inputs import REASON_MAX_LENGTH

PASSWORD_FAILURE_WINDOW = 3600  # seconds, as django-axes keeps a sign-in lockout (AXES_COOLOFF_TIME)
MAX_REASON = REASON_MAX_LENGTH


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def _text(value: str | None, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    """Trimmed free text within the column's length: a clear 400, never a DataError from the database."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"{label} is required.", code="invalid", field=field)
    if len(value) > max_length:
        raise DomainError(f"{label} is at most {max_length} characters (got {len(value)}).", code="invalid",
                            field=field)
    return value


def _reason(reason: str | None, *, action: str) -> str:
    return _text(reason, field="reason", label=f"A reason for {action}", max_length=MAX_REASON)


def new_one_time_password() -> str:
    """A random password for somebody else to hand over; its holder must replace it at sign-in."""
    return secrets.token_urlsafe(12)


def _check_actor_may_manage(actor, user: User) -> None:
    if getattr(actor, "pk", None) == user.pk:
        raise DomainError("Nobody can change their own roles.", code="self_grant", kind="forbidden")
    if not allows(actor, permissions.may_manage_roles, user):
        raise DomainError("Only administrators manage roles.", code="forbidden", kind="forbidden")


def _organisation_fields(name: str, country: str, kind: str) -> tuple[str, str, str]:
    name, country = (name or "").strip(), (country or "").strip().upper()
    if not name:
        raise DomainError("An organisation needs a name.", code="invalid", field="name")
    name = _text(name, field="name", label="An organisation's name", max_length=_max_length(Organisation, "name"))
    if country not in COUNTRIES:
        raise DomainError(
            f"{country!r} is not an ISO 3166-1 alpha-2 country code.", code="invalid", field="country"
        )
    if kind not in Organisation.Kind.values:
        raise DomainError(
            f"Kind must be one of {', '.join(Organisation.Kind.values)}.", code="invalid", field="kind"
        )
    return name, country, kind


def organisation_create(*, actor, name: str, country: str, kind: str,
                        approval: RoleRequest | None = None) -> Organisation:
    if not allows(actor, permissions.may_manage_accounts):
        raise DomainError("Only administrators create organisations.", code="forbidden", kind="forbidden")
    name, country, kind = _organisation_fields(name, country, kind)
    with transaction.atomic():
        if Organisation.objects.filter(name__iexact=name).exists():
            raise DomainError(f"An organisation named {name!r} exists.", code="exists", kind="conflict", field="name")
        both = permissions.second_person_check(actor, approval, RoleRequest.Kind.ORGANISATION_CREATE)
        try:
            with transaction.atomic():
                org = Organisation.objects.create(name=name, country=country, kind=kind)
                organisation_group_ensure(actor=actor, organisation=org)
        except IntegrityError:
            raise DomainError(
                f"An organisation named {name!r} exists.", code="exists", kind="conflict", field="name"
            ) from None
        audit.record(actor=actor, action=AuditAction.ORGANISATION_CREATE, obj=org,
                     details={"name": name, "country": country, "kind": kind, **both})
    return org


def organisation_group_ensure(*, actor, organisation: Organisation) -> Group:
    """The group that holds the organisation's django-guardian grants (its feeds), made if it does
    not exist yet. Bookkeeping inside a checked action (creating the organisation, granting a feed):
    the caller has asked the rule for `actor`; this refuses only a missing actor."""
    if actor is None:
        raise DomainError("An action needs an actor.", code="forbidden", kind="forbidden")
    if organisation.group_id is None:
        organisation.group, _ = Group.objects.get_or_create(name=f"organisation:{organisation.pk}")
        organisation.save(update_fields=["group"])
    return organisation.group


def user_create(
    *,
    actor,
    username: str,
    organisation: Organisation,
    roles: list[str],
    email: str = "",
    password: str | None = None,
    must_change_password: bool = False,
    approval: RoleRequest | None = None,
) -> User:
    """Create a user with roles. `password` None leaves an unusable password; a generated one-time
    password (seen by whoever created the account) comes with `must_change_password=True`."""
    if not allows(actor, permissions.may_manage_accounts):
        raise DomainError("Only administrators create users.", code="forbidden", kind="forbidden")
    username = _text(username, field="username", label="A username", max_length=_max_length(User, "username"))
    email = _text(email, field="email", label="An email address", max_length=_max_length(User, "email"),
                  required=False)
    if organisation is None or not organisation.is_active:
        raise DomainError("That organisation is deactivated.", code="inactive", field="organisation")
    roles = list(dict.fromkeys(roles))  # `--role x --role x` or a repeated form field: one grant
    _check_roles_combination(set(), roles)
    exists = DomainError(f"A user named {username!r} exists.", code="exists", kind="conflict", field="username")
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise exists
        user = User(username=username, email=email, organisation=organisation,
                    must_change_password=must_change_password and password is not None,
                    created_by=approval.requested_by if approval else None)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        try:
            user.full_clean(exclude=["password"], validate_unique=False)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise DomainError(f"{field}: {' '.join(messages)}", code="invalid", field=field) from None
        # The two-person rule is asked after the input checks, so a bad value gets its own message.
        both = permissions.second_person_check(actor, approval, RoleRequest.Kind.USER_CREATE)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise exists from None  # created by a simultaneous request since the check above
        audit.record(actor=actor, action=AuditAction.USER_CREATE, obj=user,
                     details={"username": username, "organisation_id": organisation.pk,
                              "must_change_password": user.must_change_password, **both})
        for role in roles:
            _grant(actor=actor, user=user, role=role, approval=approval)
    return user


def _check_roles_combination(current: set[str], new_roles: list[str]) -> None:
    held = set(current)
    for role in new_roles:
        if role not in Role.values:
            raise DomainError(
                f"Unknown role {role!r}; roles are {', '.join(Role.values)}.", code="invalid", field="role"
            )
        other = permissions.role_conflict(held, role)
        if other:
            raise DomainError(
                f"The {role} role cannot be held together with {other} (separation of duties).",
                code="role_conflict", kind="conflict", field="role",
            )
        held.add(role)


def _grantors(actor, approval: RoleRequest | None) -> dict:
    """Who granted (the requester, when a request was approved) and who approved the grant."""
    if approval is None:
        return {"granted_by": person(actor)}
    return {"granted_by": approval.requested_by, "approved_by": actor}


def _grant(*, actor, user: User, role: str, approval: RoleRequest | None = None) -> RoleGrant:
    grant = RoleGrant.objects.create(user=user, role=role, **_grantors(actor, approval))
    details = {"role": role}
    if approval is not None:
        details |= {"role_request_id": approval.pk, "requested_by_id": approval.requested_by_id}
    audit.record(actor=actor, action=AuditAction.ROLE_GRANT, obj=user, details=details)
    permissions.forget_roles(user)
    return grant


def role_grant(*, actor, user: User, role: str, reason: str, approval: RoleRequest | None = None) -> RoleGrant:
    """Grant a role; `reason` (required, at most 500 characters) goes into the audit entry.
    `administrator`, `reviewer` and `curator` are granted by people only through an approved request."""
    _check_actor_may_manage(actor, user)
    reason = _reason(reason, action="granting a role")
    with transaction.atomic():
        # Lock the user so two concurrent grants cannot together break separation of duties.
        User.objects.select_for_update().get(pk=user.pk)
        current = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
        if role in current:
            raise DomainError(f"{user.username} already holds {role}.", code="exists", kind="conflict")
        _check_roles_combination(current, [role])
        both = permissions.second_person_check(actor, approval, RoleRequest.Kind.ROLE_GRANT, role=role)
        grant = RoleGrant.objects.create(user=user, role=role, **_grantors(actor, approval))
        audit.record(actor=actor, action=AuditAction.ROLE_GRANT, obj=user,
                     details={"role": role, "reason": reason, **both})
    permissions.forget_roles(user)
    return grant


def role_revoke(*, actor, user: User, role: str, reason: str) -> None:
    """Revoke a role; `reason` (required, at most 500 characters) goes into the audit entry."""
    _check_actor_may_manage(actor, user)
    reason = _reason(reason, action="revoking a role")
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        deleted, _ = RoleGrant.objects.filter(user=user, role=role).delete()
        if not deleted:
            raise DomainError(f"{user.username} does not hold {role}.", code="not_held", kind="conflict")
        audit.record(actor=actor, action=AuditAction.ROLE_REVOKE, obj=user, details={"role": role, "reason": reason})
    permissions.forget_roles(user)


def token_create(*, actor, user: User, name: str = "", days: int | None = None,
                 current_password: str | None = None) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it with the key, which is never stored or shown again.
    A token lasting longer than BASELINE_TOKEN_DAYS (the usual lifetime) needs the owner's current
    password. A user holds at most BASELINE_MAX_ACTIVE_TOKENS active tokens (409 `too_many_tokens`): more
    tokens would otherwise mean more of anything counted per token."""
    if not acts_beyond_roles(actor) and getattr(actor, "pk", None) != user.pk:
        raise DomainError("Tokens are created by their owner.", code="forbidden", kind="forbidden")
    name = _text(name, field="name", label="A token's name", max_length=_max_length(ApiToken, "name"),
                 required=False)
    days = settings.BASELINE_TOKEN_DAYS if days is None else days
    if not 1 <= days <= 366:
        raise DomainError("A token lasts between 1 and 366 days.", code="invalid", field="days")
    if days > settings.BASELINE_TOKEN_DAYS and not acts_beyond_roles(actor):
        # A session taken over for a moment must not leave with a key that works for a year.
        _password_confirm(actor=actor, user=user, password=current_password, failed=AuditAction.USER_REAUTH_FAILED)
    key = new_key()
    with transaction.atomic():
        # The user's row lock makes simultaneous creations take turns, so the count below holds.
        # Deactivation updates the same row, so it cannot slip between this check and the insert.
        locked = User.objects.select_for_update().filter(pk=user.pk).first()
        # Read afresh, not from the caller's copy: inactive users and members of inactive organisations
        # hold no role, and a token made for them now would start working on reactivation.
        if not permissions.roles_of(User.objects.select_related("organisation").get(pk=locked.pk)):
            raise DomainError("Only a user who holds a role has API tokens.", code="no_role", kind="forbidden")
        active = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).count()
        if active >= settings.BASELINE_MAX_ACTIVE_TOKENS:
            raise DomainError(
                f"{user.username} already has {active} active API tokens, the most one user may hold; "
                "revoke one first.", code="too_many_tokens", kind="conflict",
                extra={"active_tokens": active, "limit": settings.BASELINE_MAX_ACTIVE_TOKENS})
        token = ApiToken.objects.create(
            user=user,
            name=name,
            digest=digest(key),
            prefix=key[:8],
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(actor=actor, action=AuditAction.TOKEN_CREATE, obj=token,
                     details={"user_id": user.pk, "prefix": token.prefix, "days": days})
    return token, key


def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    if not allows(actor, permissions.may_revoke_token, token):
        raise DomainError("You may revoke only your own tokens.", code="forbidden", kind="forbidden")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise DomainError("That token is already revoked.", code="revoked", kind="conflict")
        token.revoked_at = timezone.now()
        token.revoked_by = person(actor)
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(actor=actor, action=AuditAction.TOKEN_REVOKE, obj=token,
                     details={"user_id": token.user_id, "prefix": token.prefix})
    return token


def _require_admin(actor) -> None:
    if not allows(actor, permissions.may_manage_accounts):
        raise DomainError("Only administrators do this.", code="forbidden", kind="forbidden")


def _members_cut_off(users) -> dict:
    """End the sessions of `users` (a queryset) and revoke their live tokens, so nothing they held
    comes back when an account or organisation is reactivated. Counts go into the audit entry."""
    now = timezone.now()
    sessions = users.update(session_epoch=F("session_epoch") + 1)
    tokens = ApiToken.objects.filter(user__in=users, revoked_at__isnull=True, expires_at__gt=now).update(
        revoked_at=now)
    return {"accounts_signed_out": sessions, "tokens_revoked": tokens}


def user_set_active(*, actor, user: User, active: bool, reason: str = "") -> User:
    """Deactivate (or reactivate) an account; a deactivated user holds no role, their sessions end and
    their tokens are revoked (reactivating gives back the roles, not the sessions or tokens).
    Deactivating needs a reason; it goes into the audit entry."""
    _require_admin(actor)
    if getattr(actor, "pk", None) == user.pk:
        raise DomainError("Nobody deactivates their own account.", code="self_change", kind="forbidden")
    reason = _text(reason, field="reason", label="A reason for deactivating an account", max_length=MAX_REASON,
                   required=not active)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            raise DomainError(f"{user.username} is already {'active' if active else 'deactivated'}.",
                                code="unchanged", kind="conflict")
        user.is_active = active
        user.save(update_fields=["is_active"])
        cut_off = {} if active else _members_cut_off(User.objects.filter(pk=user.pk))
        action = AuditAction.USER_ACTIVATE if active else AuditAction.USER_DEACTIVATE
        audit.record(actor=actor, action=action, obj=user,
                     details={"reason": reason, **cut_off})
    permissions.forget_roles(user)
    return user


def _password_confirm(*, actor, user: User, password: str | None, failed: str) -> None:
    """The user's current password, asked again before a change a stolen session must not make
    (a new password, a new authenticator, a long-lived token). Wrong answers are audited as
    `failed` and limited like sign-in (django-axes' limit, for an hour, shared by every purpose)."""
    failures_key = f"password-change-failures:{user.pk}"
    if cache.get(failures_key, 0) >= settings.AXES_FAILURE_LIMIT:
        # The same limit as sign-in (django-axes): a stolen session cannot guess the password.
        raise DomainError("Too many wrong current passwords. Try again in an hour.", code="too_many_attempts",
                            kind="throttled", field="current_password")
    with transaction.atomic():
        matched = User.objects.select_for_update().get(pk=user.pk).check_password(password or "")
        if not matched:
            audit.record(actor=actor, action=failed, obj=user)
    if not matched:
        cache.add(failures_key, 0, timeout=PASSWORD_FAILURE_WINDOW)
        cache.incr(failures_key)
        raise DomainError("Your current password is not right.", code="invalid_password", field="current_password")
    cache.delete(failures_key)


def user_password_change(*, actor, user: User, current_password: str, new_password: str) -> User:
    """A user replaces their own password: the current one first, then Django's password validators
    (AUTH_PASSWORD_VALIDATORS). Clears `must_change_password`. The caller keeps the session
    (`update_session_auth_hash`); every other session of the user ends with the old hash."""
    if getattr(actor, "pk", None) != user.pk:
        raise DomainError("People change only their own password.", code="forbidden", kind="forbidden")
    _password_confirm(actor=actor, user=user, password=current_password,
                      failed=AuditAction.USER_PASSWORD_CHANGE_FAILED)
    new_password = new_password or ""
    if new_password == current_password:
        raise DomainError("Choose a new password, not the current one.", code="invalid", field="new_password")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="invalid", field="new_password") from None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        forced = user.must_change_password
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        audit.record(actor=actor, action=AuditAction.USER_PASSWORD_CHANGE, obj=user, details={"was_required": forced})
    return user


def user_password_issue(*, actor, user: User, approval: RoleRequest | None = None) -> str:
    """An administrator gives someone a new one-time password (returned, shown once). The user must
    replace it at their next sign-in; their other sessions end; API tokens are unaffected. For an
    administrator, reviewer or curator only the approver of a request does it (and sees it)."""
    if not allows(actor, permissions.may_issue_password, user):
        raise DomainError("Administrators issue passwords to others; change your own on the password page.",
                            code="forbidden", kind="forbidden")
    both = permissions.second_person_check(actor, approval, RoleRequest.Kind.PASSWORD_ISSUE, target=user)
    password = new_one_time_password()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        audit.record(actor=actor, action=AuditAction.USER_PASSWORD_ISSUE, obj=user, details=both)
    return password


def organisation_update(*, actor, organisation: Organisation, name: str, country: str, kind: str) -> Organisation:
    _require_admin(actor)
    name, country, kind = _organisation_fields(name, country, kind)
    exists = DomainError(f"An organisation named {name!r} exists.", code="exists", kind="conflict", field="name")
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if Organisation.objects.filter(name__iexact=name).exclude(pk=org.pk).exists():
            raise exists
        before = {"name": org.name, "country": org.country, "kind": org.kind}
        org.name, org.country, org.kind = name, country, kind
        try:
            with transaction.atomic():
                org.save(update_fields=["name", "country", "kind"])
        except IntegrityError:
            raise exists from None  # renamed or created by a simultaneous request
        audit.record(actor=actor, action=AuditAction.ORGANISATION_UPDATE, obj=org,
                     details={"before": before, "after": {"name": name, "country": country, "kind": kind}})
    return org


def organisation_set_active(*, actor, organisation: Organisation, active: bool, reason: str = "") -> Organisation:
    """A deactivated organisation's members hold no role, their sessions end and their tokens are
    revoked (reactivating gives back the roles, not the sessions or tokens).
    Deactivating needs a reason; it goes into the audit entry."""
    _require_admin(actor)
    reason = _text(reason, field="reason", label="A reason for deactivating an organisation",
                   max_length=MAX_REASON, required=not active)
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if org.pk == getattr(actor, "organisation_id", None) and not active:
            raise DomainError("Nobody deactivates their own organisation.", code="self_change", kind="forbidden")
        org.is_active = active
        org.save(update_fields=["is_active"])
        cut_off = {} if active else _members_cut_off(User.objects.filter(organisation=org))
        action = AuditAction.ORGANISATION_ACTIVATE if active else AuditAction.ORGANISATION_DEACTIVATE
        audit.record(actor=actor, action=action, obj=org,
                     details={"reason": reason, **cut_off})
    return org


def user_email_digest_set(*, actor, user: User, on: bool) -> User:
    """A user turns the review-queue email digest on or off for themselves."""
    if getattr(actor, "pk", None) != user.pk:
        raise DomainError("People set only their own email preference.", code="forbidden", kind="forbidden")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.email_digest = on
        user.save(update_fields=["email_digest"])
        audit.record(actor=actor, action=AuditAction.USER_EMAIL_DIGEST, obj=user, details={"on": on})
    actor.email_digest = on
    return user


def token_mark_used(*, actor, token: ApiToken, now) -> None:
    """Record when a token was last used (the caller limits how often: once a minute is enough).
    Sign-in bookkeeping: the system records it, or the token's owner."""
    if not acts_beyond_roles(actor) and getattr(actor, "pk", None) != token.user_id:
        raise DomainError("Only the system records a token's use.", code="forbidden", kind="forbidden")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


# Second factors (django-otp TOTP with recovery codes) -----------------------------------------

def mfa_device_pending_ensure(*, actor, user) -> TOTPDevice:
    """The user's unconfirmed authenticator, created on first visit to the enrolment page."""
    if getattr(actor, "pk", None) != user.pk:
        raise DomainError("People set up only their own second factor.", code="forbidden", kind="forbidden")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def _check_own_session(actor, request) -> None:
    """A second factor is proved in the session of the person it belongs to (`request` carries it)."""
    if actor is None or getattr(actor, "pk", None) != request.user.pk:
        raise DomainError("People prove only their own second factor.", code="forbidden", kind="forbidden")


def mfa_enrol(*, actor, request, device: TOTPDevice, token: str, current_password: str | None = None) -> list[str]:
    """Confirm the authenticator with a current code; returns fresh recovery codes (shown once).
    Replacing a confirmed authenticator needs the current password as well: a session taken over
    for a moment must not be able to move the second factor to another phone."""
    _check_own_session(actor, request)
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        _password_confirm(actor=actor, user=request.user, password=current_password,
                          failed=AuditAction.USER_REAUTH_FAILED)
    token = (token or "").strip().replace(" ", "")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
        allowed, _ = device.verify_is_allowed()
        matched = allowed and token.isascii() and token.isdigit() and device.verify_token(token)
        if not matched:
            audit.record(actor=request.user, action=AuditAction.MFA_ENROL_FAILED, obj=request.user)
    if not allowed:
        raise DomainError(MFA_THROTTLED, code="throttled", field="token")
    if not matched:
        raise DomainError("That code did not match. Check the time on your phone and try again.",
                            code="invalid_token", field="token")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        codes = _mfa_recovery_codes_new(request.user)
        audit.record(actor=request.user, action=AuditAction.MFA_ENROL, obj=request.user)
    otp_login(request, device)
    return codes


def _mfa_recovery_codes_new(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=recovery_code_digest(code)) for code in codes)
    return codes


def mfa_verify(*, actor, request, token: str) -> str | None:
    """Check a TOTP or recovery code for the signed-in user and mark the session verified.
    Returns None on success, else why not (django-otp slows down repeated wrong codes)."""
    _check_own_session(actor, request)
    token = (token or "").strip().replace(" ", "").lower()
    user = request.user
    device, throttled = None, False
    if token:
        for candidate in [*TOTPDevice.objects.filter(user=user, confirmed=True),
                          *StaticDevice.objects.filter(user=user, confirmed=True)]:
            if hasattr(candidate, "verify_is_allowed") and not candidate.verify_is_allowed()[0]:
                throttled = True
                continue
            if isinstance(candidate, StaticDevice):
                # Recovery codes are stored as keyed digests (accounts/mfa.py): compare those.
                if any(candidate.verify_token(value) for value in recovery_code_digests(token)):
                    device = candidate
                    break
            elif candidate.verify_token(token):
                device = candidate
                break
    with transaction.atomic():
        audit.record(actor=user, action=AuditAction.MFA_VERIFY if device else AuditAction.MFA_VERIFY_FAILED,
                     obj=user,
                     details={"method": "recovery_code" if isinstance(device, StaticDevice) else "totp"}
                     if device else {})
    if device is None:
        return MFA_THROTTLED if throttled else (
            "That code did not match. Try the current code from your authenticator, or a recovery code.")
    otp_login(request, device)
    return None


def mfa_reset(*, actor, user, approval: RoleRequest | None = None) -> None:
    """An administrator removes a user's second factor; they enrol again at their next sign-in. For an
    administrator, reviewer or curator only the approver of a request does it."""
    if not allows(actor, permissions.may_manage_accounts):
        raise DomainError("Only administrators reset a second factor.", code="forbidden", kind="forbidden")
    if getattr(actor, "pk", None) == user.pk:
        raise DomainError("Nobody resets their own second factor.", code="self_reset", kind="forbidden")
    both = permissions.second_person_check(actor, approval, RoleRequest.Kind.MFA_RESET, target=user)
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
        audit.record(actor=actor, action=AuditAction.MFA_RESET, obj=user, details={"devices_removed": removed, **both})
