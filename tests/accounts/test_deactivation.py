"""Deactivation ends what the person held: sessions end at once, tokens are revoked and stay so when
the account or organisation comes back, and nobody without a role gets a token (issue 11 item 9)."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import ApiToken
from core.actors import SYSTEM
from core.errors import DomainError
from core.models import AuditEntry
from tests.clients import VerifiedClient as Client

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    user.refresh_from_db()  # as a real sign-in reads the account
    client.force_login(user)
    assert client.get("/").status_code == 200
    return client


def is_signed_out(client: Client) -> bool:
    response = client.get("/")
    return response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_deactivating_an_organisation_ends_its_members_sessions_and_revokes_their_tokens(personas, api):
    member = personas.partner
    session, token_client = signed_in(member), api(member)
    other_session, other_token = signed_in(personas.curator), api(personas.curator)
    services.organisation_set_active(actor=personas.admin, organisation=member.organisation, active=False,
                                     reason="agreement ended")
    assert is_signed_out(session)
    assert token_client.get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=member, revoked_at__isnull=True).exists()
    details = AuditEntry.objects.get(action="organisation.deactivate").details
    assert details["reason"] == "agreement ended" and details["tokens_revoked"] == 1
    # other organisations are untouched
    assert other_session.get("/").status_code == 200 and other_token.get("/api/v1/me/").status_code == 200

    services.organisation_set_active(actor=personas.admin, organisation=member.organisation, active=True)
    assert is_signed_out(session), "a reactivated organisation's old sessions stay ended"
    assert token_client.get("/api/v1/me/").status_code == 401, "old tokens do not come back to life"
    assert signed_in(member) and api(member).get("/api/v1/me/").status_code == 200  # starting again works


def test_deactivating_a_user_ends_their_sessions_and_revokes_their_tokens(personas, api):
    session, token_client = signed_in(personas.investigator), api(personas.investigator)
    services.user_set_active(actor=personas.admin, user=personas.investigator, active=False, reason="left")
    assert is_signed_out(session) and token_client.get("/api/v1/me/").status_code == 401
    services.user_set_active(actor=personas.admin, user=personas.investigator, active=True)
    assert is_signed_out(session) and token_client.get("/api/v1/me/").status_code == 401
    assert AuditEntry.objects.get(action="user.deactivate").details == {
        "reason": "left", "accounts_signed_out": 1, "tokens_revoked": 1}


def test_a_token_cannot_be_made_for_someone_without_a_role(personas):
    with pytest.raises(DomainError) as refused:
        services.token_create(actor=personas.outsider, user=personas.outsider, name="x")
    assert refused.value.code == "no_role"
    services.organisation_set_active(actor=personas.admin, organisation=personas.partner.organisation,
                                     active=False, reason="paused")
    with pytest.raises(DomainError):
        services.token_create(actor=SYSTEM, user=personas.partner, name="waiting for reactivation")
    assert not ApiToken.objects.filter(user__in=[personas.outsider, personas.partner], revoked_at__isnull=True).exists()
    assert not AuditEntry.objects.filter(action="token.create", object_type="accounts.apitoken",
                                         details__user_id=personas.partner.pk).exists()


def test_the_tokens_page_refuses_a_token_without_a_role(personas):
    client = signed_in(personas.outsider)
    response = client.post("/tokens/", {"name": "mine", "days": "30"})
    assert "Only a user who holds a role has API tokens." in response.content.decode()
    assert not ApiToken.objects.filter(user=personas.outsider).exists()
