"""Sign-in events go to the audit log. Django reports them by signal; each is recorded in its own
transaction (signing in changes only the session and `last_login`)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
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


# Failed sign-ins come from anyone, so their entries are bounded per address: the first
# FAILURES_RECORDED in a window each get an entry; after that one `auth.sign_in_failures` entry
# per FAILURES_PER_SUMMARY more carries the count. A flood costs the append-only chain a few
# entries an hour per address instead of one a request. Lockout (django-axes) is not affected.
FAILURES_RECORDED = 10
FAILURES_PER_SUMMARY = 100
FAILURE_WINDOW = 3600  # seconds


def _failures_from(address: str) -> int:
    """This failure's number among the window's failures from `address` (shared cache, atomic)."""
    key = f"sign-in-failures:{address}"
    cache.add(key, 0, timeout=FAILURE_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=FAILURE_WINDOW)
        return 1


@receiver(user_login_failed)
def sign_in_failed(sender, credentials, request=None, **kwargs):
    # The attempted username is kept only when such an account exists: what was typed may be a
    # password in the wrong field, and the log is append-only.
    from accounts.models import User

    address = _address(request)
    number = _failures_from(address)
    if number > FAILURES_RECORDED:
        beyond = number - FAILURES_RECORDED
        if beyond % FAILURES_PER_SUMMARY == 0:
            with transaction.atomic():
                audit.record(actor=SYSTEM, action=AuditAction.AUTH_SIGN_IN_FAILURES, object_type="address",
                             object_id=address, details={"address": address, "failures": number,
                                                         "window_seconds": FAILURE_WINDOW})
        return
    typed = str(credentials.get("username", ""))[:150]
    username = typed if User.objects.filter(username=typed).exists() else "(no such account)"
    with transaction.atomic():
        audit.record(actor=SYSTEM, action=AuditAction.AUTH_SIGN_IN_FAILED, object_type="accounts.user",
                     object_id=username, details={"address": address})
