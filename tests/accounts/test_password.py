"""Changing one's password, and replacing a one-time password before anything else."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from accounts.services import user_create, user_password_change, user_password_issue
from core.actors import SYSTEM
from core.errors import DomainError
from core.models import AuditEntry
from tests.clients import VerifiedClient, approve_as
from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db
NEW = "a fresh passphrase for baseline"


def change(client, current=PASSWORD, new=NEW, again=None, **extra):
    return client.post("/password/", {"current_password": current, "new_password": new,
                                      "new_password_again": new if again is None else again, **extra})


def one_time_user(personas) -> tuple[User, str]:
    """A user created on the administrators' pages: one administrator asks, another (of another
    organisation) approves and is shown the one-time password (the two-person rule)."""
    admin = VerifiedClient()
    admin.force_login(personas.admin)
    response = admin.post("/users/new/", {"username": "newcomer", "organisation": personas.partner.organisation.pk,
                                          "roles": ["partner"]})
    assert response["Location"] == "/requests/" and not User.objects.filter(username="newcomer").exists()
    approver = UserFactory(username="admin2", organisation=OrganisationFactory(name="Oversight Board"),
                           roles=[Role.ADMINISTRATOR])
    response = approve_as(approver, None)
    return User.objects.get(username="newcomer"), response.context["password"]


def test_every_signed_in_user_changes_their_password_and_keeps_the_session(personas, client):
    client.force_login(personas.reviewer)
    other_session = VerifiedClient()
    other_session.force_login(personas.reviewer)
    assert client.get("/password/").status_code == 200
    response = change(client, next="/reviews/")
    assert response.status_code == 302 and response["Location"] == "/reviews/"
    user = User.objects.get(pk=personas.reviewer.pk)
    assert user.check_password(NEW) and not user.check_password(PASSWORD)
    assert client.get("/").status_code == 200  # update_session_auth_hash: this session stays
    assert other_session.get("/")["Location"].startswith("/sign-in/")  # the old hash ends the others
    entry = AuditEntry.objects.get(action="user.password_change")
    assert entry.actor == personas.reviewer and entry.details == {"was_required": False}
    assert PASSWORD not in str(entry.details) and NEW not in str(entry.details)


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("wrong password here", NEW, None, "current password is not right"),
        (PASSWORD, NEW, NEW + "!", "two new passwords differ"),
        (PASSWORD, "short1", None, "too short"),
        (PASSWORD, "password1234", None, "too common"),
        (PASSWORD, "839201748562", None, "entirely numeric"),
        (PASSWORD, "reviewer1xyz", None, "too similar to the username"),
        (PASSWORD, PASSWORD, None, "not the current one"),
    ],
)
def test_password_validators_and_the_current_password_are_checked(personas, client, current, new, again, message):
    client.force_login(personas.reviewer)
    response = change(client, current, new, again)
    assert response.status_code == 400 and message in response.content.decode()
    assert User.objects.get(pk=personas.reviewer.pk).check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="user.password_change").exists()


def test_a_wrong_current_password_is_audited(personas):
    with pytest.raises(DomainError, match="not right"):
        user_password_change(actor=personas.curator, user=personas.curator, current_password="guess",
                             new_password=NEW)
    assert AuditEntry.objects.get(action="user.password_change_failed").actor == personas.curator


def test_repeated_wrong_current_passwords_are_locked_out_like_sign_in(personas, client, settings):
    """A stolen session cannot guess the password: after BASELINE_LOCKOUT_FAILURES wrong tries the
    page answers 429, even with the right password, and nothing changes."""
    settings.AXES_FAILURE_LIMIT = 3
    client.force_login(personas.curator)
    for _ in range(3):
        assert change(client, current="guess").status_code == 400
    locked = change(client)
    assert locked.status_code == 429 and "Too many wrong current passwords" in locked.content.decode()
    personas.curator.refresh_from_db()
    assert personas.curator.check_password(PASSWORD)
    assert AuditEntry.objects.filter(action="user.password_change_failed").count() == 3
    assert not AuditEntry.objects.filter(action="user.password_change").exists()


def test_a_right_current_password_clears_the_failures(personas, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client.force_login(personas.curator)
    for _ in range(2):
        change(client, current="guess")
    assert change(client, new="short").status_code == 400  # right current password, weak new one
    for _ in range(2):
        change(client, current="guess")
    assert change(client).status_code == 302


def test_nobody_changes_someone_elses_password_through_the_service(personas):
    with pytest.raises(DomainError, match="only their own") as exc:
        user_password_change(actor=personas.admin, user=personas.curator, current_password=PASSWORD,
                             new_password=NEW)
    assert exc.value.status == 403


def test_a_user_created_with_a_one_time_password_must_replace_it_first(personas, api):
    user, one_time = one_time_user(personas)
    assert user.must_change_password
    assert AuditEntry.objects.get(action="user.create", object_id=str(user.pk)).details["must_change_password"]
    client = VerifiedClient()
    client.force_login(user)
    for path in ("/", "/releases/", "/tokens/", "/notices/", "/django-admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/password/?next="), path
    assert client.post("/tokens/", {"name": "x", "days": "5"})["Location"].startswith("/password/")
    assert client.get("/api/v1/me/").json()["code"] == "password_change_required"
    assert client.get("/password/").status_code == 200
    assert "one-time password" in client.get("/password/").content.decode()
    assert client.get("/two-factor/set-up/").status_code == 200  # the two-factor pages stay open
    # API tokens stand on their own (they are created before, e.g. with create_token).
    assert api(user).get("/api/v1/me/").status_code == 200
    response = change(client, one_time, next="/releases/")
    assert response["Location"] == "/releases/"
    assert client.get("/releases/").status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password
    assert AuditEntry.objects.get(action="user.password_change").details == {"was_required": True}


def test_sign_out_stays_open_while_a_change_is_due(personas):
    user, _ = one_time_user(personas)
    client = VerifiedClient()
    client.force_login(user)
    response = client.post("/sign-out/")
    assert response["Location"] == "/sign-in/"
    assert "_auth_user_id" not in client.session


def test_the_second_factor_comes_before_the_password_change(personas):
    user, one_time = one_time_user(personas)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    response = client.post("/sign-in/", {"username": "newcomer", "password": one_time})
    assert response["Location"].startswith("/two-factor/?next=")
    assert client.get("/password/")["Location"].startswith("/two-factor/")  # not before the second factor
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post("/two-factor/", {"token": code, "next": "/releases/"})
    assert response["Location"] == "/releases/"
    assert client.get("/releases/")["Location"] == "/password/?next=%2Freleases%2F"
    assert change(client, one_time, next="/releases/")["Location"] == "/releases/"
    assert client.get("/releases/").status_code == 200


def test_create_user_with_a_chosen_password_is_not_forced_to_change(personas):
    """seed_demo passes its demo password without must_change_password: demo users go straight in."""
    user = user_create(actor=SYSTEM, username="demo", organisation=personas.partner.organisation,
                       roles=[Role.PARTNER], password="baseline-demo")
    assert not user.must_change_password
    client = VerifiedClient()
    client.force_login(user)
    assert client.get("/").status_code == 200


def test_administrators_issue_a_new_one_time_password(personas, client, api):
    token_client = api(personas.curator)
    curators_session = VerifiedClient()
    curators_session.force_login(personas.curator)
    client.force_login(personas.admin)
    assert "New one-time password" in client.get(f"/users/{personas.curator.pk}/").content.decode()
    # A curator's password is a two-person act: the asking administrator never sees it.
    response = client.post(f"/users/{personas.curator.pk}/password/", follow=True)
    assert "Request sent; another administrator must approve it" in response.content.decode()
    assert User.objects.get(pk=personas.curator.pk).check_password(PASSWORD)
    approver = UserFactory(username="admin2", organisation=OrganisationFactory(name="Oversight Board"),
                           roles=[Role.ADMINISTRATOR])
    response = approve_as(approver, None)
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    curator = User.objects.get(pk=personas.curator.pk)
    assert curator.check_password(password) and curator.must_change_password
    assert AuditEntry.objects.get(action="user.password_issue").object_id == str(curator.pk)
    assert password not in str(AuditEntry.objects.get(action="user.password_issue").details)
    assert curators_session.get("/")["Location"].startswith("/sign-in/")  # the old password's sessions end
    assert token_client.get("/api/v1/me/").status_code == 200  # tokens are unaffected
    assert "must change password" in client.get("/users/?q=curator").content.decode()


def test_nobody_issues_a_password_to_themselves_and_only_administrators_issue(personas, client):
    with pytest.raises(DomainError, match="change your own"):
        user_password_issue(actor=personas.admin, user=personas.admin)
    with pytest.raises(DomainError):
        user_password_issue(actor=personas.curator, user=personas.partner)
    client.force_login(personas.curator)
    assert client.post(f"/users/{personas.partner.pk}/password/").status_code == 403
    assert not User.objects.filter(must_change_password=True).exists()
    assert not AuditEntry.objects.filter(action="user.password_issue").exists()


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_the_account_area_links_to_the_password_page(personas, client, role):
    client.force_login(personas.by_role()[role])
    page = client.get("/").content.decode()
    assert '<a href="/password/">Password</a>' in page
