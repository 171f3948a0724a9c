"""Which address a request comes from: REMOTE_ADDR, or behind N trusted proxies the Nth entry of
X-Forwarded-For from the right. What a client writes itself is never believed."""

import pytest
from django.test import RequestFactory

from accounts.network import client_address


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "198.51.100.9", "10.0.0.1"),  # no proxy configured: the header is the client's own words
    (1, "", "10.0.0.1"),  # not through the proxy at all
    (1, "203.0.113.7", "203.0.113.7"),
    (1, "198.51.100.9, 203.0.113.7", "203.0.113.7"),  # the left entry is forged
    (2, "198.51.100.9, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    (2, "203.0.113.7", "10.0.0.1"),  # too short for two proxies
    (1, "198.51.100.9, not-an-address", "10.0.0.1"),
    (1, "2001:db8::1", "2001:db8::1"),
])
def test_client_address(settings, proxies, forwarded, expected):
    settings.BASELINE_TRUSTED_PROXIES = proxies
    headers = {"REMOTE_ADDR": "10.0.0.1"}
    if forwarded:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(RequestFactory().get("/", **headers)) == expected


def test_the_lockout_and_the_sign_in_audit_use_the_same_address(settings):
    from axes.helpers import get_client_ip_address

    settings.BASELINE_TRUSTED_PROXIES = 1
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7", REMOTE_ADDR="10.0.0.1")
    assert get_client_ip_address(request) == "203.0.113.7"
