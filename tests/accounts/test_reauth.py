"""A session taken over for a moment cannot keep what it took: replacing the authenticator and
making a long-lived token need the current password again; recovery codes are stored as keyed
digests, so a copy of the database gives none (issue 11 item 10)."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa, services
from accounts.models import ApiToken
from core.errors import DomainError
from core.models import AuditEntry
from tests.accounts.test_mfa import code, sign_in
from tests.clients import VerifiedClient
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_long_lived_token_needs_the_password(personas, settings):
    client = VerifiedClient()
    client.force_login(personas.partner)
    longer = settings.BASELINE_TOKEN_DAYS + 1
    for password in ("", "not it"):
        page = client.post("/tokens/", {"name": "year", "days": str(longer), "current_password": password})
        assert "Your current password is not right." in page.content.decode()
    assert not ApiToken.objects.filter(user=personas.partner).exists()
    assert AuditEntry.objects.filter(action="user.reauth_failed", actor=personas.partner).count() == 2
    page = client.post("/tokens/", {"name": "year", "days": str(longer), "current_password": PASSWORD})
    assert "Your new token" in page.content.decode()
    client.post("/tokens/", {"name": "usual", "days": str(settings.BASELINE_TOKEN_DAYS)})  # no password needed
    assert ApiToken.objects.filter(user=personas.partner).count() == 2


def test_the_operator_makes_long_tokens_without_a_password(personas):
    from core.actors import SYSTEM

    token, _ = services.token_create(actor=SYSTEM, user=personas.partner, name="sync", days=366)
    assert token.pk


def test_replacing_the_authenticator_needs_the_password(personas):
    client = VerifiedClient()
    client.force_login(personas.curator)
    old = TOTPDevice.objects.get(user=personas.curator, confirmed=True)
    page = client.get("/two-factor/set-up/").content.decode()
    assert 'name="current_password"' in page
    new = TOTPDevice.objects.get(user=personas.curator, confirmed=False)
    refused = client.post("/two-factor/set-up/", {"token": code(new), "current_password": "guess"})
    assert refused.status_code == 400 and "Your current password is not right." in refused.content.decode()
    assert TOTPDevice.objects.filter(pk=old.pk, confirmed=True).exists()
    assert not TOTPDevice.objects.get(pk=new.pk).confirmed
    done = client.post("/two-factor/set-up/", {"token": code(new), "current_password": PASSWORD})
    assert done.status_code == 200
    assert list(TOTPDevice.objects.filter(user=personas.curator).values_list("pk", flat=True)) == [new.pk]


def test_recovery_codes_are_stored_as_digests_and_still_work_once(personas):
    client = Client()
    sign_in(client)
    client.get("/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=personas.curator, confirmed=False)
    done = client.post("/two-factor/set-up/", {"token": code(device), "next": "/"})
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.content.decode())
    stored = set(StaticToken.objects.filter(device__user=personas.curator).values_list("token", flat=True))
    assert len(codes) == len(stored) == 10 and not stored & set(codes)
    assert stored == {mfa.recovery_code_digest(c) for c in codes}
    other = Client()
    sign_in(other)
    assert other.post("/two-factor/", {"token": codes[0].upper(), "next": "/"})["Location"] == "/"
    again = Client()
    sign_in(again)
    assert again.post("/two-factor/", {"token": codes[0]}).status_code == 400  # used up
    assert StaticToken.objects.filter(device__user=personas.curator).count() == 9


def test_codes_stored_before_are_hashed_by_the_migration(personas):
    static = StaticDevice.objects.create(user=personas.curator, name="recovery codes", confirmed=True)
    StaticToken.objects.create(device=static, token="1a2b3c-4d5e6f")
    StaticToken.objects.create(device=static, token=mfa.recovery_code_digest("0a0b0c-0d0e0f"))
    migration = importlib.import_module("accounts.migrations.0009_recovery_codes_hashed")
    migration.hash_codes(apps, None)
    migration.hash_codes(apps, None)  # a second run changes nothing
    assert set(StaticToken.objects.values_list("token", flat=True)) == {
        mfa.recovery_code_digest("1a2b3c-4d5e6f"), mfa.recovery_code_digest("0a0b0c-0d0e0f")}


def test_password_confirmation_failures_are_limited(personas, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(DomainError):
            services.token_create(actor=personas.partner, user=personas.partner, days=366, current_password="x")
    with pytest.raises(DomainError) as limited:
        services.token_create(actor=personas.partner, user=personas.partner, days=366, current_password=PASSWORD)
    assert limited.value.code == "too_many_attempts"
