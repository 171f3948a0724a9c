import pytest

from accounts.models import Role, RoleGrant
from accounts.permissions import has_role, roles_of
from accounts.services import role_grant, role_revoke, user_create
from curation.errors import CurationError
from curation.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_administrator_grants_a_role_and_it_is_audited(personas):
    role_grant(actor=personas.admin, user=personas.outsider, role=Role.REVIEWER, reason="trained")
    assert has_role(personas.outsider, Role.REVIEWER)
    entry = AuditEntry.objects.get(action="role.grant", object_id=str(personas.outsider.pk))
    assert entry.actor == personas.admin
    assert entry.organisation == personas.admin.organisation
    assert entry.details == {"role": "reviewer", "reason": "trained"}


def test_nobody_grants_roles_to_themselves(personas):
    with pytest.raises(CurationError, match="own roles") as exc:
        role_grant(actor=personas.admin, user=personas.admin, role=Role.CURATOR)
    assert exc.value.status == 403
    assert not RoleGrant.objects.filter(user=personas.admin, role=Role.CURATOR).exists()


@pytest.mark.parametrize("actor_name", ["investigator", "reviewer", "curator", "partner", "outsider"])
def test_only_administrators_grant_roles(personas, actor_name):
    actor = getattr(personas, actor_name)
    with pytest.raises(CurationError, match="Only administrators") as exc:
        role_grant(actor=actor, user=personas.colleague, role=Role.CURATOR)
    assert exc.value.status == 403
    assert not has_role(personas.colleague, Role.CURATOR)


def test_a_reviewer_cannot_become_an_administrator(personas):
    with pytest.raises(CurationError, match="separation of duties"):
        role_grant(actor=personas.admin, user=personas.reviewer, role=Role.ADMINISTRATOR)
    assert roles_of(personas.reviewer) == {Role.REVIEWER}


def test_an_administrator_cannot_become_a_reviewer(personas):
    other_admin = user_create(
        actor=personas.admin, username="admin2", organisation=personas.admin.organisation,
        roles=[Role.ADMINISTRATOR],
    )
    with pytest.raises(CurationError, match="separation of duties") as exc:
        role_grant(actor=personas.admin, user=other_admin, role=Role.REVIEWER)
    assert exc.value.status == 409


def test_granting_a_held_role_is_a_conflict(personas):
    with pytest.raises(CurationError, match="already holds"):
        role_grant(actor=personas.admin, user=personas.curator, role=Role.CURATOR)


def test_revoking_a_role_removes_it_and_is_audited(personas):
    role_revoke(actor=personas.admin, user=personas.reviewer, role=Role.REVIEWER, reason="left the unit")
    assert roles_of(personas.reviewer) == frozenset()
    entry = AuditEntry.objects.get(action="role.revoke")
    assert entry.details == {"role": "reviewer", "reason": "left the unit"}


def test_revoking_a_role_not_held_is_a_conflict(personas):
    with pytest.raises(CurationError, match="does not hold"):
        role_revoke(actor=personas.admin, user=personas.reviewer, role=Role.CURATOR)


def test_an_inactive_user_or_organisation_holds_no_role(personas):
    personas.curator.is_active = False
    assert roles_of(personas.curator) == frozenset()
    org = personas.partner.organisation
    org.is_active = False
    org.save()
    personas.partner.refresh_from_db()
    assert roles_of(personas.partner) == frozenset()


def test_only_administrators_create_users(personas):
    with pytest.raises(CurationError, match="Only administrators create users"):
        user_create(actor=personas.curator, username="x", organisation=personas.curator.organisation, roles=[])
