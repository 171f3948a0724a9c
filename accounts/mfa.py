"""Two-factor sign-in, read side: whether it is required, whether a user has an authenticator, the
enrolment QR code. Every change (enrol, verify, reset) is in accounts/services.py and is audited."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
THROTTLED = "Too many wrong codes in a row: wait a few seconds, then try the current code."


def required() -> bool:
    return settings.BASELINE_REQUIRE_MFA


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG, drawn here: nothing leaves the network."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def secret_base32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


def recovery_code_digest(code: str, secret: str | None = None) -> str:
    """How a recovery code is stored: a keyed digest (HMAC-SHA256 with SECRET_KEY, 16 hex digits to
    fit django-otp's column), so a copy of the database alone gives no usable code (G10)."""
    return salted_hmac("accounts.recovery-code", code.strip().lower(), secret=secret,
                       algorithm="sha256").hexdigest()[:16]


def recovery_code_digests(code: str) -> list[str]:
    """The stored forms a typed code may have: under SECRET_KEY and each SECRET_KEY_FALLBACKS key."""
    return [recovery_code_digest(code), *(recovery_code_digest(code, secret=key)
                                          for key in settings.SECRET_KEY_FALLBACKS)]
