"""Test clients: one whose force_login also passes the second factor, as a real sign-in would, and
the key of a real API token for a user."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def verified_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)


class VerifiedClient(Client):
    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = verified_device(user).persistent_id
        session.save()


def approve_as(approver, request_id: int | None = None):
    """Approve a request on the Requests page as `approver` in a verified session (the newest
    request when `request_id` is None); the page's response."""
    from accounts.models import RoleRequest

    client = VerifiedClient()
    client.force_login(approver)
    pk = RoleRequest.objects.latest("pk").pk if request_id is None else request_id
    return client.post(f"/requests/{pk}/approve/")


def api_key_for(user) -> str:
    """A real token's key. Nobody without a role is given one (token_create refuses), but a token
    made while the user held a role outlives its revocation: for a user with no role, that token."""
    from accounts.models import ApiToken
    from accounts.permissions import roles_of
    from accounts.services import token_create
    from accounts.tokens import digest, new_key
    from core.actors import SYSTEM

    if roles_of(user):
        return token_create(actor=SYSTEM, user=user, name="test")[1]
    key = new_key()
    ApiToken.objects.create(user=user, name="kept from a revoked role", digest=digest(key), prefix=key[:8],
                            expires_at=timezone.now() + timedelta(days=30))
    return key
