from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_create, token_revoke
from accounts.tokens import digest
from core.actors import SYSTEM
from core.errors import DomainError
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def me(client, key):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")


def test_token_authenticates_and_records_last_use(personas, client):
    token, key = token_create(actor=personas.investigator, user=personas.investigator)
    assert token.last_used_at is None
    response = me(client, key)
    assert response.status_code == 200
    assert response.json()["username"] == "investigator"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_only_the_digest_of_the_key_is_stored(personas):
    token, key = token_create(actor=SYSTEM, user=personas.investigator)
    assert token.digest == digest(key) and token.digest != key
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = cursor.fetchall()
    assert rows and not any(key in str(value) for row in rows for value in row)
    assert not any(key in str(entry.details) for entry in AuditEntry.objects.all())


def test_expired_token_is_refused(personas, client):
    token, key = token_create(actor=SYSTEM, user=personas.investigator)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = me(client, key)
    assert response.status_code == 401
    assert response.json() == {"detail": "Token expired.", "code": "authentication_failed"}
    assert response["WWW-Authenticate"] == "Token"


def test_revoked_token_is_refused(personas, client):
    token, key = token_create(actor=SYSTEM, user=personas.investigator)
    token_revoke(actor=personas.investigator, token=token)
    response = me(client, key)
    assert response.status_code == 401
    assert response.json()["detail"] == "Token revoked."


@pytest.mark.parametrize(
    "header", ["Token", "Token a b", "Token nonsense", "Bearer x", "Token \u00e9t\u00e9"]
)
def test_bad_authorization_headers_get_401(personas, client, header):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"}


@pytest.mark.parametrize("header", ["Bearer", "Bearer x", "bearer abc.def.ghi", "BEARER a b"])
def test_bearer_scheme_gets_401_naming_the_token_scheme(personas, client, header):
    _, key = token_create(actor=SYSTEM, user=personas.investigator)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header.replace("x", key))
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Use 'Authorization: Token <key>'; the Bearer scheme is not accepted.",
        "code": "wrong_scheme",
    }
    assert response["WWW-Authenticate"] == "Token"


def test_bearer_scheme_is_refused_even_with_a_session(personas, client):
    client.force_login(personas.investigator)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer x")
    assert response.status_code == 401
    assert response.json()["code"] == "wrong_scheme"


def test_no_credentials_get_401(client, db):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_token_of_deactivated_user_is_refused(personas, client):
    _, key = token_create(actor=SYSTEM, user=personas.investigator)
    personas.investigator.is_active = False
    personas.investigator.save()
    assert me(client, key).status_code == 401


def test_token_of_deactivated_organisation_is_refused(personas, client):
    _, key = token_create(actor=SYSTEM, user=personas.investigator)
    org = personas.investigator.organisation
    org.is_active = False
    org.save()
    assert me(client, key).status_code == 401


def test_nobody_creates_a_token_for_someone_else(personas):
    with pytest.raises(DomainError, match="created by their owner"):
        token_create(actor=personas.admin, user=personas.investigator)


def test_users_revoke_only_their_own_tokens_but_administrators_any(personas):
    token, _ = token_create(actor=SYSTEM, user=personas.investigator)
    with pytest.raises(DomainError, match="only your own"):
        token_revoke(actor=personas.curator, token=token)
    token_revoke(actor=personas.admin, token=token)
    token.refresh_from_db()
    assert token.revoked_by == personas.admin
    entry = AuditEntry.objects.get(action="token.revoke")
    assert entry.actor == personas.admin and entry.details["prefix"] == token.prefix


def test_revoking_twice_is_a_conflict(personas):
    token, _ = token_create(actor=SYSTEM, user=personas.investigator)
    token_revoke(actor=personas.investigator, token=token)
    with pytest.raises(DomainError) as exc:
        token_revoke(actor=personas.investigator, token=token)
    assert exc.value.status == 409


def test_token_page_shows_a_new_key_once_and_lists_it(personas, client):
    client.force_login(personas.partner)
    response = client.post("/tokens/", {"name": "sync script", "days": "30"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    page = client.get("/tokens/").content.decode()
    assert key not in page
    assert "sync script" in page and key[:8] in page
    assert me(client, key).status_code == 200


def test_token_page_refuses_a_bad_lifetime(personas, client):
    client.force_login(personas.partner)
    response = client.post("/tokens/", {"days": "1000"}, follow=True)
    assert "between 1 and 366 days" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_token_page_revokes_own_token(personas, client):
    token, _ = token_create(actor=SYSTEM, user=personas.partner)
    client.force_login(personas.partner)
    response = client.post(f"/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_users_token_is_invisible_to_non_administrators(personas, client):
    token, _ = token_create(actor=SYSTEM, user=personas.partner)
    client.force_login(personas.curator)
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_administrators_see_and_revoke_anyones_token_on_the_page(personas, client):
    token, _ = token_create(actor=SYSTEM, user=personas.partner)
    client.force_login(personas.admin)
    assert token.prefix in client.get("/tokens/").content.decode()
    client.post(f"/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_by == personas.admin


def test_token_page_refuses_an_overlong_name(personas, client):
    client.force_login(personas.partner)
    response = client.post("/tokens/", {"name": "n" * 101, "days": "30"}, follow=True)
    assert "A token&#x27;s name is at most 100 characters (got 101)." in response.content.decode()
    assert not ApiToken.objects.exists()
