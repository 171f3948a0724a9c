"""The client's address, in one place: lockouts (django-axes) and the download log both use it."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """REMOTE_ADDR, or behind N trusted reverse proxies (BASELINE_TRUSTED_PROXIES) the address the
    outermost of them saw: the Nth entry of X-Forwarded-For counted from the right. Entries further
    left were written by the client and are never believed. A header too short for N proxies means
    the request did not come through them; then REMOTE_ADDR is the honest answer."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.BASELINE_TRUSTED_PROXIES
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # a proxy would not write this: treat the header as absent
