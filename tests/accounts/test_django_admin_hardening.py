"""The read-only Django admin: its own password-change views change nothing and lead to the
project's page, and only the declared list filters are accepted as lookups."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_admins_password_change_leads_to_the_projects_page_and_changes_nothing(personas, client):
    client.force_login(personas.admin)
    assert client.get("/django-admin/password_change/").headers["Location"] == "/password/"
    new = "a brand new passphrase 42"
    response = client.post("/django-admin/password_change/",
                           {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302 and response.headers["Location"] == "/password/"
    personas.admin.refresh_from_db()
    assert personas.admin.check_password(PASSWORD)
    assert client.get("/django-admin/password_change/done/").headers["Location"] == "/password/"


@pytest.mark.parametrize("lookup", ["password__startswith", "password__regex", "email__contains",
                                    "role_grants__role", "organisation__name__startswith"])
def test_undeclared_lookups_are_refused(personas, client, lookup):
    client.force_login(personas.admin)
    response = client.get("/django-admin/accounts/user/", {lookup: "p"})
    assert response.status_code == 400
    assert b"investigator" not in response.content


def test_the_declared_filters_still_work(personas, client):
    client.force_login(personas.admin)
    assert client.get("/django-admin/accounts/user/", {"is_active__exact": "1"}).status_code == 200
    assert client.get("/django-admin/accounts/user/", {"organisation__kind__exact": "partner"}).status_code == 200
    assert client.get("/django-admin/accounts/organisation/", {"kind__exact": "hotline"}).status_code == 200
    assert client.get("/django-admin/accounts/user/", {"q": "investigator"}).status_code == 200  # search
