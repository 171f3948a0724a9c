"""The main journeys through the pages, in a real browser, as the people who use Baseline.

Each journey sets up what came before it through the services (tests/curation/helpers.py) and
then does its own part in the browser, asserting what the person sees.
"""

from __future__ import annotations

import hashlib
import json
import re

from playwright.sync_api import expect

from accounts.models import Organisation, Role
from core.actors import SYSTEM
from curation.models import Release, Submission
from tests.curation.helpers import TESTDATA, approved_item, make_item, publish
from tests.e2e.conftest import (
    assert_controls_labelled,
    authenticator,
    confirm_next,
    journey,
    open_nav,
    screens,
    sign_in,
)
from tests.factories import OrganisationFactory, UserFactory

SAMPLE = TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg"  # a bridge photograph (ThreatExchange test data)
SAMPLE_PDQ = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"  # testdata/pdq/expected.csv


@journey
def test_an_investigator_hashes_a_file_and_submits_it(people, live_server, personas):
    page = people("investigator")
    sign_in(page, live_server, personas.investigator)  # no authenticator yet: enrols on the way

    open_nav(page, "Submit")
    expect(page.get_by_role("heading", name="Submit an item")).to_be_visible()
    assert_controls_labelled(page)
    page.get_by_label(re.compile(r"^Image or video")).set_input_files(SAMPLE)
    page.get_by_role("button", name="Compute signatures").click()

    expect(page.get_by_role("status").filter(has_text="Signatures computed")).to_be_visible()
    assert_controls_labelled(page)
    data = SAMPLE.read_bytes()
    expected = {
        "MD5": hashlib.md5(data).hexdigest(),  # noqa: S324 - the list's signature, not security
        "SHA-1": hashlib.sha1(data).hexdigest(),  # noqa: S324
        "SHA-256": hashlib.sha256(data).hexdigest(),
        "PDQ": SAMPLE_PDQ,
    }
    for label, value in expected.items():
        expect(page.get_by_label(re.compile(rf"^{label} \("))).to_have_value(value)
    expect(page.get_by_label(re.compile(r"^PDQ quality"))).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_label("Media type")).to_have_value("image")

    page.get_by_label("External reference").fill("ICSE-E2E-0001")
    page.get_by_role("button", name="Submit for review").click()

    expect(page).to_have_url(re.compile(r"/submissions/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("status")).to_contain_text("Submitted. The item now waits for three independent reviews.")
    expect(page.locator(".status")).to_have_text("pending")
    signatures = page.get_by_role("table")
    for label, value in expected.items():
        expect(signatures.get_by_role("row").filter(has_text=label).first).to_contain_text(value)
    expect(page.get_by_text("ICSE-E2E-0001")).to_be_visible()
    assert_controls_labelled(page)


@journey
def test_three_reviewers_from_three_organisations_approve_an_item(people, live_server, personas):
    item = make_item(personas.investigator, algorithms=("md5", "sha256"), external_reference="ICSE-E2E-0002")
    reviewers = personas.reviewers[:3]
    assert len({r.organisation_id for r in reviewers}) == 3
    for user in (*reviewers, personas.investigator):
        authenticator(user)

    for number, reviewer in enumerate(reviewers):
        page = people(reviewer.username)
        sign_in(page, live_server, reviewer)
        open_nav(page, "Review queue")
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        row = page.get_by_role("row").filter(has_text="ICSE-E2E-0002")
        expect(row).to_contain_text("Northshire Police")
        row.get_by_role("link", name="Review").click()

        expect(page.get_by_role("heading", name=re.compile(r"^Review image item"))).to_be_visible()
        expect(page.locator("#external-reference")).to_have_text("ICSE-E2E-0002")
        assert_controls_labelled(page)
        groups = page.locator("#review-form").get_by_role("group")
        count = groups.count()
        assert count == 3, f"expected the three criteria of version 1, saw {count}"
        if number == 0:
            answer_yes_with_the_keyboard(page, groups)
        else:
            for i in range(count):
                groups.nth(i).get_by_role("radio", name="Yes").check()
        for i in range(count):
            expect(groups.nth(i).get_by_role("radio", name="Yes")).to_be_checked()
        if number == 0:
            page.keyboard.press("Tab")  # to the comment
            expect(page.get_by_label(re.compile(r"^Comment"))).to_be_focused()
            page.keyboard.type("Seen in the case database.")
            page.keyboard.press("Tab")
            expect(page.get_by_role("button", name="Record my review")).to_be_focused()
            page.keyboard.press("Enter")
        else:
            page.get_by_role("button", name="Record my review").click()

        expect(page.get_by_role("status")).to_contain_text("Review recorded: meets the criteria.")
        expect(page.get_by_role("heading", name=re.compile("^You reviewed item"))).to_be_visible()
        expect(page.get_by_text("Your queue is empty.").first).to_be_visible()
        item.refresh_from_db()
        assert item.status == (Submission.Status.APPROVED if number == 2 else Submission.Status.PENDING)

    page = people("investigator")
    sign_in(page, live_server, personas.investigator)
    open_nav(page, "Notices")
    expect(page.get_by_role("heading", name="Notices")).to_be_visible()
    assert_controls_labelled(page)
    notice = page.get_by_role("link", name=f"Item {str(item.pk)[:8]} was approved.")
    expect(notice).to_be_visible()
    notice.click()
    expect(page).to_have_url(re.compile(rf"/submissions/{item.pk}/$"))
    expect(page.locator(".status")).to_have_text("approved")
    expect(page.get_by_text("ICSE-E2E-0002")).to_be_visible()


def answer_yes_with_the_keyboard(page, groups) -> None:
    """The first Yes has focus when the page opens; Space chooses it, Tab goes to the next
    question, and the arrow keys move within a question's radio group."""
    first_yes = groups.nth(0).get_by_role("radio", name="Yes")
    expect(first_yes, "the first answer should have focus when the review page opens").to_be_focused()
    page.keyboard.press("Space")
    for i in range(1, groups.count()):
        page.keyboard.press("Tab")
        yes, no = (groups.nth(i).get_by_role("radio", name=name) for name in ("Yes", "No"))
        expect(yes).to_be_focused()
        if i == 1:  # arrows: down selects No, up comes back to Yes
            page.keyboard.press("ArrowDown")
            expect(no).to_be_checked()
            page.keyboard.press("ArrowUp")
        else:
            page.keyboard.press("Space")
        expect(yes).to_be_checked()


@journey
def test_a_curator_publishes_a_release(people, live_server, personas):
    approved_item(personas)
    authenticator(personas.curator)
    page = people("curator")
    sign_in(page, live_server, personas.curator)

    open_nav(page, "Releases")
    expect(page.get_by_role("heading", name="Baseline releases")).to_be_visible()
    expect(page.get_by_text("No release has been published yet.")).to_be_visible()
    expect(page.locator("#pending-changes")).to_have_text(re.compile(r"adds 1 item \(approved.*removes 0 items"))
    assert_controls_labelled(page)
    page.get_by_label("Note (optional)").fill("First release from the browser")
    page.get_by_role("button", name="Publish the next release").click()

    expect(page.get_by_role("status").filter(has_text="Release 1 requested")).to_be_visible()
    expect(page.get_by_role("heading", name="Building release 1…")).to_be_visible()
    expect(page.locator("#build-progress")).to_have_text("queued (attempt 0)")
    screens(page, "curator", "release-building")
    page.evaluate("window.sameDocument = true")
    from curation import tasks  # the broker has no worker in tests: the queued build is run here
    from curation.releases.build import attempt_start

    building = Release.objects.get(status=Release.Status.BUILDING)
    attempt_start(building.pk)  # a worker takes the build: the page shows its step in place
    expect(page.locator("#build-progress")).to_have_text("starting (attempt 1)")
    assert page.evaluate("window.sameDocument === true"), "the page reloaded to show the build's step"
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    tasks.release_build(building.pk)  # that worker died; the broker's redelivery builds and publishes
    # The page follows on its own (the test never reloads it) and says how the build ended.
    outcome = page.locator("#build-outcome")
    expect(outcome.get_by_role("heading", name="Release 1 is published")).to_be_visible()
    expect(outcome).to_contain_text("1 item (+1 / −0)")
    assert page.evaluate("window.sameDocument === undefined")

    expect(page.get_by_role("heading", name="Publish", exact=True)).to_be_visible()
    expect(page.locator("#pending-changes")).to_have_text(re.compile(r"adds 0 items .*removes 0 items"))
    screens(page, "curator", "releases")
    # Nothing changed: publishing asks first; cancelled, nothing is requested.
    asked = confirm_next(page, "Nothing has changed since the last release", accept=False)
    page.get_by_role("button", name="Publish the next release").click()
    expect(page.get_by_role("heading", name="Publish", exact=True)).to_be_visible()
    assert asked, "publishing with no change asked nothing"
    assert Release.objects.count() == 1
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="v1"))
    cells = row.get_by_role("cell")
    expect(cells.nth(1)).to_have_text("published")
    expect(cells.nth(2)).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    expect(cells.nth(3)).to_have_text("1")  # items
    expect(cells.nth(4)).to_have_text("+1")  # added
    expect(cells.nth(5)).to_have_text("−0")  # removed

    row.get_by_role("link", name="v1").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Baseline release v1\b"))).to_contain_text("published")
    expect(page.get_by_text(re.compile(r"\+1 / −0 since the start"))).to_be_visible()
    expect(page.get_by_text("First release from the browser")).to_be_visible()
    assert_controls_labelled(page)
    screens(page, "curator", "release-detail")
    open_nav(page, "Home")
    screens(page, "curator", "home")
    open_nav(page, "Submissions")
    screens(page, "curator", "submissions")
    open_nav(page, "Held")
    screens(page, "curator", "held")


@journey
def test_a_partner_downloads_the_list_and_checks_it_against_the_manifest(people, live_server, personas, tmp_path):
    from curation.releases.services import feed_grant

    approved_item(personas)
    publish(personas.curator)
    feed_grant(actor=SYSTEM, organisation=personas.partner.organisation, feed_name="standard")
    authenticator(personas.partner)
    page = people("partner")
    sign_in(page, live_server, personas.partner)

    open_nav(page, "Releases")
    assert_controls_labelled(page)
    page.get_by_role("link", name="v1").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Baseline release v1\b"))).to_be_visible()
    assert_controls_labelled(page)

    csv_row = page.get_by_role("row").filter(has=page.locator("code", has_text=re.compile(r"^baseline-v1\.csv$")))
    shown_csv_sha256 = csv_row.locator("code.hash").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", shown_csv_sha256), shown_csv_sha256
    with page.expect_download() as info:
        csv_row.get_by_role("link", name="Download").click()
    download = info.value
    assert download.suggested_filename == "baseline-v1.csv"
    csv_path = tmp_path / download.suggested_filename
    download.save_as(csv_path)
    csv_bytes = csv_path.read_bytes()
    assert hashlib.sha256(csv_bytes).hexdigest() == shown_csv_sha256
    assert csv_bytes.count(b"\n") >= 2, "a header and at least the one approved item"

    manifest_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Manifest"))
    shown_manifest_sha256 = manifest_row.locator("code.hash").inner_text().strip()
    with page.expect_download() as info:
        manifest_row.get_by_role("link", name="Manifest").click()
    manifest_path = tmp_path / info.value.suggested_filename
    info.value.save_as(manifest_path)
    manifest_bytes = manifest_path.read_bytes()
    assert hashlib.sha256(manifest_bytes).hexdigest() == shown_manifest_sha256
    listed = {f["name"]: f for f in json.loads(manifest_bytes)["files"]}
    assert listed["baseline-v1.csv"]["sha256"] == shown_csv_sha256
    assert listed["baseline-v1.csv"]["size"] == len(csv_bytes)


@journey
def test_two_administrators_grant_the_reviewer_role(people, live_server, personas):
    """The two-person rule: administrator A asks, administrator B of another organisation (who holds
    the role from the operator) approves; only then does the newcomer review."""
    newcomer = personas.outsider  # signed in, no role yet
    board = OrganisationFactory(name="Oversight Board", country="BE", kind=Organisation.Kind.SECRETARIAT)
    second = UserFactory(username="admin2", organisation=board, roles=[Role.ADMINISTRATOR])
    for user in (personas.admin, newcomer, second):
        authenticator(user)
    make_item(personas.investigator, external_reference="ICSE-E2E-NEW-REVIEWER")  # waiting for reviewers

    their_page = people(newcomer.username)
    sign_in(their_page, live_server, newcomer)
    expect(their_page.get_by_text("You hold no role yet.")).to_be_visible()
    expect(their_page.get_by_role("link", name=re.compile(r"^Review queue"))).to_have_count(0)

    page = people("admin")
    sign_in(page, live_server, personas.admin)
    open_nav(page, "Users")
    assert_controls_labelled(page)
    page.get_by_role("link", name=f"Manage {newcomer.username}").click()
    expect(page.get_by_role("heading", name=newcomer.username)).to_be_visible()
    page.get_by_label("Role to grant").select_option(Role.REVIEWER.value)
    page.get_by_label("Reason", exact=True).fill("Joins the review panel")
    page.get_by_role("button", name="Grant role").click()
    expect(page.get_by_role("status")).to_contain_text("Request sent; another administrator must approve it.")
    their_page.reload()
    expect(their_page.get_by_text("You hold no role yet.")).to_be_visible()  # nothing yet
    open_nav(page, "Requests")
    mine = page.locator("#mine").get_by_role("row").filter(has_text=newcomer.username)
    expect(mine).to_contain_text("pending")
    expect(page.get_by_role("button", name=re.compile(r"^Approve request"))).to_have_count(0)  # not one's own

    approver = people("admin2")
    sign_in(approver, live_server, second)
    open_nav(approver, "Requests")
    assert_controls_labelled(approver)
    waiting_request = approver.locator("#to-decide").get_by_role("row").filter(has_text=newcomer.username)
    expect(waiting_request).to_contain_text("Joins the review panel")
    waiting_request.get_by_role("button", name=re.compile(r"^Approve request")).click()
    expect(approver.get_by_role("status")).to_contain_text("Approved: grant a role.")
    page.reload()
    expect(page.locator("#mine").get_by_role("row").filter(has_text=newcomer.username)).to_contain_text("approved")

    their_page.reload()
    expect(their_page.get_by_role("heading", name="Reviewer", exact=True)).to_be_visible()
    open_nav(their_page, "Review queue")
    expect(their_page.get_by_role("heading", name="Review queue")).to_be_visible()
    waiting = their_page.get_by_role("row").filter(has_text="ICSE-E2E-NEW-REVIEWER")
    expect(waiting).to_have_count(1)
    waiting.get_by_role("link", name="Review").click()
    expect(their_page.get_by_text("ICSE-E2E-NEW-REVIEWER").first).to_be_visible()

    # The administrator's main pages at 1280 and 390 px (issue 12 "done when").
    for name in ("Home", "Users", "Organisations", "Requests", "Reviewers", "Audit log"):
        open_nav(page, name)
        screens(page, "administrator", name.lower().replace(" ", "-"))
