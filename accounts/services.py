"""Every write to organisations, users, roles and tokens. Each one audits in its own transaction."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from accounts.countries import COUNTRIES
from accounts.models import ApiToken, Organisation, Role, RoleGrant, User
from accounts.tokens import digest, new_key
from curation import audit
from curation.errors import CurationError

PASSWORD_FAILURE_WINDOW = 3600  # seconds, as django-axes keeps a sign-in lockout (AXES_COOLOFF_TIME)
MAX_REASON = 500  # as for retractions (curation/services.py)


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def _text(value: str | None, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    """Trimmed free text within the column's length: a clear 400, never a DataError from the database."""
    value = (value or "").strip()
    if required and not value:
        raise CurationError(f"{label} is required.", code="invalid", field=field)
    if len(value) > max_length:
        raise CurationError(f"{label} is at most {max_length} characters (got {len(value)}).", code="invalid",
                            field=field)
    return value


def _reason(reason: str | None, *, action: str) -> str:
    return _text(reason, field="reason", label=f"A reason for {action}", max_length=MAX_REASON)


def new_one_time_password() -> str:
    """A random password for somebody else to hand over; its holder must replace it at sign-in."""
    return secrets.token_urlsafe(12)


def _check_actor_may_manage(actor, user: User) -> None:
    """`actor` None means the operator at the command line, who is trusted with the host."""
    if actor is None:
        return
    if actor.pk == user.pk:
        raise CurationError("Nobody can change their own roles.", code="self_grant", kind="forbidden")
    if not permissions.may_manage_roles(actor, user):
        raise CurationError("Only administrators manage roles.", code="forbidden", kind="forbidden")


def _organisation_fields(name: str, country: str, kind: str) -> tuple[str, str, str]:
    name, country = (name or "").strip(), (country or "").strip().upper()
    if not name:
        raise CurationError("An organisation needs a name.", code="invalid", field="name")
    name = _text(name, field="name", label="An organisation's name", max_length=_max_length(Organisation, "name"))
    if country not in COUNTRIES:
        raise CurationError(
            f"{country!r} is not an ISO 3166-1 alpha-2 country code.", code="invalid", field="country"
        )
    if kind not in Organisation.Kind.values:
        raise CurationError(
            f"Kind must be one of {', '.join(Organisation.Kind.values)}.", code="invalid", field="kind"
        )
    return name, country, kind


def organisation_create(*, actor, name: str, country: str, kind: str) -> Organisation:
    name, country, kind = _organisation_fields(name, country, kind)
    with transaction.atomic():
        if Organisation.objects.filter(name__iexact=name).exists():
            raise CurationError(f"An organisation named {name!r} exists.", code="exists", kind="conflict", field="name")
        try:
            with transaction.atomic():
                org = Organisation.objects.create(name=name, country=country, kind=kind)
                organisation_group(org)
        except IntegrityError:
            raise CurationError(
                f"An organisation named {name!r} exists.", code="exists", kind="conflict", field="name"
            ) from None
        audit.record(actor=actor, action="organisation.create", obj=org,
                     details={"name": name, "country": country, "kind": kind})
    return org


def organisation_group(org: Organisation) -> Group:
    """The group that holds the organisation's django-guardian grants (its feeds)."""
    if org.group_id is None:
        org.group, _ = Group.objects.get_or_create(name=f"organisation:{org.pk}")
        org.save(update_fields=["group"])
    return org.group


def user_create(
    *,
    actor,
    username: str,
    organisation: Organisation,
    roles: list[str],
    email: str = "",
    password: str | None = None,
    must_change_password: bool = False,
) -> User:
    """Create a user with roles. `password` None leaves an unusable password; a generated one-time
    password (seen by whoever created the account) comes with `must_change_password=True`."""
    if actor is not None and not permissions.may_manage_accounts(actor):
        raise CurationError("Only administrators create users.", code="forbidden", kind="forbidden")
    username = _text(username, field="username", label="A username", max_length=_max_length(User, "username"))
    email = _text(email, field="email", label="An email address", max_length=_max_length(User, "email"),
                  required=False)
    if organisation is None or not organisation.is_active:
        raise CurationError("That organisation is deactivated.", code="inactive", field="organisation")
    roles = list(dict.fromkeys(roles))  # `--role x --role x` or a repeated form field: one grant
    _check_roles_combination(set(), roles)
    exists = CurationError(f"A user named {username!r} exists.", code="exists", kind="conflict", field="username")
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise exists
        user = User(username=username, email=email, organisation=organisation,
                    must_change_password=must_change_password and password is not None)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        try:
            user.full_clean(exclude=["password"], validate_unique=False)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise CurationError(f"{field}: {' '.join(messages)}", code="invalid", field=field) from None
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise exists from None  # created by a simultaneous request since the check above
        audit.record(actor=actor, action="user.create", obj=user,
                     details={"username": username, "organisation_id": organisation.pk,
                              "must_change_password": user.must_change_password})
        for role in roles:
            _grant(actor=actor, user=user, role=role)
    return user


def _check_roles_combination(current: set[str], new_roles: list[str]) -> None:
    held = set(current)
    for role in new_roles:
        if role not in Role.values:
            raise CurationError(
                f"Unknown role {role!r}; roles are {', '.join(Role.values)}.", code="invalid", field="role"
            )
        other = permissions.role_conflict(held, role)
        if other:
            raise CurationError(
                f"The {role} role cannot be held together with {other} (separation of duties).",
                code="role_conflict", kind="conflict", field="role",
            )
        held.add(role)


def _grant(*, actor, user: User, role: str) -> RoleGrant:
    grant = RoleGrant.objects.create(user=user, role=role, granted_by=actor)
    audit.record(actor=actor, action="role.grant", obj=user, details={"role": role})
    permissions.forget_roles(user)
    return grant


def role_grant(*, actor, user: User, role: str, reason: str) -> RoleGrant:
    """Grant a role; `reason` (required, at most 500 characters) goes into the audit entry."""
    _check_actor_may_manage(actor, user)
    reason = _reason(reason, action="granting a role")
    with transaction.atomic():
        # Lock the user so two concurrent grants cannot together break separation of duties.
        User.objects.select_for_update().get(pk=user.pk)
        current = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
        if role in current:
            raise CurationError(f"{user.username} already holds {role}.", code="exists", kind="conflict")
        _check_roles_combination(current, [role])
        grant = RoleGrant.objects.create(user=user, role=role, granted_by=actor)
        audit.record(actor=actor, action="role.grant", obj=user, details={"role": role, "reason": reason})
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
            raise CurationError(f"{user.username} does not hold {role}.", code="not_held", kind="conflict")
        audit.record(actor=actor, action="role.revoke", obj=user, details={"role": role, "reason": reason})
    permissions.forget_roles(user)


def token_create(*, actor, user: User, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it with the key, which is never stored or shown again."""
    if actor is not None and actor.pk != user.pk:
        raise CurationError("Tokens are created by their owner.", code="forbidden", kind="forbidden")
    name = _text(name, field="name", label="A token's name", max_length=_max_length(ApiToken, "name"),
                 required=False)
    days = settings.BASELINE_TOKEN_DAYS if days is None else days
    if not 1 <= days <= 366:
        raise CurationError("A token lasts between 1 and 366 days.", code="invalid", field="days")
    key = new_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            digest=digest(key),
            prefix=key[:8],
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(actor=actor, action="token.create", obj=token,
                     details={"user_id": user.pk, "prefix": token.prefix, "days": days})
    return token, key


def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    if actor is not None and not permissions.may_revoke_token(actor, token):
        raise CurationError("You may revoke only your own tokens.", code="forbidden", kind="forbidden")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise CurationError("That token is already revoked.", code="revoked", kind="conflict")
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(actor=actor, action="token.revoke", obj=token,
                     details={"user_id": token.user_id, "prefix": token.prefix})
    return token


def _require_admin(actor) -> None:
    if actor is not None and not permissions.may_manage_accounts(actor):
        raise CurationError("Only administrators do this.", code="forbidden", kind="forbidden")


def user_set_active(*, actor, user: User, active: bool, reason: str = "") -> User:
    """Deactivate (or reactivate) an account; a deactivated user holds no role and no token works.
    Deactivating needs a reason; it goes into the audit entry."""
    _require_admin(actor)
    if actor is not None and actor.pk == user.pk:
        raise CurationError("Nobody deactivates their own account.", code="self_change", kind="forbidden")
    reason = _text(reason, field="reason", label="A reason for deactivating an account", max_length=MAX_REASON,
                   required=not active)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            raise CurationError(f"{user.username} is already {'active' if active else 'deactivated'}.",
                                code="unchanged", kind="conflict")
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(actor=actor, action="user.activate" if active else "user.deactivate", obj=user,
                     details={"reason": reason})
    permissions.forget_roles(user)
    return user


def user_password_change(*, actor, user: User, current_password: str, new_password: str) -> User:
    """A user replaces their own password: the current one first, then Django's password validators
    (AUTH_PASSWORD_VALIDATORS). Clears `must_change_password`. The caller keeps the session
    (`update_session_auth_hash`); every other session of the user ends with the old hash."""
    if actor is None or actor.pk != user.pk:
        raise CurationError("People change only their own password.", code="forbidden", kind="forbidden")
    failures_key = f"password-change-failures:{user.pk}"
    if cache.get(failures_key, 0) >= settings.AXES_FAILURE_LIMIT:
        # The same limit as sign-in (django-axes): a stolen session cannot guess the password.
        raise CurationError("Too many wrong current passwords. Try again in an hour.", code="too_many_attempts",
                            kind="throttled", field="current_password")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        matched = user.check_password(current_password or "")
        if not matched:
            audit.record(actor=actor, action="user.password_change_failed", obj=user)
    if not matched:
        cache.add(failures_key, 0, timeout=PASSWORD_FAILURE_WINDOW)
        cache.incr(failures_key)
        raise CurationError("Your current password is not right.", code="invalid_password", field="current_password")
    cache.delete(failures_key)
    new_password = new_password or ""
    if new_password == current_password:
        raise CurationError("Choose a new password, not the current one.", code="invalid", field="new_password")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise CurationError(" ".join(exc.messages), code="invalid", field="new_password") from None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        forced = user.must_change_password
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        audit.record(actor=actor, action="user.password_change", obj=user, details={"was_required": forced})
    return user


def user_password_issue(*, actor, user: User) -> str:
    """An administrator gives someone a new one-time password (returned, shown once). The user must
    replace it at their next sign-in; their other sessions end; API tokens are unaffected."""
    if actor is not None and not permissions.may_issue_password(actor, user):
        raise CurationError("Administrators issue passwords to others; change your own on the password page.",
                            code="forbidden", kind="forbidden")
    password = new_one_time_password()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        audit.record(actor=actor, action="user.password_issue", obj=user)
    return password


def organisation_update(*, actor, organisation: Organisation, name: str, country: str, kind: str) -> Organisation:
    _require_admin(actor)
    name, country, kind = _organisation_fields(name, country, kind)
    exists = CurationError(f"An organisation named {name!r} exists.", code="exists", kind="conflict", field="name")
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
        audit.record(actor=actor, action="organisation.update", obj=org,
                     details={"before": before, "after": {"name": name, "country": country, "kind": kind}})
    return org


def organisation_set_active(*, actor, organisation: Organisation, active: bool, reason: str = "") -> Organisation:
    """A deactivated organisation's members hold no role and their tokens stop working.
    Deactivating needs a reason; it goes into the audit entry."""
    _require_admin(actor)
    reason = _text(reason, field="reason", label="A reason for deactivating an organisation",
                   max_length=MAX_REASON, required=not active)
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if actor is not None and org.pk == actor.organisation_id and not active:
            raise CurationError("Nobody deactivates their own organisation.", code="self_change", kind="forbidden")
        org.is_active = active
        org.save(update_fields=["is_active"])
        audit.record(actor=actor, action="organisation.activate" if active else "organisation.deactivate", obj=org,
                     details={"reason": reason})
    return org
