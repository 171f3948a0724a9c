"""Matching in the browser (issue 15): a partner pastes the PDQ hash of an edited photograph and a
bare MD5 on the Check page and reads the matches with their evidence; an investigator chooses the
clip of a listed video and sees it recognised. No file ever leaves a partner's machine: the page
offers partners no file input."""

from __future__ import annotations

import re

from baseline_client.hashing.media import hash_bytes, pdq_from_image_bytes
from playwright.sync_api import expect

from core.actors import SYSTEM
from curation.releases.services import feed_grant
from tests.curation.helpers import TESTDATA, approved_item, fake, publish
from tests.e2e.conftest import assert_controls_labelled, journey, open_nav, screens, start_the_day

BRIDGE = TESTDATA / "pdq" / "bridge-mods"
VIDEOS = TESTDATA / "vpdq"


@journey
def test_a_partner_and_an_investigator_check_hashes_and_a_file(people, live_server, personas):
    original, _ = pdq_from_image_bytes((BRIDGE / "aaa-orig.jpg").read_bytes())
    md5 = fake("md5")
    photo = approved_item(personas, algorithms=(), signatures=[
        {"algorithm": "pdq", "value": original, "quality": 100}, {"algorithm": "md5", "value": md5}])
    every_frame = {s["algorithm"]: s["value"] for s in
                   hash_bytes((VIDEOS / "pattern-longer-no-bar.mp4").read_bytes(), seconds_per_hash=0).signatures}
    video = approved_item(personas, media_type="video", algorithms=(),
                          signatures=[{"algorithm": "vpdq", "value": every_frame["vpdq"]}])
    publish(personas.curator)
    feed_grant(actor=SYSTEM, organisation=personas.partner.organisation, feed_name="standard")

    page = start_the_day(people, live_server, personas.partner, "partner")
    open_nav(page, "Check")
    expect(page.get_by_role("heading", name="Check hashes against the list")).to_be_visible()
    expect(page.locator("#id_file")).to_have_count(0)  # partners send hashes, never files
    assert_controls_labelled(page)
    edited, _ = pdq_from_image_bytes((BRIDGE / "sharpen-a-lot.jpg").read_bytes())
    page.get_by_label("Hashes").fill(f"pdq {edited}\n{md5}\nsha256 {fake('sha256')}")
    page.get_by_role("button", name="Check").click()
    results = page.locator("#check-results")
    expect(results).to_contain_text("Matched against the baseline list, release 1.")
    expect(results.locator("table.matches")).to_have_count(2)
    expect(results.locator("table.matches").first).to_contain_text(str(photo.pk))
    expect(results.locator("table.matches").first).to_contain_text(re.compile(r"PDQ distance \d+ of 256 bits"))
    expect(results.locator("table.matches").nth(1)).to_contain_text("the same md5 value")
    expect(results.locator(".no-match")).to_have_count(1)
    screens(page, "partner", "check")

    page.get_by_label("Hashes").fill("nonsense")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("alert")).to_contain_text("Line 1: write the algorithm, then the value")

    page = start_the_day(people, live_server, personas.investigator, "investigator")
    open_nav(page, "Check")
    page.get_by_label("Or a file").set_input_files(str(VIDEOS / "pattern-hd-no-bar.mp4"))
    page.get_by_role("button", name="Check").click()
    results = page.locator("#check-results")
    expect(results).to_contain_text(str(video.pk), timeout=60_000)
    expect(results).to_contain_text(re.compile(r"(clip|full): 100\.0% of this video is in the listed one"))
