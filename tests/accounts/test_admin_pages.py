import pytest

from accounts.models import Organisation, Role, RoleRequest, User
from accounts.permissions import roles_of
from core.models import AuditEntry
from tests.clients import approve_as

SENT = "Request sent; another administrator must approve it"

pytestmark = pytest.mark.django_db


def test_administrators_grant_and_revoke_roles_with_a_reason(personas, client, second_admin):
    client.force_login(personas.admin)
    page = client.get("/users/").content.decode()
    assert 'id="user-outsider"' in page and f'href="/users/{personas.outsider.pk}/"' in page
    assert "Grant role" in client.get(f"/users/{personas.outsider.pk}/").content.decode()
    # reviewer is a two-person grant: a request until a second administrator approves it
    response = client.post(f"/users/{personas.outsider.pk}/grant/", {"role": "reviewer", "reason": "trained in May"},
                           follow=True)
    assert SENT in response.content.decode()
    assert roles_of(User.objects.get(pk=personas.outsider.pk)) == frozenset()
    approve_as(second_admin)
    assert roles_of(User.objects.get(pk=personas.outsider.pk)) == {Role.REVIEWER}
    request = RoleRequest.objects.get()
    assert AuditEntry.objects.get(action="role.grant", object_id=str(personas.outsider.pk)).details == {
        "role": "reviewer", "reason": "trained in May", "role_request_id": request.pk,
        "requested_by_id": personas.admin.pk, "requested_by": "admin"}
    client.post(f"/users/{personas.outsider.pk}/revoke/", {"role": "reviewer", "reason": "left"})
    assert roles_of(User.objects.get(pk=personas.outsider.pk)) == frozenset()


def test_separation_of_duties_is_explained_on_the_page(personas, client):
    client.force_login(personas.admin)
    response = client.post(f"/users/{personas.reviewer.pk}/grant/", {"role": "administrator", "reason": "x"},
                           follow=True)
    assert "separation of duties" in response.content.decode()
    response = client.post(f"/users/{personas.admin.pk}/grant/", {"role": "curator", "reason": "x"}, follow=True)
    assert "own roles" in response.content.decode()


def test_deactivating_a_user_removes_their_access(personas, client, api):
    token_client = api(personas.partner)
    client.force_login(personas.admin)
    client.post(f"/users/{personas.partner.pk}/active/", {"active": "off", "reason": "left the company"})
    assert token_client.get("/api/v1/me/").status_code == 401
    assert AuditEntry.objects.get(action="user.deactivate").details == {
        "reason": "left the company", "accounts_signed_out": 1, "tokens_revoked": 1}
    client.post(f"/users/{personas.partner.pk}/active/", {"active": "on"})
    # reactivation gives back the roles, not the revoked token (issue 11 item 9)
    assert token_client.get("/api/v1/me/").status_code == 401
    assert api(personas.partner).get("/api/v1/me/").status_code == 200


def test_administrators_reset_a_second_factor_from_the_page(personas, client, second_admin):
    from accounts import mfa
    from tests.clients import verified_device

    verified_device(personas.curator)
    client.force_login(personas.admin)
    assert "Reset second factor" in client.get(f"/users/{personas.curator.pk}/").content.decode()
    response = client.post(f"/users/{personas.curator.pk}/reset-two-factor/", follow=True)
    assert SENT in response.content.decode() and mfa.has_device(personas.curator)
    approve_as(second_admin)
    assert not mfa.has_device(personas.curator)
    assert AuditEntry.objects.get(action="mfa.reset").object_id == str(personas.curator.pk)


def test_administrators_create_users_and_the_approver_sees_the_password_once(personas, client, second_admin):
    client.force_login(personas.admin)
    org = personas.partner.organisation
    response = client.post("/users/new/", {"username": "newbie", "email": "n@example.org",
                                           "organisation": org.pk, "roles": ["partner"]}, follow=True)
    assert SENT in response.content.decode() and "password" not in response.context
    assert not User.objects.filter(username="newbie").exists()
    response = approve_as(second_admin)
    assert response.status_code == 200
    password = response.context["password"]
    user = User.objects.get(username="newbie")
    assert user.check_password(password) and roles_of(user) == {Role.PARTNER}
    bad = client.post("/users/new/", {"username": "x", "organisation": org.pk, "roles": ["reviewer", "administrator"]})
    assert bad.status_code == 400 and "separation of duties" in bad.content.decode()


def test_administrators_manage_organisations(personas, client, second_admin):
    client.force_login(personas.admin)
    response = client.post("/organisations/", {"name": "Nordic Hotline", "country": "NO", "kind": "hotline"},
                           follow=True)
    assert SENT in response.content.decode()
    assert not Organisation.objects.filter(name="Nordic Hotline").exists()
    approve_as(second_admin)
    org = Organisation.objects.get(name="Nordic Hotline")
    bad = client.post("/organisations/", {"name": "nordic hotline", "country": "NO", "kind": "hotline"})
    assert bad.status_code == 400 and "exists" in bad.content.decode()
    client.post(f"/organisations/{org.pk}/", {"name": "Nordic Hotline AS", "country": "NO", "kind": "hotline"})
    org.refresh_from_db()
    assert org.name == "Nordic Hotline AS"
    client.post(f"/organisations/{org.pk}/", {"active": "off", "reason": "merged into another hotline"})
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


def test_a_crafted_create_with_a_repeated_role_grants_it_once(personas, client, second_admin):
    client.force_login(personas.admin)
    response = client.post("/users/new/", {"username": "dup", "organisation": personas.partner.organisation.pk,
                                           "roles": ["partner", "partner"]})
    assert response.status_code == 302
    assert approve_as(second_admin).status_code == 200
    assert roles_of(User.objects.get(username="dup")) == {Role.PARTNER}


def test_an_existing_username_is_a_clear_error_on_the_page(personas, client):
    client.force_login(personas.admin)
    response = client.post("/users/new/", {"username": "CURATOR", "organisation": personas.partner.organisation.pk,
                                           "roles": ["partner"]})
    assert response.status_code == 400 and "A user named &#x27;CURATOR&#x27; exists." in response.content.decode()


def test_overlong_organisation_names_are_a_clear_error_not_a_500(personas, client):
    client.force_login(personas.admin)
    response = client.post("/organisations/", {"name": "N" * 201, "country": "NO", "kind": "hotline"})
    assert response.status_code == 400 and "at most 200 characters" in response.content.decode()
    org = personas.partner.organisation
    response = client.post(f"/organisations/{org.pk}/", {"name": "N" * 201, "country": "SE", "kind": "partner"})
    assert response.status_code == 400 and "at most 200 characters" in response.content.decode()
    org.refresh_from_db()
    assert org.name == "Example Networks"
    assert not AuditEntry.objects.filter(action__startswith="organisation.").exists()


def test_role_changes_and_deactivation_without_a_reason_change_nothing(personas, client):
    client.force_login(personas.admin)
    for user, field in ((personas.outsider, "grant-reason"), (personas.reviewer, "revoke-reviewer"),
                        (personas.partner, "deactivate-reason")):
        assert f'id="{field}" name="reason" required' in client.get(f"/users/{user.pk}/").content.decode()
    response = client.post(f"/users/{personas.outsider.pk}/grant/", {"role": "curator", "reason": " "}, follow=True)
    assert "A reason for granting a role is required." in response.content.decode()
    response = client.post(f"/users/{personas.reviewer.pk}/revoke/", {"role": "reviewer"}, follow=True)
    assert "A reason for revoking a role is required." in response.content.decode()
    response = client.post(f"/users/{personas.partner.pk}/active/", {"active": "off"}, follow=True)
    assert "A reason for deactivating an account is required." in response.content.decode()
    org = personas.partner.organisation
    response = client.post(f"/organisations/{org.pk}/", {"active": "off"})
    assert response.status_code == 400 and "A reason for deactivating an organisation is required." in (
        response.content.decode())
    assert 'name="reason" required' in client.get(f"/organisations/{org.pk}/").content.decode()
    assert roles_of(User.objects.get(pk=personas.outsider.pk)) == frozenset()
    assert roles_of(User.objects.get(pk=personas.reviewer.pk)) == {Role.REVIEWER}
    assert User.objects.get(pk=personas.partner.pk).is_active
    org.refresh_from_db()
    assert org.is_active
    assert not AuditEntry.objects.exclude(action__startswith="auth.").exists()


def test_the_django_admin_registers_only_the_projects_read_only_admins(personas, client):
    from django.contrib import admin

    from accounts.admin_site import ReadOnlyAdmin

    registered = {model._meta.label: type(model_admin) for model, model_admin in admin.site._registry.items()}
    assert set(registered) == {"accounts.Organisation", "accounts.User", "accounts.ApiToken", "curation.CriteriaSet"}
    assert all(issubclass(cls, ReadOnlyAdmin) for cls in registered.values())
    client.force_login(personas.admin)
    for path in ("/django-admin/otp_totp/totpdevice/", "/django-admin/otp_totp/totpdevice/1/config/",
                 "/django-admin/otp_static/staticdevice/", "/django-admin/axes/accessattempt/",
                 "/django-admin/auth/group/"):
        assert client.get(path).status_code == 404, path


def test_the_admin_site_refuses_a_writable_admin_for_the_projects_models():
    from django.contrib import admin
    from django.core.exceptions import ImproperlyConfigured

    from accounts.admin_site import BaselineAdminSite

    site = BaselineAdminSite(name="probe")
    with pytest.raises(ImproperlyConfigured, match="ReadOnlyAdmin"):
        site.register(Organisation, admin.ModelAdmin)
    from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
    from django_otp.plugins.otp_totp.models import TOTPDevice

    site.register(TOTPDevice, TOTPDeviceAdmin)  # another app's admin: left out
    assert not site.is_registered(TOTPDevice)


def test_the_organisations_page_searches_paginates_and_says_when_nothing_matches(personas, client):
    from tests.factories import OrganisationFactory

    for n in range(55):
        OrganisationFactory(name=f"Zeta Unit {n:02d}")
    client.force_login(personas.admin)
    first = client.get("/organisations/", {"q": "zeta"}).content.decode()
    assert "Zeta Unit 00" in first and "Zeta Unit 50" not in first and "Northshire Police" not in first
    assert 'href="?q=zeta&amp;page=2" rel="next"' in first
    second = client.get("/organisations/", {"q": "zeta", "page": 2}).content.decode()
    assert "Zeta Unit 54" in second and "Page 2 of 2" in second
    nothing = client.get("/organisations/", {"q": "nowhere"}).content.decode()
    assert "No organisation’s name contains “nowhere”." in nothing


def test_the_reviewer_roster_paginates(personas, client):
    from tests.factories import UserFactory

    for n in range(50):
        UserFactory(username=f"panel{n:02d}", organisation=personas.reviewer.organisation, roles=[Role.REVIEWER])
    client.force_login(personas.curator)
    first = client.get("/reviewers/").content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in client.get("/reviewers/", {"page": 2}).content.decode()


def test_each_user_has_a_page_and_the_search_survives_an_action(personas, client):
    """Issue 12 item 6: the list links each user to their page; actions there come back to it, and
    "Back to users" returns to the list as it was searched. Only the list's own filters ride along."""
    from urllib.parse import quote

    client.force_login(personas.admin)
    target = personas.outsider
    page = client.get("/users/?q=outs&org=&role=").content.decode()
    assert f'href="/users/{target.pk}/?back=q%3Douts"' in page
    assert "Grant role" not in page and "Deactivate" not in page  # no forms on the list
    page = client.get(f"/users/{target.pk}/?back=q%3Douts").content.decode()
    assert 'href="/users/?q=outs"' in page and page.count('name="back" value="q=outs"') == 3
    response = client.post(f"/users/{target.pk}/grant/", {"role": "partner", "reason": "contract", "back": "q=outs"})
    assert response.status_code == 302 and response["Location"] == f"/users/{target.pk}/?back=q%3Douts"
    page = client.get(response["Location"]).content.decode()
    assert "outsider now holds the partner role." in page and 'href="/users/?q=outs"' in page
    crafted = "q=outs&role=nonsense&next=//evil.example&page=2"
    page = client.get(f"/users/{target.pk}/?back={quote(crafted)}").content.decode()
    assert 'href="/users/?page=2&amp;q=outs"' in page and "evil" not in page
    assert client.get("/users/999999/").status_code == 404


def test_an_administrators_own_page_offers_no_changes(personas, client):
    client.force_login(personas.admin)
    page = client.get(f"/users/{personas.admin.pk}/").content.decode()
    assert "You cannot change your own roles or account" in page
    assert "Grant role" not in page and "Deactivate" not in page and "New one-time password" not in page
