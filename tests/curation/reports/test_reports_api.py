"""Match reports (DESIGN.md section 11): partners report listed items, one or up to 500 at a time,
all or nothing; who sees which report; the shared match report's notice to the submitting
organisation; retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Organisation, Role
from core.models import AuditEntry
from curation import tasks
from curation.models import Download, Notice, Report
from curation.releases.services import feed_grant
from tests.curation.helpers import approved_item, make_item, publish
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(personas, api):
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    return api(personas.partner)


@pytest.fixture
def listed(personas):
    item = approved_item(personas, algorithms=("md5", "sha256"))
    publish()
    return item


def report(item, **extra):
    return {"item_id": str(item.pk), "kind": "match", "reference": "CASE-1", **extra}


def test_a_partner_reports_a_listed_item_and_follows_it(personas, partner, listed):
    before = AuditEntry.objects.count()
    response = partner.post("/api/v1/reports/", report(listed, details="found on a file host"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["item_id"], body["reference"]) == ("match", "received",
                                                                                 str(listed.pk), "CASE-1")
    assert body["organisation"] == personas.partner.organisation.name
    entry = AuditEntry.objects.get(action="report.create")
    assert entry.object_id == body["id"] and entry.details == {"item": str(listed.pk), "kind": "match",
                                                               "shared": False}
    assert AuditEntry.objects.count() == before + 1
    assert [r["id"] for r in partner.get("/api/v1/reports/").json()["results"]] == [body["id"]]
    assert partner.get(f"/api/v1/reports/{body['id']}/").json()["details"] == "found on a file host"


def test_a_batch_is_written_whole_or_not_at_all(personas, partner, listed):
    pending = make_item(personas.investigator)
    good = [report(listed, reference=f"CASE-{n}") for n in range(3)]
    assert partner.post("/api/v1/reports/", good, format="json").status_code == 201
    assert Report.objects.count() == 3
    refused = partner.post("/api/v1/reports/", [*good, report(pending)], format="json")
    assert refused.status_code == 404 and "Report 3" in refused.json()["detail"]
    malformed = partner.post("/api/v1/reports/", [report(listed), report(listed, reference="x" * 101),
                                                  report(listed, kind="maybe"), report(listed, details="d" * 2001)],
                             format="json")
    assert malformed.status_code == 400
    assert {n: sorted(errors) for n, errors in malformed.json().items()} == {
        "1": ["reference"], "2": ["kind"], "3": ["details"]}
    too_many = partner.post("/api/v1/reports/", [report(listed)] * 501, format="json")
    assert too_many.status_code == 400
    assert partner.post("/api/v1/reports/", [], format="json").status_code == 400
    assert Report.objects.count() == 3 and AuditEntry.objects.filter(action="report.create").count() == 3


def test_only_items_listed_in_a_release_of_the_partner_s_feeds_may_be_reported(personas, api, listed):
    unpublished = approved_item(personas, algorithms=("md5",))  # approved after the release: not in it
    photodna_only = api(personas.partner)
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="photodna")
    assert photodna_only.post("/api/v1/reports/", report(listed), format="json").status_code == 404
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    assert photodna_only.post("/api/v1/reports/", report(unpublished), format="json").status_code == 404
    assert photodna_only.post("/api/v1/reports/", report(listed), format="json").status_code == 201
    for user in (personas.investigator, personas.curator, personas.reviewers[0]):
        assert api(user).post("/api/v1/reports/", report(listed), format="json").status_code == 403


def test_who_sees_which_report(personas, api, partner, listed):
    other_org = OrganisationFactory(name="Other Networks", country="NO", kind=Organisation.Kind.PARTNER)
    other = UserFactory(username="other-partner", organisation=other_org, roles=[Role.PARTNER])
    feed_grant(actor=personas.admin, organisation=other_org, feed_name="standard")
    shared = partner.post("/api/v1/reports/", report(listed, share_with_submitter=True), format="json").json()
    private = partner.post("/api/v1/reports/", report(listed, kind="false_positive"), format="json").json()
    theirs = api(other).post("/api/v1/reports/", report(listed, reference="THEIRS"), format="json").json()

    def seen(user) -> set[str]:
        return {r["id"] for r in api(user).get("/api/v1/reports/").json()["results"]}

    assert seen(personas.partner) == {shared["id"], private["id"]}
    assert seen(other) == {theirs["id"]}
    assert seen(personas.curator) == {shared["id"], private["id"], theirs["id"]}
    assert seen(personas.investigator) == seen(personas.colleague) == {shared["id"]}  # the submitting organisation
    assert api(other).get(f"/api/v1/reports/{shared['id']}/").status_code == 404
    assert api(personas.investigator).get(f"/api/v1/reports/{private['id']}/").status_code == 404
    assert api(personas.reviewers[0]).get("/api/v1/reports/").status_code == 403


def test_a_shared_match_report_tells_the_submitting_organisation(personas, partner, listed):
    partner.post("/api/v1/reports/", report(listed, kind="false_positive", share_with_submitter=True), format="json")
    partner.post("/api/v1/reports/", report(listed), format="json")
    assert not Notice.objects.filter(message__contains="reported a match").exists()
    partner.post("/api/v1/reports/", report(listed, share_with_submitter=True), format="json")
    told = set(Notice.objects.filter(message__contains="reported a match").values_list("user__username", flat=True))
    assert told == {"investigator", "colleague"}
    assert not Notice.objects.filter(message__contains=personas.partner.organisation.name).exists()


def test_reports_and_download_logs_past_retention_are_purged(personas, partner, listed, settings):
    settings.BASELINE_REPORT_RETENTION_DAYS, settings.BASELINE_DOWNLOAD_LOG_RETENTION_DAYS = 30, 60
    kept = partner.post("/api/v1/reports/", report(listed), format="json").json()
    old = partner.post("/api/v1/reports/", report(listed), format="json").json()
    Report.objects.filter(pk=old["id"]).update(created_at=timezone.now() - timedelta(days=31))
    partner.get("/api/v1/releases/1/manifest/")
    Download.objects.update(created_at=timezone.now() - timedelta(days=61))
    assert tasks.retention_purge() == {"curation.report": 1, "curation.download": 1}
    assert [str(pk) for pk in Report.objects.values_list("pk", flat=True)] == [kept["id"]]
    assert not Download.objects.exists()
    assert AuditEntry.objects.filter(action__in=("report.purge", "download_log.purge")).count() == 2
    assert tasks.retention_purge() == {"curation.report": 0, "curation.download": 0}


def test_the_item_page_shows_shared_match_reports_to_the_submitting_organisation(personas, partner, listed, client):
    partner.post("/api/v1/reports/", report(listed, share_with_submitter=True, details="seen on a forum"),
                 format="json")
    partner.post("/api/v1/reports/", report(listed, kind="false_positive", details="a cat"), format="json")
    client.force_login(personas.colleague)
    page = client.get(f"/submissions/{listed.pk}/").content.decode()
    assert 'id="reports"' in page and "seen on a forum" in page and personas.partner.organisation.name in page
    assert "a cat" not in page
    client.force_login(personas.curator)
    page = client.get(f"/submissions/{listed.pk}/").content.decode()
    assert "seen on a forum" in page and "a cat" in page


def test_a_curator_dismisses_a_false_positive_with_a_reason_the_partner_sees(personas, api, partner, listed):
    false = partner.post("/api/v1/reports/", report(listed, kind="false_positive", reference="FP-1"),
                         format="json").json()
    match = partner.post("/api/v1/reports/", report(listed), format="json").json()
    curator = api(personas.curator)
    assert curator.post(f"/api/v1/reports/{false['id']}/dismiss/", {"reason": ""}, format="json").status_code == 400
    assert api(personas.partner).post(f"/api/v1/reports/{false['id']}/dismiss/", {"reason": "x"},
                                      format="json").status_code == 403
    done = curator.post(f"/api/v1/reports/{false['id']}/dismiss/", {"reason": "The same picture, checked."},
                        format="json")
    assert done.status_code == 200 and done.json()["status"] == "dismissed"
    again = curator.post(f"/api/v1/reports/{false['id']}/dismiss/", {"reason": "twice"}, format="json")
    assert again.status_code == 409
    assert curator.post(f"/api/v1/reports/{match['id']}/dismiss/", {"reason": "x"}, format="json").status_code == 409
    seen = partner.get(f"/api/v1/reports/{false['id']}/").json()
    assert (seen["status"], seen["decision_reason"]) == ("dismissed", "The same picture, checked.")
    assert AuditEntry.objects.get(action="report.dismiss").details == {"reason": "The same picture, checked."}
    assert Notice.objects.get(user=personas.partner).message.endswith("was dismissed: The same picture, checked.")


def test_the_reports_page_shows_each_side_its_reports(personas, partner, listed, client):
    partner.post("/api/v1/reports/", report(listed, reference="SHARED-1", share_with_submitter=True), format="json")
    false = partner.post("/api/v1/reports/", report(listed, kind="false_positive", reference="FP-2"),
                         format="json").json()
    client.force_login(personas.partner)
    page = client.get("/reports/").content.decode()
    assert "SHARED-1" in page and "FP-2" in page and "Dismiss" not in page
    client.force_login(personas.investigator)
    page = client.get("/reports/").content.decode()
    assert "SHARED-1" in page and "FP-2" not in page
    client.force_login(personas.curator)
    page = client.get("/reports/").content.decode()
    assert "FP-2" in page and "Dismiss" in page
    response = client.post(f"/reports/{false['id']}/dismiss/", {"reason": "Checked: it is the listed picture."})
    assert response.status_code == 302
    assert Report.objects.get(pk=false["id"]).status == "dismissed"
    assert "Checked: it is the listed picture." in client.get("/reports/").content.decode()
    client.force_login(personas.reviewers[0])
    assert client.get("/reports/").status_code == 403
