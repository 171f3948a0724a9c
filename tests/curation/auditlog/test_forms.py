"""The audit log's filters: a bad date is named, shown again as typed, and filters nothing."""

from __future__ import annotations

from datetime import date

import pytest

from curation.auditlog.forms import AuditLogFilterForm
from tests.curation.helpers import make_item


def test_dates_are_iso_and_text_filters_are_trimmed():
    form = AuditLogFilterForm({"action": " role. ", "since": "2024-01-31", "until": ""})
    assert form.filters() == {"action": "role.", "actor": "", "object_id": "", "since": date(2024, 1, 31),
                              "until": None}
    assert form.messages() == {}


def test_a_bad_date_gives_the_same_message_and_is_shown_as_typed():
    form = AuditLogFilterForm({"since": " yesterday ", "until": "2024-13-01", "actor": "admin"})
    assert form.messages() == {"since": "Use the form YYYY-MM-DD.", "until": "Use the form YYYY-MM-DD."}
    assert form.filters() == {"action": "", "actor": "admin", "object_id": "", "since": None, "until": None}
    assert form.raw() == {"action": "", "actor": "admin", "object_id": "", "since": "yesterday",
                          "until": "2024-13-01"}


@pytest.mark.django_db
def test_the_page_names_the_bad_filter_and_keeps_it_in_the_form(personas, client):
    make_item(personas.investigator)
    client.force_login(personas.admin)
    response = client.get("/audit/?since=yesterday&action=submission.")
    assert response.status_code == 400
    page = response.content.decode()
    assert "since: Use the form YYYY-MM-DD." in page and 'value="yesterday"' in page
    assert "submission.create" in page  # the other filters still apply
