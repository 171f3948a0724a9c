"""A test client whose force_login also passes the second factor, as a real sign-in would."""

from django.test import Client
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
