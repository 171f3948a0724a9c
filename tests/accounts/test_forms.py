"""The account pages' forms (accounts/forms.py) and fetch helpers (accounts/selectors.py): a form that
refuses a value first says what the service would say, a refused form changes nothing, list filters
that do not parse are ignored, and the helpers answer 403/404 themselves."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import forms, selectors, services
from accounts.models import ApiToken, Organisation, Role, User
from accounts.permissions import roles_of
from core.errors import DomainError
from core.inputs import REASON_MAX_LENGTH
from core.models import AuditEntry

pytestmark = pytest.mark.django_db

LONG_REASON = "r" * (REASON_MAX_LENGTH + 1)


def form_message(form: forms.InputForm) -> str:
    with pytest.raises(DomainError) as exc:
        form.cleaned_or_raise()
    assert exc.value.status == 400
    return exc.value.message


def service_message(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.message


# Each case: the form, what is sent, and the service call the same input would make.
CASES = {
    "organisation name too long": (
        forms.OrganisationForm, {"name": "N" * 201, "country": "NO", "kind": "hotline"},
        lambda p: services.organisation_create(actor=p.admin, name="N" * 201, country="NO", kind="hotline")),
    "unknown country (any case)": (
        forms.OrganisationForm, {"name": "Nordic", "country": "xx", "kind": "hotline"},
        lambda p: services.organisation_create(actor=p.admin, name="Nordic", country="xx", kind="hotline")),
    "unknown kind": (
        forms.OrganisationForm, {"name": "Nordic", "country": "NO", "kind": "club"},
        lambda p: services.organisation_create(actor=p.admin, name="Nordic", country="NO", kind="club")),
    "token name too long": (
        forms.TokenCreateForm, {"name": "n" * 101, "days": "30"},
        lambda p: services.token_create(actor=p.partner, user=p.partner, name="n" * 101, days=30)),
    "username too long": (
        forms.UserCreateForm, {"username": "u" * 151, "organisation": "{org}", "roles": ["partner"]},
        lambda p: services.user_create(actor=p.admin, username="u" * 151, organisation=p.partner.organisation,
                                       roles=["partner"])),
    "email too long": (
        forms.UserCreateForm, {"username": "newbie", "email": "e" * 255, "organisation": "{org}"},
        lambda p: services.user_create(actor=p.admin, username="newbie", email="e" * 255,
                                       organisation=p.partner.organisation, roles=[])),
    "unknown role at creation": (
        forms.UserCreateForm, {"username": "newbie", "organisation": "{org}", "roles": ["boss"]},
        lambda p: services.user_create(actor=p.admin, username="newbie", organisation=p.partner.organisation,
                                       roles=["boss"])),
    "unknown role granted": (
        forms.RoleGrantForm, {"role": "boss", "reason": "x"},
        lambda p: services.role_grant(actor=p.admin, user=p.outsider, role="boss", reason="x")),
    "grant reason too long": (
        forms.RoleGrantForm, {"role": "curator", "reason": LONG_REASON},
        lambda p: services.role_grant(actor=p.admin, user=p.outsider, role="curator", reason=LONG_REASON)),
    "revoke reason too long": (
        forms.RoleRevokeForm, {"role": "reviewer", "reason": LONG_REASON},
        lambda p: services.role_revoke(actor=p.admin, user=p.reviewer, role="reviewer", reason=LONG_REASON)),
    "deactivation reason too long": (
        forms.UserActiveForm, {"active": "off", "reason": LONG_REASON},
        lambda p: services.user_set_active(actor=p.admin, user=p.partner, active=False, reason=LONG_REASON)),
    "organisation deactivation reason too long": (
        forms.OrganisationEditForm, {"active": "off", "reason": LONG_REASON},
        lambda p: services.organisation_set_active(actor=p.admin, organisation=p.partner.organisation,
                                                   active=False, reason=LONG_REASON)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_form_refuses_in_the_words_of_its_service(personas, case):
    form_class, data, call = CASES[case]
    data = {key: value.format(org=personas.partner.organisation.pk) if isinstance(value, str) else value
            for key, value in data.items()}
    assert form_message(form_class(data)) == service_message(lambda: call(personas))


def test_a_too_long_organisation_name_is_the_same_clear_error_and_changes_nothing(personas, client):
    client.force_login(personas.admin)
    org = personas.partner.organisation
    for path in ("/organisations/", f"/organisations/{org.pk}/"):
        response = client.post(path, {"name": "N" * 201, "country": "SE", "kind": "partner"})
        assert response.status_code == 400
        assert "An organisation&#x27;s name is at most 200 characters (got 201)." in response.content.decode()
    assert Organisation.objects.filter(name__startswith="NNN").count() == 0
    org.refresh_from_db()
    assert org.name == "Example Networks"
    assert not AuditEntry.objects.filter(action__startswith="organisation.").exists()


def test_the_organisations_page_shows_what_was_sent_again(personas, client):
    client.force_login(personas.admin)
    response = client.post("/organisations/", {"name": "Nordic Hotline", "country": "XX", "kind": "hotline"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "&#x27;XX&#x27; is not an ISO 3166-1 alpha-2 country code." in page
    assert 'value="Nordic Hotline"' in page and '<option value="hotline" selected>' in page


def test_a_too_long_reason_grants_nothing(personas, client):
    client.force_login(personas.admin)
    response = client.post(f"/users/{personas.outsider.pk}/grant/", {"role": "curator", "reason": LONG_REASON},
                           follow=True)
    assert f"A reason for granting a role is at most 500 characters (got {len(LONG_REASON)})." in (
        response.content.decode())
    assert roles_of(User.objects.get(pk=personas.outsider.pk)) == frozenset()
    assert not AuditEntry.objects.filter(action="role.grant").exists()


def test_a_user_create_refusal_shows_the_form_again_and_creates_nobody(personas, client):
    client.force_login(personas.admin)
    org = personas.partner.organisation
    response = client.post("/users/new/", {"username": "u" * 151, "email": "n@example.org",
                                           "organisation": org.pk, "roles": ["partner"]})
    assert response.status_code == 400
    assert "A username is at most 150 characters (got 151)." in response.content.decode()
    assert response.context["form"] == {"username": "u" * 151, "email": "n@example.org",
                                        "organisation": str(org.pk), "roles": ["partner"]}
    assert not User.objects.filter(email="n@example.org").exists()


@pytest.mark.parametrize("organisation", ["", "abc", "٥", "999999"])
def test_user_create_needs_an_existing_organisation_by_plain_id(personas, client, organisation):
    client.force_login(personas.admin)
    response = client.post("/users/new/", {"username": "newbie", "organisation": organisation})
    assert response.status_code == 400 and "Choose an organisation." in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_the_empty_user_create_page_starts_blank(personas, client):
    client.force_login(personas.admin)
    response = client.get("/users/new/")
    assert response.status_code == 200
    assert response.context["form"] == {"organisation": "", "username": "", "email": "", "roles": []}


@pytest.mark.parametrize("days", ["٥", "-5", "5.0", " "])
def test_token_days_are_plain_digits(personas, client, days):
    client.force_login(personas.partner)
    response = client.post("/tokens/", {"name": "x", "days": days}, follow=True)
    assert "Days must be a whole number." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_token_days_default_to_what_the_page_offers(personas, client):
    client.force_login(personas.partner)
    client.post("/tokens/", {"name": "x"})
    token = ApiToken.objects.get()
    assert (token.expires_at - token.created_at).days in (89, 90)


def test_a_nul_character_is_a_clear_error_not_a_500(personas, client):
    client.force_login(personas.admin)
    before = Organisation.objects.count()
    response = client.post("/organisations/", {"name": "Nor\x00dic", "country": "NO", "kind": "hotline"})
    assert response.status_code == 400 and "Null characters are not allowed." in response.content.decode()
    assert Organisation.objects.count() == before


def test_user_list_filters_that_do_not_parse_are_ignored(personas, client):
    client.force_login(personas.admin)
    response = client.get("/users/", {"role": "boss", "org": "٥", "page": "x", "q": " partner "})
    assert response.status_code == 200
    assert [u.username for u in response.context["page"].object_list] == ["partner"]
    assert (response.context["role"], response.context["org"], response.context["q"]) == ("", "", "partner")
    response = client.get("/users/", {"role": "reviewer", "org": str(personas.reviewer.organisation_id)})
    assert [u.username for u in response.context["page"].object_list] == ["reviewer1"]
    assert response.context["org"] == str(personas.reviewer.organisation_id)


def test_the_password_page_refuses_two_different_new_passwords(personas, client):
    client.force_login(personas.curator)
    response = client.post("/password/", {"current_password": "x", "new_password": "a-long-new-password",
                                          "new_password_again": "another-new-password"})
    assert response.status_code == 400 and "The two new passwords differ." in response.content.decode()
    assert not AuditEntry.objects.filter(action__startswith="user.password").exists()


def test_next_comes_from_the_form_then_the_address():
    def target(*sources):
        return forms.next_target(*(forms.NextForm(data) for data in sources))

    assert target({"next": "/a/"}, {"next": "/b/"}) == "/a/"
    assert target({}, {"next": "/b/"}) == "/b/"
    assert target({"next": ""}, {}) == ""


def test_the_organisation_edit_form_tells_a_switch_from_an_edit():
    edit = forms.OrganisationEditForm({"name": "N", "country": "se", "kind": "partner"}).cleaned_or_raise()
    assert edit["active"] is None and edit["country"] == "SE"
    assert forms.OrganisationEditForm({"active": "off", "reason": "x"}).cleaned_or_raise()["active"] is False
    assert forms.OrganisationEditForm({"active": "on"}).cleaned_or_raise()["active"] is True
    assert forms.UserActiveForm({}).cleaned_or_raise()["active"] is False


def test_the_fetch_helpers_answer_403_and_404_themselves(personas, api):
    api(personas.partner)
    token = ApiToken.objects.get(user=personas.partner)
    assert selectors.token_visible_or_404(personas.partner, token.pk) == token
    assert selectors.token_visible_or_404(personas.admin, token.pk) == token
    with pytest.raises(Http404):
        selectors.token_visible_or_404(personas.curator, token.pk)
    assert selectors.user_for_admin_or_404(personas.admin, personas.partner.pk) == personas.partner
    with pytest.raises(Http404):
        selectors.user_for_admin_or_404(personas.admin, 999999)
    with pytest.raises(PermissionDenied):
        selectors.user_for_admin_or_404(personas.curator, 999999)  # 403 before looking
    org = personas.partner.organisation
    assert selectors.organisation_for_admin_or_404(personas.admin, org.pk) == org
    with pytest.raises(PermissionDenied):
        selectors.organisation_for_admin_or_404(personas.partner, org.pk)


def test_role_choices_come_from_the_model():
    assert [value for value, _ in forms.RoleGrantForm.base_fields["role"].choices] == Role.values
    assert [value for value, _ in forms.OrganisationForm.base_fields["kind"].choices] == Organisation.Kind.values
