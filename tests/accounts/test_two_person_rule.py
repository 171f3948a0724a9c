"""The two-person rule (DESIGN.md section 3, issue 11 item 1): one administrator alone can no longer
create organisations and accounts, hand out administrator/reviewer/curator, or take over such an
account with a one-time password and a second-factor reset. Each is a request that an administrator
of another organisation, not created or granted by the requester, holding the role from the operator
or through an approved grant at least 7 days old, must approve."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import requests
from accounts.models import (
    OperatorActAcknowledgement,
    Organisation,
    Role,
    RoleGrant,
    RoleRequest,
    User,
)
from accounts.permissions import roles_of
from accounts.services import mfa_reset, organisation_create, role_grant, user_create, user_password_issue
from core.errors import DomainError
from core.models import AuditEntry
from tests.clients import VerifiedClient
from tests.conftest import ensure_initial_data
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from tests.races import all_at_once

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]


def _grant_request(personas, role: str = Role.CURATOR) -> RoleRequest:
    return requests.role_request_create(actor=personas.admin, kind="role_grant",
                                        payload={"user_id": personas.outsider.pk, "role": role, "reason": "trained"})


def _admin(username: str, org_name: str, **grant) -> User:
    """An administrator of `org_name`; `grant` sets the administrator grant's fields."""
    org = OrganisationFactory(name=org_name, country="BE")
    user = UserFactory(username=username, organisation=org, roles=[Role.ADMINISTRATOR])
    if grant:
        RoleGrant.objects.filter(user=user, role=Role.ADMINISTRATOR).update(**grant)
    return user


def _refusal(approver, request) -> str:
    with pytest.raises(DomainError) as exc:
        requests.role_request_approve(actor=approver, request_id=request.pk)
    assert exc.value.status == 403, exc.value.message
    return exc.value.message


# --- who may approve: each rule of eligibility ----------------------------------------------------

def test_an_administrator_of_another_organisation_from_the_operator_approves(personas, second_admin):
    request = _grant_request(personas)
    assert roles_of(personas.outsider) == frozenset()
    approved, secret = requests.role_request_approve(actor=second_admin, request_id=request.pk)
    assert secret is None and approved.status == "approved" and approved.decided_by == second_admin
    outsider = User.objects.get(pk=personas.outsider.pk)
    assert roles_of(outsider) == {Role.CURATOR}
    grant = RoleGrant.objects.get(user=outsider, role=Role.CURATOR)
    assert (grant.granted_by, grant.approved_by) == (personas.admin, second_admin)
    # Both people are in the audit log, in the approving transaction.
    entry = AuditEntry.objects.get(action="role.grant", object_id=str(outsider.pk))
    assert entry.actor == second_admin
    assert entry.details["requested_by_id"] == personas.admin.pk and entry.details["role_request_id"] == request.pk
    assert AuditEntry.objects.filter(action="role_request.approve", object_id=str(request.pk),
                                     actor=second_admin).exists()


def test_nobody_approves_their_own_request(personas):
    assert "own request" in _refusal(personas.admin, _grant_request(personas))


def test_an_administrator_of_the_same_organisation_cannot_approve(personas):
    colleague = UserFactory(username="admin-colleague", organisation=personas.admin.organisation,
                            roles=[Role.ADMINISTRATOR])
    assert "another organisation" in _refusal(colleague, _grant_request(personas))


def test_an_administrator_the_requester_created_cannot_approve(personas):
    made = _admin("made", "Puppet Org")
    User.objects.filter(pk=made.pk).update(created_by=personas.admin)
    made.refresh_from_db()
    assert "created their account" in _refusal(made, _grant_request(personas))


def test_an_administrator_the_requester_granted_cannot_approve(personas):
    long_ago = timezone.now() - timedelta(days=30)
    third = _admin("third", "Third Org")
    granted = _admin("granted", "Puppet Org", granted_by=personas.admin, approved_by=third, granted_at=long_ago)
    assert "granted them the role" in _refusal(granted, _grant_request(personas))


def test_an_approved_grant_younger_than_seven_days_does_not_make_an_approver(personas):
    third = _admin("third", "Third Org")
    other = _admin("other", "Other Org")
    fresh = _admin("fresh", "Fresh Org", granted_by=other, approved_by=third,
                   granted_at=timezone.now() - timedelta(days=6, hours=23))
    request = _grant_request(personas)
    assert "7 days" in _refusal(fresh, request)
    RoleGrant.objects.filter(user=fresh, role=Role.ADMINISTRATOR).update(
        granted_at=timezone.now() - timedelta(days=7, minutes=1))
    requests.role_request_approve(actor=fresh, request_id=request.pk)
    assert RoleRequest.objects.get(pk=request.pk).status == "approved"


def test_a_grant_by_one_person_without_approval_does_not_make_an_approver(personas):
    other = _admin("other", "Other Org")
    alone = _admin("alone", "Alone Org", granted_by=other, granted_at=timezone.now() - timedelta(days=300))
    assert "7 days" in _refusal(alone, _grant_request(personas))


def test_nobody_approves_a_request_about_their_own_account(personas, second_admin):
    TOTPDevice.objects.create(user=second_admin, name="phone", confirmed=True)
    request = requests.role_request_create(actor=personas.admin, kind="mfa_reset", payload={"user_id": second_admin.pk})
    assert "own account" in _refusal(second_admin, request)


@pytest.mark.parametrize("name", ["investigator", "reviewer", "curator", "partner", "outsider"])
def test_only_administrators_approve_or_send_requests(personas, name):
    request = _grant_request(personas)
    assert "Only administrators" in _refusal(getattr(personas, name), request)
    with pytest.raises(DomainError, match="Only administrators"):
        requests.role_request_create(actor=getattr(personas, name), kind="organisation_create",
                                     payload={"name": "X", "country": "FR", "kind": "hotline"})


# --- expiry, decisions, races -------------------------------------------------------------------

def test_an_expired_request_cannot_be_approved(personas, second_admin, api):
    request = _grant_request(personas)
    RoleRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api(second_admin).post(f"/api/v1/role-requests/{request.pk}/approve/")
    assert response.status_code == 409 and response.json()["code"] == "expired"
    assert RoleRequest.objects.get(pk=request.pk).status == "expired"
    assert roles_of(User.objects.get(pk=personas.outsider.pk)) == frozenset()
    assert AuditEntry.objects.filter(action="role_request.expire", object_id=str(request.pk)).exists()


def test_requests_expire_seven_days_after_they_are_made(personas):
    request = _grant_request(personas)
    assert timedelta(days=7) - timedelta(seconds=5) < request.expires_at - request.requested_at <= timedelta(days=7)


def test_a_decided_request_is_not_decided_again(personas, second_admin):
    request = _grant_request(personas)
    requests.role_request_refuse(actor=second_admin, request_id=request.pk, reason="not trained")
    with pytest.raises(DomainError) as exc:
        requests.role_request_approve(actor=second_admin, request_id=request.pk)
    assert exc.value.status == 409
    assert roles_of(User.objects.get(pk=personas.outsider.pk)) == frozenset()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_approvals_decide_once(personas):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    ensure_initial_data()
    approvers = [_admin(f"approver{i}", f"Approver Org {i}") for i in range(4)]
    request = _grant_request(personas)

    def approve(approver):
        return requests.role_request_approve(actor=approver, request_id=request.pk)[0].status

    outcomes = all_at_once(approve, [(a,) for a in approvers])
    assert sorted(map(str, outcomes)) == ["409 decided"] * 3 + ["approved"]
    assert RoleGrant.objects.filter(user=personas.outsider, role=Role.CURATOR).count() == 1
    assert AuditEntry.objects.filter(action="role_request.approve").count() == 1
    assert AuditEntry.objects.filter(action="role.grant", object_id=str(personas.outsider.pk)).count() == 1


# --- one-time passwords: shown to the approver only ------------------------------------------

def test_a_new_accounts_one_time_password_is_shown_to_the_approver_only(personas, second_admin, api):
    requester = api(personas.admin)
    response = requester.post("/api/v1/role-requests/", {"kind": "user_create", "payload": {
        "username": "newrev", "organisation_id": personas.reviewer.organisation_id, "roles": ["reviewer"]}},
        format="json")
    assert response.status_code == 201, response.json()
    assert "one_time_password" not in response.json() and not User.objects.filter(username="newrev").exists()
    approved = api(second_admin).post(f"/api/v1/role-requests/{response.json()['id']}/approve/")
    assert approved.status_code == 200
    password = approved.json()["one_time_password"]
    user = User.objects.get(username="newrev")
    assert user.check_password(password) and user.must_change_password and user.created_by == personas.admin
    assert roles_of(user) == {Role.REVIEWER}
    assert password not in requester.get("/api/v1/role-requests/").content.decode()
    assert not AuditEntry.objects.filter(details__icontains=password).exists()
    assert not TOTPDevice.objects.filter(user=user).exists()  # they enrol their own second factor


def test_issuing_a_password_to_an_investigator_needs_no_second_person(personas):
    assert user_password_issue(actor=personas.admin, user=personas.investigator)
    with pytest.raises(DomainError) as exc:
        requests.role_request_create(actor=personas.admin, kind="password_issue",
                                     payload={"user_id": personas.investigator.pk})
    assert exc.value.code == "no_request_needed"


# --- the operator's commands act directly, audited and acknowledged ------------------------------

def test_operator_acts_are_audited_as_operator_and_listed_until_acknowledged(personas, second_admin, client):
    call_command("create_organisation", "Nordic Hotline", "--country", "NO", "--kind", "hotline", stdout=StringIO())
    call_command("create_user", "boot-admin", "--organisation", "Nordic Hotline", "--role", "administrator",
                 stdout=StringIO())
    entry = AuditEntry.objects.get(action="organisation.create")
    assert entry.actor_username == "operator" and entry.actor_id is None
    assert set(entry.details["operator"]) == {"os_user", "host"}
    boot = User.objects.get(username="boot-admin")
    client.force_login(personas.admin)
    page = client.get("/requests/").content.decode()
    created = AuditEntry.objects.get(action="user.create", object_id=str(boot.pk))
    assert f'id="operator-act-{entry.pk}"' in page and f'id="operator-act-{created.pk}"' in page
    # The administrator the operator made does not acknowledge their own creation.
    own = VerifiedClient()
    own.force_login(boot)
    own.post(f"/operator-acts/{created.pk}/acknowledge/")
    assert not OperatorActAcknowledgement.objects.filter(entry=created).exists()
    assert client.post(f"/operator-acts/{entry.pk}/acknowledge/")["Location"] == "/requests/"
    assert OperatorActAcknowledgement.objects.get(entry=entry).acknowledged_by == personas.admin
    assert f'id="operator-act-{entry.pk}"' not in client.get("/requests/").content.decode()
    assert AuditEntry.objects.filter(action="operator_act.acknowledge", object_id=str(entry.pk)).exists()
    with pytest.raises(DomainError, match="already acknowledged"):
        requests.operator_act_acknowledge(actor=second_admin, entry_id=entry.pk)


def test_the_requests_page_lets_an_eligible_approver_decide(personas, second_admin, client):
    request = _grant_request(personas)
    client.force_login(personas.admin)
    page = client.get("/requests/").content.decode()
    assert f'id="request-{request.pk}"' in page and f"Approve request {request.pk}" not in page  # own: no button
    approver = VerifiedClient()
    approver.force_login(second_admin)
    page = approver.get("/requests/").content.decode()
    assert f"Approve request {request.pk}" in page
    approver.post(f"/requests/{request.pk}/refuse/", {"reason": "not trained yet"})
    assert RoleRequest.objects.get(pk=request.pk).status == "refused"
    assert AuditEntry.objects.filter(action="role_request.list", actor=second_admin).exists()


# --- the sock-puppet path, replayed over HTTP, stopped at each step -------------------------------

def _nothing_took_effect(before: dict) -> None:
    assert Organisation.objects.count() == before["organisations"]
    assert User.objects.count() == before["users"]
    assert RoleGrant.objects.count() == before["grants"]
    reviewer = User.objects.get(username="reviewer1")
    assert reviewer.check_password(PASSWORD) and not reviewer.must_change_password
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()
    assert not RoleRequest.objects.exclude(status="pending").exists()


def test_one_administrator_cannot_manufacture_reviewers(personas, api):
    """The measured attack (9 s, 69 requests): organisations, accounts, reviewer grants, approvals
    by the accounts one made. Every step is now a pending request or a refusal."""
    TOTPDevice.objects.create(user=personas.reviewer, name="phone", confirmed=True)
    # Administrators the attacker might lean on: one of their own organisation, one whose account they made.
    colleague = UserFactory(username="same-org-admin", organisation=personas.admin.organisation,
                            roles=[Role.ADMINISTRATOR])
    puppet = UserFactory(username="puppet-admin", organisation=personas.reviewers[3].organisation,
                         roles=[Role.ADMINISTRATOR], created_by=personas.admin)
    before = {"organisations": Organisation.objects.count(), "users": User.objects.count(),
              "grants": RoleGrant.objects.count()}
    admin_api = api(personas.admin)
    page = VerifiedClient()
    page.force_login(personas.admin)

    def ask(kind: str, payload: dict) -> int:
        response = admin_api.post("/api/v1/role-requests/", {"kind": kind, "payload": payload}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "pending"
        return response.json()["id"]

    # 1. Three organisations: requests, over the API and the page alike.
    for name in ("Puppet One", "Puppet Two"):
        ask("organisation_create", {"name": name, "country": "FR", "kind": "hotline"})
    assert "Request sent" in page.post("/organisations/", {"name": "Puppet Three", "country": "FR",
                                                           "kind": "hotline"}, follow=True).content.decode()
    _nothing_took_effect(before)
    # 2. Accounts with reviewer: requests; no password is shown to the one who asked.
    for i, org in enumerate(personas.reviewers[1:3]):
        ask("user_create", {"username": f"puppet{i}", "organisation_id": org.organisation_id, "roles": ["reviewer"]})
    response = page.post("/users/new/", {"username": "puppet3", "organisation": personas.partner.organisation_id,
                                         "roles": ["reviewer"]}, follow=True)
    assert "Request sent" in response.content.decode() and "password" not in response.context
    _nothing_took_effect(before)
    # 3. Reviewer for an existing account: a request.
    grant = ask("role_grant", {"user_id": personas.outsider.pk, "role": "reviewer", "reason": "needed"})
    page.post(f"/users/{personas.outsider.pk}/grant/", {"role": "reviewer", "reason": "needed"})
    _nothing_took_effect(before)
    # 4. Nobody approves their own requests.
    response = admin_api.post(f"/api/v1/role-requests/{grant}/approve/")
    assert response.status_code == 403 and response.json()["code"] == "not_eligible"
    # 5. A second administrator of the same organisation cannot approve.
    response = api(colleague).post(f"/api/v1/role-requests/{grant}/approve/")
    assert response.status_code == 404  # not even listed to them
    assert grant not in [r["id"] for r in api(colleague).get("/api/v1/role-requests/").json()["results"]]
    # 6. An administrator the requester created (elsewhere) cannot approve.
    assert api(puppet).post(f"/api/v1/role-requests/{grant}/approve/").status_code == 404
    with pytest.raises(DomainError, match="created their account"):
        requests.role_request_approve(actor=puppet, request_id=grant)
    # 7. Taking over an existing reviewer: a new one-time password and a second-factor reset are requests.
    response = page.post(f"/users/{personas.reviewer.pk}/password/", follow=True)
    assert "Request sent" in response.content.decode() and "password" not in (response.context or {})
    page.post(f"/users/{personas.reviewer.pk}/reset-two-factor/")
    ask("mfa_reset", {"user_id": personas.reviewer.pk})
    # 8. The direct services refuse the administrator too (no other path around the rule).
    for act in (
        lambda: organisation_create(actor=personas.admin, name="Puppet Four", country="FR", kind="hotline"),
        lambda: user_create(actor=personas.admin, username="puppet9", organisation=personas.admin.organisation,
                            roles=[]),
        lambda: role_grant(actor=personas.admin, user=personas.outsider, role=Role.REVIEWER, reason="x"),
        lambda: user_password_issue(actor=personas.admin, user=personas.reviewer),
        lambda: mfa_reset(actor=personas.admin, user=personas.reviewer),
    ):
        with pytest.raises(DomainError) as exc:
            act()
        assert exc.value.code == "needs_approval"
    _nothing_took_effect(before)
    assert RoleRequest.objects.filter(status="pending", requested_by=personas.admin).count() == 11  # 3 + 3 + 2 + 1 + 2


def test_publishing_criteria_is_a_request_another_administrator_approves(personas, second_admin, api):
    from curation.models import CriteriaSet
    from curation.reviews.criteria import criteria_publish

    with pytest.raises(DomainError) as exc:
        criteria_publish(actor=personas.admin, criteria=[("only", "One question?")])
    assert exc.value.code == "needs_approval"
    response = api(personas.admin).post("/api/v1/role-requests/", {
        "kind": "criteria_publish", "payload": {"criteria": [["only", "One question?"]]}}, format="json")
    assert response.status_code == 201 and CriteriaSet.objects.get(is_active=True).version == 1
    bad = api(personas.admin).post("/api/v1/role-requests/", {
        "kind": "criteria_publish", "payload": {"criteria": [["Bad Key", "?"]]}}, format="json")
    assert bad.status_code == 400
    assert api(second_admin).post(f"/api/v1/role-requests/{response.json()['id']}/approve/").status_code == 200
    active = CriteriaSet.objects.get(is_active=True)
    assert active.version == 2 and [c.key for c in active.criteria.all()] == ["only"]
    entry = AuditEntry.objects.get(action="criteria.publish")
    assert entry.actor == second_admin and entry.details["requested_by_id"] == personas.admin.pk
