"""The investigator's day on the Submit page, in Chromium (issue 12 item 1): a refused form below
the fold, hashing a file without losing what was typed, a duplicate, a pasted `sha256sum` line and
a withdrawal that asks first. Screens of the investigator's main pages at 1280 and 390 px."""

from __future__ import annotations

import hashlib
import re

from playwright.sync_api import Page, expect

from curation.models import Submission
from tests.curation.helpers import TESTDATA, approved_item, fake, make_item
from tests.e2e.conftest import (
    assert_controls_labelled,
    confirm_next,
    journey,
    open_nav,
    screens,
    start_the_day,
)

SAMPLE = TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg"  # a bridge photograph (ThreatExchange test data)
NOTE = "Seen in case 7; the original file.\nSecond line of the note."


def signature_input(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)} \("))


def below_the_fold(locator) -> bool:
    """The element starts below the first screen of the page (wherever the page is scrolled now)."""
    return locator.evaluate("el => el.getBoundingClientRect().top + window.scrollY > window.innerHeight")


def summary(page: Page):
    return page.locator("[data-error-summary]")


def expect_typed_fields_kept(page: Page, reference: str) -> None:
    expect(page.get_by_label("External reference")).to_have_value(reference)
    expect(page.get_by_label(re.compile(r"^Note for reviewers"))).to_have_value(NOTE)
    expect(page.get_by_label(re.compile(r"^Reason for submitting again"))).to_have_value("Found again in case 8.")


@journey
def test_an_investigator_submits_fixes_hashes_meets_a_duplicate_pastes_and_withdraws(people, live_server, personas):
    colleagues = make_item(personas.colleague, algorithms=("md5", "sha256"), external_reference="ICSE-COLLEAGUE-1")
    approved_item(personas, algorithms=("sha1",), external_reference="ICSE-APPROVED-1")  # a notice, a decided item
    page = start_the_day(people, live_server, personas.investigator, "investigator")

    # A refused form: the error is below the fold; the summary at the top is in view and focused.
    open_nav(page, "Submit")
    expect(page.get_by_role("heading", name="Submit an item")).to_be_visible()
    assert_controls_labelled(page)
    screens(page, "investigator", "submit")
    page.get_by_label("External reference").fill("ICSE-INV-0001")
    page.get_by_label(re.compile(r"^Note for reviewers")).fill(NOTE)
    page.get_by_label(re.compile(r"^Reason for submitting again")).fill("Found again in case 8.")
    photodna = signature_input(page, "PhotoDNA")
    assert below_the_fold(photodna), "the PhotoDNA input should start below the first screen"
    photodna.fill("not base64 at all")
    page.get_by_role("button", name="Submit for review").click()

    expect(summary(page)).to_be_focused()
    expect(summary(page)).to_be_in_viewport()
    expect(summary(page).get_by_role("heading")).to_have_text("There is a problem")
    expect(page.get_by_role("alert")).to_contain_text("photodna: expected 192 characters")
    expect_typed_fields_kept(page, "ICSE-INV-0001")
    expect(photodna).to_have_value("not base64 at all")
    expect(page.locator("#id_sig_photodna-error")).to_contain_text("photodna: expected 192 characters")
    expect(photodna).not_to_be_in_viewport()
    screens(page, "investigator", "submit-errors")
    summary(page).get_by_role("link", name=re.compile("photodna: expected")).click()
    expect(photodna).to_be_in_viewport()

    # Hashing a file keeps everything typed; the computed signatures fill their inputs.
    photodna.fill("")
    page.get_by_label(re.compile(r"^Image or video")).set_input_files(SAMPLE)
    page.get_by_role("button", name="Compute signatures").click()
    expect(page.get_by_role("status").filter(has_text="Signatures computed")).to_be_visible()
    expect_typed_fields_kept(page, "ICSE-INV-0001")
    expect(signature_input(page, "SHA-256")).to_have_value(hashlib.sha256(SAMPLE.read_bytes()).hexdigest())
    expect(summary(page)).to_have_count(0)

    # Enter in a text field submits the item (the form's default button), it does not hash again.
    page.get_by_label("External reference").press("Enter")
    expect(page).to_have_url(re.compile(r"/submissions/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("status")).to_contain_text("Submitted.")
    hashed = Submission.objects.get(external_reference="ICSE-INV-0001")
    assert hashed.note.replace("\r\n", "\n") == NOTE and hashed.signatures.count() == 4  # browsers send CRLF

    # A duplicate, pasted as sha256sum prints it: the clash names the signature and links the item.
    sha256 = colleagues.signatures.get(algorithm="sha256").value
    open_nav(page, "Submit")
    page.get_by_label("External reference").fill("ICSE-INV-0002")
    page.get_by_label(re.compile(r"^Note for reviewers")).fill(NOTE)
    signature_input(page, "SHA-256").fill(f"{sha256}  evidence photo.jpg")
    page.get_by_role("button", name="Submit for review").click()
    expect(summary(page)).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text(
        f"The SHA-256 signature {sha256} is already in a pending item: it is waiting for review. "
        "Nothing was submitted.")
    expect(page.get_by_label("External reference")).to_have_value("ICSE-INV-0002")
    expect(page.get_by_label(re.compile(r"^Note for reviewers"))).to_have_value(NOTE)
    page.get_by_role("link", name=re.compile(r"^Open the existing item")).click()
    expect(page).to_have_url(re.compile(rf"/submissions/{colleagues.pk}/$"))
    expect(page.get_by_text("ICSE-COLLEAGUE-1")).to_be_visible()
    assert Submission.objects.filter(external_reference="ICSE-INV-0002").count() == 0

    # A new sha256sum line (binary marker) is taken without its file name.
    fresh = fake("sha256")
    open_nav(page, "Submit")
    page.get_by_label("External reference").fill("ICSE-INV-0003")
    signature_input(page, "SHA-256").fill(f"{fresh} *IMG_0042.JPG")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted.")
    expect(page.get_by_role("table").get_by_role("row").filter(has_text="SHA-256")).to_contain_text(fresh)
    expect(page.get_by_text("IMG_0042")).to_have_count(0)
    screens(page, "investigator", "submission-detail")

    # Withdrawing asks first: Cancel changes nothing, OK withdraws.
    item = Submission.objects.get(external_reference="ICSE-INV-0003")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/withdraw/" in request.url else None)
    withdraw = page.get_by_role("button", name="Withdraw this item")
    asked = confirm_next(page, "Withdraw this item?", accept=False)
    withdraw.click()
    assert asked and "Withdraw this item?" in asked[0]
    page.reload()  # what the server holds now
    expect(page.locator(".status")).to_have_text("pending")
    assert sent == [], sent
    item.refresh_from_db()
    assert item.status == Submission.Status.PENDING
    asked = confirm_next(page, "Withdraw this item?")
    withdraw.click()
    expect(page.get_by_role("status")).to_contain_text("The item was withdrawn.")
    expect(page.locator(".status")).to_have_text("withdrawn")
    assert asked and len(sent) == 1
    item.refresh_from_db()
    assert item.status == Submission.Status.WITHDRAWN

    open_nav(page, "Submissions")
    expect(page.get_by_role("row").filter(has_text="ICSE-INV-0003")).to_contain_text("withdrawn")
    screens(page, "investigator", "submissions")
    open_nav(page, "Notices")
    expect(page.get_by_role("heading", name="Notices")).to_be_visible()
    screens(page, "investigator", "notices")
