import re

import pytest

from accounts.models import Role, RoleGrant
from accounts.permissions import has_role, roles_of
from accounts.services import role_grant, role_revoke, user_create
from core.actors import SYSTEM
from core.errors import DomainError
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_administrator_grants_a_role_and_it_is_audited(personas):
    # investigator needs no second administrator; reviewer does (tests/accounts/test_two_person_rule.py)
    role_grant(actor=personas.admin, user=personas.outsider, role=Role.INVESTIGATOR, reason="trained")
    assert has_role(personas.outsider, Role.INVESTIGATOR)
    entry = AuditEntry.objects.get(action="role.grant", object_id=str(personas.outsider.pk))
    assert entry.actor == personas.admin
    assert entry.organisation == personas.admin.organisation
    assert entry.details == {"role": "investigator", "reason": "trained"}


def test_nobody_grants_roles_to_themselves(personas):
    with pytest.raises(DomainError, match="own roles") as exc:
        role_grant(actor=personas.admin, user=personas.admin, role=Role.CURATOR, reason="test")
    assert exc.value.status == 403
    assert not RoleGrant.objects.filter(user=personas.admin, role=Role.CURATOR).exists()


@pytest.mark.parametrize("actor_name", ["investigator", "reviewer", "curator", "partner", "outsider"])
def test_only_administrators_grant_roles(personas, actor_name):
    actor = getattr(personas, actor_name)
    with pytest.raises(DomainError, match="Only administrators") as exc:
        role_grant(actor=actor, user=personas.colleague, role=Role.CURATOR, reason="test")
    assert exc.value.status == 403
    assert not has_role(personas.colleague, Role.CURATOR)


def test_a_reviewer_cannot_become_an_administrator(personas):
    with pytest.raises(DomainError, match="separation of duties"):
        role_grant(actor=personas.admin, user=personas.reviewer, role=Role.ADMINISTRATOR, reason="test")
    assert roles_of(personas.reviewer) == {Role.REVIEWER}


def test_an_administrator_cannot_become_a_reviewer(personas):
    other_admin = user_create(
        actor=SYSTEM, username="admin2", organisation=personas.admin.organisation,
        roles=[Role.ADMINISTRATOR],
    )
    with pytest.raises(DomainError, match="separation of duties") as exc:
        role_grant(actor=personas.admin, user=other_admin, role=Role.REVIEWER, reason="test")
    assert exc.value.status == 409


def test_granting_a_held_role_is_a_conflict(personas):
    with pytest.raises(DomainError, match="already holds"):
        role_grant(actor=personas.admin, user=personas.curator, role=Role.CURATOR, reason="test")


def test_revoking_a_role_removes_it_and_is_audited(personas):
    role_revoke(actor=personas.admin, user=personas.reviewer, role=Role.REVIEWER, reason="left the unit")
    assert roles_of(personas.reviewer) == frozenset()
    entry = AuditEntry.objects.get(action="role.revoke")
    assert entry.details == {"role": "reviewer", "reason": "left the unit"}


def test_revoking_a_role_not_held_is_a_conflict(personas):
    with pytest.raises(DomainError, match="does not hold"):
        role_revoke(actor=personas.admin, user=personas.reviewer, role=Role.CURATOR, reason="test")


def test_an_inactive_user_or_organisation_holds_no_role(personas):
    personas.curator.is_active = False
    assert roles_of(personas.curator) == frozenset()
    org = personas.partner.organisation
    org.is_active = False
    org.save()
    personas.partner.refresh_from_db()
    assert roles_of(personas.partner) == frozenset()


def test_only_administrators_create_users(personas):
    with pytest.raises(DomainError, match="Only administrators create users"):
        user_create(actor=personas.curator, username="x", organisation=personas.curator.organisation, roles=[])


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_granting_and_revoking_need_a_reason(personas, reason):
    with pytest.raises(DomainError, match="reason for granting a role is required") as exc:
        role_grant(actor=personas.admin, user=personas.outsider, role=Role.CURATOR, reason=reason)
    assert exc.value.status == 400
    with pytest.raises(DomainError, match="reason for revoking a role is required"):
        role_revoke(actor=personas.admin, user=personas.reviewer, role=Role.REVIEWER, reason=reason)
    assert roles_of(personas.outsider) == frozenset() and roles_of(personas.reviewer) == {Role.REVIEWER}
    assert not AuditEntry.objects.filter(action__startswith="role.").exists()


def test_a_reason_longer_than_500_characters_is_refused(personas):
    with pytest.raises(DomainError, match="at most 500 characters"):
        role_grant(actor=personas.admin, user=personas.outsider, role=Role.CURATOR, reason="x" * 501)
    role_grant(actor=personas.admin, user=personas.outsider, role=Role.INVESTIGATOR, reason="x" * 500)
    assert has_role(personas.outsider, Role.INVESTIGATOR)


def test_deactivating_an_account_needs_a_reason(personas):
    from accounts.services import user_set_active

    with pytest.raises(DomainError, match="reason for deactivating an account is required"):
        user_set_active(actor=personas.admin, user=personas.partner, active=False)
    personas.partner.refresh_from_db()
    assert personas.partner.is_active
    user_set_active(actor=personas.admin, user=personas.partner, active=False, reason="left")
    user_set_active(actor=personas.admin, user=personas.partner, active=True)  # reactivating needs none
    assert list(AuditEntry.objects.filter(action__startswith="user.").values_list("action", "details")) == [
        ("user.deactivate", {"reason": "left", "accounts_signed_out": 1, "tokens_revoked": 0}),
        ("user.activate", {"reason": ""})]


def test_a_repeated_role_at_creation_is_granted_once(personas):
    user = user_create(actor=SYSTEM, username="twice", organisation=personas.admin.organisation,
                       roles=[Role.CURATOR, Role.CURATOR])
    assert list(RoleGrant.objects.filter(user=user).values_list("role", flat=True)) == [Role.CURATOR]
    assert AuditEntry.objects.filter(action="role.grant", object_id=str(user.pk)).count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "u" * 151}, "A username is at most 150 characters (got 151)"),
        ({"username": "  "}, "A username is required"),
        ({"email": "a" * 250 + "@example.org"}, "An email address is at most 254 characters"),
        ({"email": "not an address"}, "email: Enter a valid email address"),
        ({"username": "has space"}, "username: Enter a valid username"),
    ],
)
def test_user_fields_are_checked_with_a_clear_message(personas, fields, message):
    from accounts.models import User

    before = User.objects.count()
    with pytest.raises(DomainError, match=re.escape(message)) as exc:
        user_create(actor=personas.admin, **{"username": "newbie", "organisation": personas.admin.organisation,
                                             "roles": [Role.CURATOR], **fields})
    assert exc.value.status == 400
    assert User.objects.count() == before


def test_organisation_names_longer_than_the_column_are_refused(personas):
    from accounts.services import organisation_create, organisation_update

    with pytest.raises(DomainError, match="at most 200 characters"):
        organisation_create(actor=personas.admin, name="N" * 201, country="FR", kind="hotline")
    org = personas.partner.organisation
    with pytest.raises(DomainError, match="at most 200 characters"):
        organisation_update(actor=personas.admin, organisation=org, name="N" * 201, country="SE", kind="partner")
    org.refresh_from_db()
    assert org.name == "Example Networks"
    assert organisation_create(actor=SYSTEM, name="N" * 200, country="FR", kind="hotline").name == "N" * 200
