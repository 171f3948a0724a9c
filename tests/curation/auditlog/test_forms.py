"""The audit log's filters: each error is in words naming its filter, the filter is shown again as
typed and filters nothing; short ids, usernames, `system` and `operator` are understood."""

from __future__ import annotations

from datetime import date

import pytest

from curation.auditlog.forms import AuditLogFilterForm
from tests.curation.helpers import make_item

DATE = "must be a date written YYYY-MM-DD, such as 2026-01-31."


def test_dates_are_iso_and_text_filters_are_trimmed():
    form = AuditLogFilterForm({"action": " role. ", "since": "2024-01-31", "until": ""})
    assert form.filters() == {"action": "role.", "actor": None, "object_id": None, "object_type": "",
                              "since": date(2024, 1, 31), "until": None}
    assert form.messages() == []


@pytest.mark.django_db
def test_a_bad_date_is_named_by_its_label_and_shown_as_typed(personas):
    form = AuditLogFilterForm({"since": " yesterday ", "until": "2024-13-01", "actor": "admin"})
    assert form.messages() == [("id_since", f"“From” {DATE}"), ("id_until", f"“To” {DATE}")]
    assert form.filters() == {"action": "", "actor": {"actor_id": personas.admin.pk}, "object_id": None,
                              "object_type": "", "since": None, "until": None}
    assert form.raw() == {"action": "", "actor": "admin", "object_id": "", "object_type": "",
                          "since": "yesterday", "until": "2024-13-01"}


def test_to_before_from_is_an_error_of_to():
    form = AuditLogFilterForm({"since": "2026-02-01", "until": "2026-01-31"})
    assert form.messages() == [("id_until", "“To” must not be before “From”.")]


@pytest.mark.parametrize("typed, parsed", [
    ("3F2A9C1E", ("3f2a9c1e", True)),  # a short id, as the pages show it (any case)
    ("3f2a9c1e-7b", ("3f2a9c1e-7b", True)),
    ("12345678", ("12345678", True)),  # a short id may be all digits: still a prefix
    ("42", ("42", False)),  # a user's, organisation's or release's id: exact
    ("", None),
])
def test_object_ids_are_short_ids_or_numbers(typed, parsed):
    assert AuditLogFilterForm({"object_id": typed}).filters()["object_id"] == parsed


@pytest.mark.parametrize("typed", ["3f2a9c", "not-an-id", "3f2a9c1e'--", "abc 1234"])
def test_other_object_ids_are_refused_in_words(typed):
    form = AuditLogFilterForm({"object_id": typed})
    [(field, message)] = form.messages()
    assert field == "id_object_id" and message.startswith("“Item or object id” must be a number, or at least")
    assert form.filters()["object_id"] is None


@pytest.mark.django_db
def test_actors_are_usernames_or_the_system_or_the_operator(personas):
    assert AuditLogFilterForm({"actor": "system"}).filters()["actor"] == {"actor__isnull": True,
                                                                          "actor_username": ""}
    assert AuditLogFilterForm({"actor": "operator"}).filters()["actor"] == {"actor__isnull": True,
                                                                            "actor_username": "operator"}
    form = AuditLogFilterForm({"actor": "nobody"})
    assert form.messages() == [("id_actor", "No user is called “nobody”. Usernames are matched exactly.")]
    assert form.filters()["actor"] is None


def test_an_unknown_kind_is_refused():
    assert AuditLogFilterForm({"object_type": "auth.group"}).messages() == [
        ("id_object_type", "“Kind” must be one of the kinds listed.")]


@pytest.mark.django_db
def test_the_page_names_the_bad_filter_and_keeps_it_in_the_form(personas, client):
    make_item(personas.investigator)
    client.force_login(personas.admin)
    response = client.get("/audit/?since=yesterday&action=submission.")
    assert response.status_code == 400
    page = response.content.decode()
    assert f"“From” {DATE}" in page and 'href="#id_since"' in page and 'value="yesterday"' in page
    assert "submission.create" in page  # the other filters still apply
