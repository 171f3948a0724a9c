"""Every account service takes an explicit actor, and `None` is refused: forgetting the actor never
skips a permission check (core/actors.py; system work names SYSTEM)."""

from __future__ import annotations

import inspect

import pytest
from django.test import RequestFactory

from accounts import services
from accounts.models import ApiToken, Organisation, User
from core.actors import SYSTEM
from core.errors import DomainError

pytestmark = pytest.mark.django_db

_NAMES = {
    "organisation_create", "organisation_group_ensure", "organisation_update", "organisation_set_active",
    "user_create", "role_grant", "role_revoke", "user_set_active", "user_password_change", "user_password_issue",
    "user_email_digest_set", "token_create", "token_revoke", "token_mark_used", "mfa_device_pending_ensure",
    "mfa_enrol", "mfa_verify", "mfa_reset",
}


def calls(p):
    org = p.partner.organisation
    request = RequestFactory().post("/")
    request.user = p.partner
    return {
        "organisation_create": lambda actor: services.organisation_create(actor=actor, name="N", country="NO",
                                                                          kind="hotline"),
        "organisation_group_ensure": lambda actor: services.organisation_group_ensure(actor=actor, organisation=org),
        "organisation_update": lambda actor: services.organisation_update(actor=actor, organisation=org, name="N",
                                                                          country="NO", kind="partner"),
        "organisation_set_active": lambda actor: services.organisation_set_active(actor=actor, organisation=org,
                                                                                  active=False, reason="x"),
        "user_create": lambda actor: services.user_create(actor=actor, username="n", organisation=org, roles=[]),
        "role_grant": lambda actor: services.role_grant(actor=actor, user=p.outsider, role="curator", reason="x"),
        "role_revoke": lambda actor: services.role_revoke(actor=actor, user=p.partner, role="partner", reason="x"),
        "user_set_active": lambda actor: services.user_set_active(actor=actor, user=p.partner, active=False,
                                                                  reason="x"),
        "user_password_change": lambda actor: services.user_password_change(
            actor=actor, user=p.partner, current_password="x", new_password="y"),
        "user_password_issue": lambda actor: services.user_password_issue(actor=actor, user=p.partner),
        "user_email_digest_set": lambda actor: services.user_email_digest_set(actor=actor, user=p.partner, on=True),
        "token_create": lambda actor: services.token_create(actor=actor, user=p.partner),
        "token_revoke": lambda actor: services.token_revoke(actor=actor, token=ApiToken.objects.first()),
        "token_mark_used": lambda actor: services.token_mark_used(actor=actor, token=ApiToken.objects.first(),
                                                                  now=None),
        "mfa_device_pending_ensure": lambda actor: services.mfa_device_pending_ensure(actor=actor, user=p.partner),
        "mfa_enrol": lambda actor: services.mfa_enrol(actor=actor, request=request, device=None, token="1"),
        "mfa_verify": lambda actor: services.mfa_verify(actor=actor, request=request, token="1"),
        "mfa_reset": lambda actor: services.mfa_reset(actor=actor, user=p.partner),
    }


def test_every_service_with_an_actor_is_covered():
    public = {name for name, function in inspect.getmembers(services, inspect.isfunction)
              if function.__module__ == services.__name__ and not name.startswith("_")}
    with_actor = {name for name in public if "actor" in inspect.signature(getattr(services, name)).parameters}
    assert with_actor == _NAMES
    assert public - with_actor == {"new_one_time_password"}  # the one function that changes nothing


@pytest.mark.parametrize("name", sorted(_NAMES))
def test_no_actor_is_refused(personas, api, name):
    api(personas.partner)  # a token to revoke or mark used
    assert set(calls(personas)) == _NAMES
    with pytest.raises(DomainError) as exc:
        calls(personas)[name](None)
    assert exc.value.kind == "forbidden"
    assert Organisation.objects.filter(name="N").count() == 0 and not User.objects.filter(username="n").exists()
    assert ApiToken.objects.get().revoked_at is None and ApiToken.objects.get().last_used_at is None


def test_system_work_names_the_system(personas, api):
    api(personas.partner)
    token = ApiToken.objects.get()
    services.token_mark_used(actor=SYSTEM, token=token, now=token.created_at)
    token.refresh_from_db()
    assert token.last_used_at == token.created_at
