"""Reports in the browser (issue 17): a partner's shared match report reaches the submitting
agency's investigator on the Reports page and the item page; a curator sees a false positive on
the Activity and Reports pages and dismisses it with a reason the partner then reads."""

from __future__ import annotations

from playwright.sync_api import expect

from core.actors import SYSTEM
from curation.releases.services import feed_grant
from curation.reports.services import ReportInput, reports_create
from tests.curation.helpers import approved_item, publish
from tests.e2e.conftest import assert_controls_labelled, journey, open_nav, screens, start_the_day


@journey
def test_reports_flow_back_to_the_agency_and_a_curator_dismisses_a_false_positive(people, live_server, personas):
    item = approved_item(personas)
    publish(personas.curator)
    feed_grant(actor=SYSTEM, organisation=personas.partner.organisation, feed_name="standard")
    reports_create(actor=personas.partner, rows=[  # as `baseline report` files them
        ReportInput(item_id=str(item.pk), kind="match", reference="NET-CASE-1", details="found on a file host",
                    share_with_submitter=True),
        ReportInput(item_id=str(item.pk), kind="false_positive", reference="NET-CASE-2", details="a holiday picture")])

    page = start_the_day(people, live_server, personas.investigator, "investigator")
    open_nav(page, "Reports")
    table = page.locator("#reports")
    expect(table).to_contain_text("NET-CASE-1")
    expect(table).to_contain_text(personas.partner.organisation.name)
    expect(table).not_to_contain_text("NET-CASE-2")  # not shared, and a false positive
    page.goto(f"{live_server.url}/submissions/{item.pk}/")
    expect(page.locator("#reports")).to_contain_text("found on a file host")
    screens(page, "investigator", "item-reports")

    page = start_the_day(people, live_server, personas.curator, "curator")
    open_nav(page, "Reports")
    page.get_by_role("link", name="Activity per item").click()
    expect(page.locator("#activity")).to_contain_text(str(item.pk)[:8])
    open_nav(page, "Reports")
    assert_controls_labelled(page)
    row = page.locator("#reports tr", has_text="NET-CASE-2")
    row.get_by_label("Reason").fill("The listed picture itself: checked against the case file.")
    row.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("dismissed; the partner sees your reason")).to_be_visible()
    screens(page, "curator", "reports")

    page = start_the_day(people, live_server, personas.partner, "partner")
    open_nav(page, "Reports")
    expect(page.locator("#reports tr", has_text="NET-CASE-2")).to_contain_text(
        "Dismissed: “The listed picture itself: checked against the case file.”")
