"""Two-factor sign-in, read side: whether it is required, whether a user has an authenticator, the
enrolment QR code. Every change (enrol, verify, reset) is in accounts/services.py and is audited."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.conf import settings
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
