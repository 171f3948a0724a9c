"""Sign-in events go to the audit log. Django reports them by signal; each is recorded in its own
transaction (signing in changes only the session and `last_login`)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from accounts.network import client_address
from core import audit
from core.actions import AuditAction
from core.actors import SYSTEM


def _address(request) -> str:
    return (client_address(request) or "") if request is not None else ""


@receiver(user_logged_in)
def signed_in(sender, request, user, **kwargs):
    with transaction.atomic():
        audit.record(actor=user, action=AuditAction.AUTH_SIGN_IN, obj=user, details={"address": _address(request)})


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs):
    if user is not None:
        with transaction.atomic():
            audit.record(actor=user, action=AuditAction.AUTH_SIGN_OUT, obj=user)


@receiver(user_login_failed)
def sign_in_failed(sender, credentials, request=None, **kwargs):
    # The attempted username is kept only when such an account exists: what was typed may be a
    # password in the wrong field, and the log is append-only.
    from accounts.models import User

    typed = str(credentials.get("username", ""))[:150]
    username = typed if User.objects.filter(username=typed).exists() else "(no such account)"
    with transaction.atomic():
        audit.record(actor=SYSTEM, action=AuditAction.AUTH_SIGN_IN_FAILED, object_type="accounts.user",
                     object_id=username,
                     details={"address": _address(request)})
