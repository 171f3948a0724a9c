"""The administrator's day, in Chromium (issue 12 item 6): find a user by search, act on their own
page (a grant, a deactivation that asks first) and come back to the list as it was searched; find
an item's whole history in the audit log by the short id the item pages show, read its details as
fields, follow a user to theirs; a bad filter is explained in words. The top bar of someone holding
every role fits on one line at 1280 px."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.curation.helpers import approved_item, make_item
from tests.e2e.conftest import (
    assert_controls_labelled,
    authenticator,
    confirm_next,
    journey,
    open_nav,
    screens,
    sign_in,
    start_the_day,
)
from tests.factories import UserFactory


def audit_rows(page: Page):
    return page.locator("table.audit tbody tr")


@journey
def test_an_administrator_manages_a_user_and_finds_an_items_history_by_short_id(people, live_server, personas):
    item = approved_item(personas, external_reference="ICSE-ADMIN-HISTORY")
    make_item(personas.colleague, external_reference="ICSE-ADMIN-OTHER")
    short = str(item.pk)[:8]
    page = start_the_day(people, live_server, personas.admin, "administrator")

    # Users: search, open one user's page, grant a role there, come back to the list as searched.
    open_nav(page, "Users")
    page.get_by_label("Search").fill("outs")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Manage outsider").click()
    expect(page.get_by_role("heading", name="outsider")).to_be_visible()
    assert_controls_labelled(page)
    screens(page, "administrator", "user")
    page.get_by_label("Role to grant").select_option(Role.PARTNER.value)
    page.get_by_label("Reason", exact=True).fill("Signed the partner agreement")
    page.get_by_role("button", name="Grant role").click()
    expect(page.get_by_role("status")).to_contain_text("outsider now holds the partner role.")
    # Deactivation asks first; Cancel sends nothing.
    page.get_by_label("Reason for deactivating").fill("Left the company")
    asked = confirm_next(page, "Deactivate outsider?", accept=False)
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("button", name="Deactivate")).to_be_visible()
    assert asked and "signed out everywhere" in asked[0]
    confirm_next(page, "Deactivate outsider?")
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("outsider deactivated.")
    page.get_by_role("link", name="Back to users").click()
    expect(page.get_by_label("Search")).to_have_value("outs")
    row = page.get_by_role("row").filter(has_text="outsider")
    expect(row).to_contain_text("partner")
    expect(row).to_contain_text("deactivated")
    expect(page.get_by_role("row").filter(has_text="investigator")).to_have_count(0)

    # The audit log: an item's history by the short id its pages show.
    open_nav(page, "Audit log")
    assert_controls_labelled(page)
    page.get_by_label("Item or object id").fill(short.upper())
    page.get_by_role("button", name="Filter").click()
    expect(audit_rows(page)).to_have_count(5)  # created, three agreements, approved
    for i in range(5):
        expect(audit_rows(page).nth(i)).to_contain_text(f"Item {short}")
    expect(audit_rows(page).first).to_contain_text("submission.approve")
    created = audit_rows(page).last
    expect(created).to_contain_text("submission.create")
    expect(created.locator("dl.audit-details")).to_contain_text("Media type")
    expect(created.locator("dl.audit-details")).to_contain_text("image")
    screens(page, "administrator", "audit-history")
    # From the list of everything, a user's name leads to that user's history.
    page.get_by_label("Item or object id").fill("")
    page.get_by_role("button", name="Filter").click()
    grant = audit_rows(page).filter(has_text="role.grant").first
    expect(grant).to_contain_text(re.compile(r"Role\s*partner"))
    grant.get_by_role("link", name="outsider").click()
    expect(page).to_have_url(re.compile(r"object_type=accounts\.user"))
    expect(audit_rows(page).filter(has_text="user.deactivate")).to_have_count(1)
    assert not audit_rows(page).filter(has_text="submission.").count()
    # A filter the log cannot use is explained in words, named by its label, and focused.
    page.get_by_label("Item or object id").fill("3f2a")
    page.get_by_label("Actor").fill("nobody")
    page.get_by_role("button", name="Filter").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("“Item or object id” must be a number, or at least the first 8 characters")
    expect(summary).to_contain_text("No user is called “nobody”.")
    summary.get_by_role("link", name=re.compile("No user is called")).click()
    expect(page.get_by_label("Actor")).to_be_focused()


TOP_BAR_ROWS = """() => {
    // One line: the visible links, buttons and menus of the top bar share a vertical band.
    const bar = document.querySelector('header.topbar');
    const centres = Array.from(bar.querySelectorAll('a, button, summary'))
        .filter(el => el.checkVisibility())
        .map(el => { const r = el.getBoundingClientRect(); return (r.top + r.bottom) / 2; });
    return {spread: Math.max(...centres) - Math.min(...centres), count: centres.length,
            height: bar.getBoundingClientRect().height, width: bar.scrollWidth};
}"""


@journey
def test_the_top_bar_of_someone_holding_every_role_fits_1280_px(people, live_server, personas):
    everyone = UserFactory(username="allroles", organisation=personas.admin.organisation, roles=list(Role))
    authenticator(everyone)
    page = people("allroles")
    sign_in(page, live_server, everyone)
    page.set_viewport_size({"width": 1280, "height": 900})
    for name in ("Submit", "Review queue", "Releases", "Notices"):
        expect(page.get_by_role("banner").get_by_role("link", name=re.compile(rf"^{name}\b"))).to_be_visible()
    found = page.evaluate(TOP_BAR_ROWS)
    assert found["spread"] < 12 and found["height"] < 60 and found["width"] <= 1280, found
    screens(page, "all-roles", "home")
    # The administration pages folded into one menu, reached from it; the account menu signs out.
    open_nav(page, "Audit log")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    page.get_by_role("banner").locator("summary", has_text="allroles").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Username")).to_be_visible()
