"""Two-factor sign-in: TOTP (django-otp) with recovery codes. Every change is audited."""

from __future__ import annotations

import secrets

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import permissions
from core import audit
from core.actions import AuditAction
from core.errors import DomainError

RECOVERY_CODES = 10
THROTTLED = "Too many wrong codes in a row: wait a few seconds, then try the current code."


def required() -> bool:
    return settings.BASELINE_REQUIRE_MFA


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The user's unconfirmed authenticator, created on first visit to the enrolment page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG, drawn here: nothing leaves the network."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def secret_base32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


def enrol_confirm(request, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a current code; returns fresh recovery codes (shown once)."""
    token = (token or "").strip().replace(" ", "")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
        allowed, _ = device.verify_is_allowed()
        matched = allowed and token.isascii() and token.isdigit() and device.verify_token(token)
        if not matched:
            audit.record(actor=request.user, action=AuditAction.MFA_ENROL_FAILED, obj=request.user)
    if not allowed:
        raise DomainError(THROTTLED, code="throttled", field="token")
    if not matched:
        raise DomainError("That code did not match. Check the time on your phone and try again.",
                            code="invalid_token", field="token")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        codes = _new_recovery_codes(request.user)
        audit.record(actor=request.user, action=AuditAction.MFA_ENROL, obj=request.user)
    otp_login(request, device)
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def verify(request, token: str) -> str | None:
    """Check a TOTP or recovery code for the signed-in user and mark the session verified.
    Returns None on success, else why not (django-otp slows down repeated wrong codes)."""
    token = (token or "").strip().replace(" ", "").lower()
    user = request.user
    device, throttled = None, False
    if token:
        for candidate in [*TOTPDevice.objects.filter(user=user, confirmed=True),
                          *StaticDevice.objects.filter(user=user, confirmed=True)]:
            if hasattr(candidate, "verify_is_allowed") and not candidate.verify_is_allowed()[0]:
                throttled = True
                continue
            if candidate.verify_token(token):
                device = candidate
                break
    with transaction.atomic():
        audit.record(actor=user, action=AuditAction.MFA_VERIFY if device else AuditAction.MFA_VERIFY_FAILED,
                     obj=user,
                     details={"method": "recovery_code" if isinstance(device, StaticDevice) else "totp"}
                     if device else {})
    if device is None:
        return THROTTLED if throttled else (
            "That code did not match. Try the current code from your authenticator, or a recovery code.")
    otp_login(request, device)
    return None


def reset(*, actor, user) -> None:
    """An administrator removes a user's second factor; they enrol again at their next sign-in."""
    if not permissions.may_manage_accounts(actor):
        raise DomainError("Only administrators reset a second factor.", code="forbidden", kind="forbidden")
    if actor.pk == user.pk:
        raise DomainError("Nobody resets their own second factor.", code="self_reset", kind="forbidden")
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
        audit.record(actor=actor, action=AuditAction.MFA_RESET, obj=user, details={"devices_removed": removed})
