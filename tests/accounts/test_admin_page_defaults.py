"""Issue 12 item 6, in part: administrators' forms choose nothing risky for them, and the acts that
lock a person out ask first (static/js/baseline.js reads `data-confirm`)."""

import re

import pytest

from accounts.models import Organisation, RoleRequest
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def assert_starts_on_choose(page: str, select_id: str, name: str) -> None:
    """The select is required and starts on an empty "Choose…", the only option selected."""
    select = re.search(rf'<select id="{select_id}" name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select and " required" in select.group(0), select_id
    assert select.group(1).startswith('<option value="" selected>Choose…</option>')
    assert select.group(1).count(" selected") == 1


def test_the_grant_form_chooses_no_role_until_one_is_chosen(personas, client):
    client.force_login(personas.admin)
    page = client.get(f"/users/{personas.outsider.pk}/").content.decode()
    assert_starts_on_choose(page, "grant-role", "role")
    before = AuditEntry.objects.count()
    response = client.post(f"/users/{personas.outsider.pk}/grant/", {"role": "", "reason": "new panel"}, follow=True)
    assert response.status_code == 200 and not RoleRequest.objects.exists()
    assert "Choose a role to grant." in response.content.decode()
    assert AuditEntry.objects.count() == before


def test_deactivation_and_one_time_passwords_ask_first(personas, client):
    client.force_login(personas.admin)
    row = client.get(f"/users/{personas.outsider.pk}/").content.decode()
    assert (f'data-confirm="Deactivate {personas.outsider.username}? They are signed out everywhere and their API '
            "tokens are revoked.") in row
    assert f'data-confirm="Issue a new one-time password to {personas.outsider.username}?' in row


def test_a_new_organisation_chooses_no_country_until_one_is_chosen(personas, client):
    client.force_login(personas.admin)
    page = client.get("/organisations/").content.decode()
    assert_starts_on_choose(page, "id_country", "country")
    response = client.post("/organisations/", {"name": "Nowhere Hotline", "country": "", "kind": "hotline"})
    assert response.status_code == 400 and "Choose the organisation&#x27;s country." in response.content.decode()
    assert not Organisation.objects.filter(name="Nowhere Hotline").exists() and not RoleRequest.objects.exists()


def test_editing_an_organisation_keeps_its_country_chosen(personas, client):
    client.force_login(personas.admin)
    org = personas.investigator.organisation
    page = client.get(f"/organisations/{org.pk}/").content.decode()
    assert f'<option value="{org.country}" selected>' in page
    assert '<option value="" selected>' not in page
