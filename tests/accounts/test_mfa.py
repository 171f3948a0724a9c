"""Two-factor sign-in, lockout and sign-in auditing, through the real sign-in pages."""

import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa, services
from core.errors import DomainError
from core.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def sign_in(client, username="curator", password=PASSWORD):
    return client.post("/sign-in/", {"username": username, "password": password})


def test_first_sign_in_requires_enrolment_before_anything_else(personas):
    client = Client()
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"].startswith("/two-factor/set-up/")
    assert client.get("/").status_code == 302  # nothing else until enrolled
    assert client.get("/api/v1/me/").json()["code"] == "mfa_required"
    page = client.get("/two-factor/set-up/").content.decode()
    assert "<svg" in page and 'id="totp-secret"' in page
    device = TOTPDevice.objects.get(user=personas.curator, confirmed=False)
    bad = client.post("/two-factor/set-up/", {"token": "000000" if code(device) != "000000" else "111111"})
    assert bad.status_code == 400 and "did not match" in bad.content.decode()
    throttled = client.post("/two-factor/set-up/", {"token": code(device)})  # right code, too soon
    assert throttled.status_code == 400 and "wait a few seconds" in throttled.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)  # as if the wait had passed
    done = client.post("/two-factor/set-up/", {"token": code(device), "next": "/"})
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert client.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=personas.curator).count() == 10
    actions = list(AuditEntry.objects.filter(actor=personas.curator).values_list("action", flat=True))
    assert actions[-4:] == ["auth.sign_in", "mfa.enrol_failed", "mfa.enrol_failed", "mfa.enrol"]


def test_later_sign_ins_need_a_current_code(personas):
    device = TOTPDevice.objects.create(user=personas.curator, name="phone", confirmed=True)
    client = Client()
    response = sign_in(client)
    assert response["Location"].startswith("/two-factor/?next=")
    assert client.get("/releases/").status_code == 302
    wrong = client.post("/two-factor/", {"token": "12345x"})
    assert wrong.status_code == 400 and "did not match" in wrong.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)  # as if the wait had passed
    response = client.post("/two-factor/", {"token": code(device), "next": "/releases/"})
    assert response["Location"] == "/releases/"
    assert client.get("/releases/").status_code == 200
    assert list(AuditEntry.objects.filter(action__startswith="mfa.").values_list("action", flat=True)) == [
        "mfa.verify_failed", "mfa.verify"]


def test_a_recovery_code_works_once(personas):
    client = Client()
    sign_in(client)
    client.get("/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=personas.curator)
    page = client.post("/two-factor/set-up/", {"token": code(device)}).content.decode()
    recovery = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", page)[0]
    client.post("/sign-out/")
    second = Client()
    sign_in(second)
    assert second.post("/two-factor/", {"token": recovery.upper()}).status_code == 302
    third = Client()
    sign_in(third)
    assert third.post("/two-factor/", {"token": recovery}).status_code == 400


def test_an_unverified_session_cannot_reach_the_django_admin(personas):
    client = Client()
    sign_in(client, "admin")
    assert client.get("/django-admin/").status_code == 302


def test_the_next_parameter_cannot_leave_the_site(personas):
    device = TOTPDevice.objects.create(user=personas.curator, name="phone", confirmed=True)
    client = Client()
    sign_in(client)
    response = client.post("/two-factor/", {"token": code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_administrators_reset_a_second_factor_audited(personas):
    TOTPDevice.objects.create(user=personas.curator, name="phone", confirmed=True)
    with pytest.raises(DomainError, match="Only administrators"):
        services.mfa_reset(actor=personas.reviewer, user=personas.curator)
    with pytest.raises(DomainError, match="own second factor"):
        services.mfa_reset(actor=personas.admin, user=personas.admin)
    # A curator's second factor is a two-person act (tests/accounts/test_two_person_rule.py); a partner's is not.
    with pytest.raises(DomainError, match="second administrator"):
        services.mfa_reset(actor=personas.admin, user=personas.curator)
    assert mfa.has_device(personas.curator)
    TOTPDevice.objects.create(user=personas.partner, name="phone", confirmed=True)
    services.mfa_reset(actor=personas.admin, user=personas.partner)
    assert not mfa.has_device(personas.partner)
    assert AuditEntry.objects.get(action="mfa.reset").actor == personas.admin


def test_failed_sign_ins_are_audited_without_the_password(personas):
    sign_in(Client(), "curator", "wrong-password-123")
    entry = AuditEntry.objects.get(action="auth.sign_in_failed")
    assert entry.object_id == "curator" and "wrong-password" not in str(entry.details)


def test_repeated_failures_lock_the_account_from_that_address_without_revealing_it(personas, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "curator", "wrong")
    locked = sign_in(client, "curator", PASSWORD)  # even the right password is refused now
    assert locked.status_code == 429 and "Too many failed attempts" in locked.content.decode()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "nobody-by-this-name", "wrong")
    ghost = sign_in(client, "nobody-by-this-name", "wrong")
    assert ghost.status_code == 429 and "Too many failed attempts" in ghost.content.decode()
    assert "_auth_user_id" not in client.session
    alert = re.compile(r'<p class="error" role="alert">(.*?)</p>', re.S)
    said = alert.search(locked.content.decode()).group(1)
    assert said == alert.search(ghost.content.decode()).group(1)
    assert "contact your organisation's Baseline administrator" in said


def test_security_headers_are_set(personas, client):
    client.force_login(personas.curator)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_page_has_an_inline_script(personas, client):
    client.force_login(personas.admin)
    for path in ("/", "/tokens/", "/api/v1/docs/", "/criteria/", "/entitlements/", "/sign-in/"):
        page = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
