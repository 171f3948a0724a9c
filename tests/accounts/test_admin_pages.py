import pytest

from accounts.models import Organisation, Role, User
from accounts.permissions import roles_of
from curation.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_administrators_grant_and_revoke_roles_with_a_reason(personas, client):
    client.force_login(personas.admin)
    page = client.get("/users/").content.decode()
    assert 'id="user-outsider"' in page and "Grant role" in page
    client.post(f"/users/{personas.outsider.pk}/grant/", {"role": "reviewer", "reason": "trained in May"})
    assert roles_of(User.objects.get(pk=personas.outsider.pk)) == {Role.REVIEWER}
    assert AuditEntry.objects.get(action="role.grant", object_id=str(personas.outsider.pk)).details == {
        "role": "reviewer", "reason": "trained in May"}
    client.post(f"/users/{personas.outsider.pk}/revoke/", {"role": "reviewer", "reason": "left"})
    assert roles_of(User.objects.get(pk=personas.outsider.pk)) == frozenset()


def test_separation_of_duties_is_explained_on_the_page(personas, client):
    client.force_login(personas.admin)
    response = client.post(f"/users/{personas.reviewer.pk}/grant/", {"role": "administrator"}, follow=True)
    assert "separation of duties" in response.content.decode()
    response = client.post(f"/users/{personas.admin.pk}/grant/", {"role": "curator"}, follow=True)
    assert "own roles" in response.content.decode()


def test_deactivating_a_user_removes_their_access(personas, client, api):
    token_client = api(personas.partner)
    client.force_login(personas.admin)
    client.post(f"/users/{personas.partner.pk}/active/", {"active": "off"})
    assert token_client.get("/api/v1/me/").status_code == 401
    assert AuditEntry.objects.filter(action="user.deactivate").exists()
    client.post(f"/users/{personas.partner.pk}/active/", {"active": "on"})
    assert token_client.get("/api/v1/me/").status_code == 200


def test_administrators_reset_a_second_factor_from_the_page(personas, client):
    from tests.clients import verified_device

    verified_device(personas.curator)
    client.force_login(personas.admin)
    assert "Reset second factor" in client.get("/users/?q=curator").content.decode()
    client.post(f"/users/{personas.curator.pk}/reset-two-factor/")
    from accounts import mfa

    assert not mfa.has_device(personas.curator)
    assert AuditEntry.objects.get(action="mfa.reset").object_id == str(personas.curator.pk)


def test_administrators_create_users_and_see_the_password_once(personas, client):
    client.force_login(personas.admin)
    org = personas.partner.organisation
    response = client.post("/users/new/", {"username": "newbie", "email": "n@example.org",
                                           "organisation": org.pk, "roles": ["partner"]})
    assert response.status_code == 200
    password = response.context["password"]
    user = User.objects.get(username="newbie")
    assert user.check_password(password) and roles_of(user) == {Role.PARTNER}
    bad = client.post("/users/new/", {"username": "x", "organisation": org.pk, "roles": ["reviewer", "administrator"]})
    assert bad.status_code == 400 and "separation of duties" in bad.content.decode()


def test_administrators_manage_organisations(personas, client):
    client.force_login(personas.admin)
    client.post("/organisations/", {"name": "Nordic Hotline", "country": "NO", "kind": "hotline"})
    org = Organisation.objects.get(name="Nordic Hotline")
    bad = client.post("/organisations/", {"name": "nordic hotline", "country": "NO", "kind": "hotline"})
    assert bad.status_code == 400 and "exists" in bad.content.decode()
    client.post(f"/organisations/{org.pk}/", {"name": "Nordic Hotline AS", "country": "NO", "kind": "hotline"})
    org.refresh_from_db()
    assert org.name == "Nordic Hotline AS"
    client.post(f"/organisations/{org.pk}/", {"active": "off"})
    org.refresh_from_db()
    assert org.is_active is False
    assert {"organisation.create", "organisation.update", "organisation.deactivate"} <= set(
        AuditEntry.objects.values_list("action", flat=True))


@pytest.mark.parametrize("user", ["investigator", "reviewer", "curator", "partner"])
def test_administration_pages_are_for_administrators(personas, client, user):
    client.force_login(getattr(personas, user))
    for path in ("/users/", "/users/new/", "/organisations/"):
        assert client.get(path).status_code == 403
    assert client.post(f"/users/{personas.outsider.pk}/grant/", {"role": "curator"}).status_code == 403
