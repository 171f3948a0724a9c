"""A video from the Submit page to a reviewer, in Chromium: the investigator hashes an HD clip in
memory (every frame, then one frame a second), reads the video summary, submits it and finds the vPDQ
summarised on the item page with its frames folded away; a reviewer of another organisation sees the
same summary (never the video), and an every-frame item says so with its rate; a truncated clip is
refused next to the file input, nothing submitted."""

from __future__ import annotations

import hashlib
import json
import re

from playwright.sync_api import Page, expect

from curation.models import Submission
from tests.curation.helpers import TESTDATA, fake, make_item
from tests.e2e.conftest import assert_controls_labelled, journey, open_nav, start_the_day

CLIP = TESTDATA / "vpdq" / "pattern-hd-no-bar.mp4"  # 6.867 s of 720x1280 at 30 a second (ThreatExchange test data)
FRAME = re.compile(r"[0-9a-f]{64},\d{1,3},\d+\.\d{3}")  # "pdq_hex,quality,timestamp"
HASHING_MS = 60_000  # every frame of the HD clip is decoded and hashed on the server
REFERENCE = TESTDATA / "vpdq" / "pattern-hd-no-bar.txt"  # the clip's published vPDQ: "index,quality,hex,timestamp"


def signature_input(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)} \("))


def compute(page: Page, frames: str) -> int:
    """Choose the frames to hash and click Compute signatures; returns the response's status."""
    page.get_by_label("Video frames to hash").select_option(frames)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/submit/"),
                              timeout=HASHING_MS) as posted:
        page.get_by_role("button", name="Compute signatures").click()
    page.wait_for_load_state()
    return posted.value.status


def reference_frames() -> list[str]:
    """The published every-frame vPDQ of the clip, as "pdq_hex,quality,timestamp" strings."""
    rows = [line.split(",") for line in REFERENCE.read_text().splitlines() if line.strip()]
    return [f"{hex_},{quality},{timestamp}" for _, quality, hex_, timestamp in rows]


def vpdq_frames(page: Page) -> list[str]:
    frames = json.loads(signature_input(page, "vPDQ").input_value())
    assert isinstance(frames, list) and all(isinstance(f, str) and FRAME.fullmatch(f) for f in frames), frames[:3]
    return frames


@journey
def test_an_investigator_submits_a_video_hashed_in_memory_and_a_reviewer_sees_its_summary(
        people, live_server, personas):
    data = CLIP.read_bytes()
    published = reference_frames()  # a colleague's item of the same clip, every frame (published hashes)
    make_item(personas.colleague, media_type="video", external_reference="ICSE-VIDEO-REF",
              signatures=[{"algorithm": "md5", "value": fake("md5")},
                          {"algorithm": "vpdq", "value": json.dumps(published)}])
    page = start_the_day(people, live_server, personas.investigator, "investigator")
    open_nav(page, "Submit")
    expect(page.get_by_role("heading", name="Submit an item")).to_be_visible()
    assert_controls_labelled(page)
    expect(page.get_by_label("Video frames to hash")).to_have_value("every")  # the default
    page.get_by_label("External reference").fill("ICSE-VIDEO-0001")

    # Every frame: the summary gives the duration, the frames decoded and their size, the frames hashed.
    page.get_by_label(re.compile(r"^Image or video")).set_input_files(CLIP)
    assert compute(page, "every") == 200
    expect(page.get_by_role("status").filter(has_text="Signatures computed")).to_be_visible()
    summary = page.locator("#video-summary")
    expect(summary.locator("dt")).to_have_text(["Duration", "Frames", "vPDQ"])
    expect(summary.locator("dd").nth(0)).to_have_text("0:06 (6.867 s)")
    expect(summary.locator("dd").nth(1)).to_have_text("206 decoded, 720x1280")
    expect(summary.locator("dd").nth(2)).to_have_text(re.compile(
        r"^206 frames hashed \(every frame\), (\d+) of PDQ quality 50 or more$"))
    usable = int(re.search(r"(\d+) of PDQ", summary.locator("dd").nth(2).inner_text()).group(1))
    assert 0 < usable <= 206
    frames = vpdq_frames(page)
    assert len(frames) == 206
    assert frames[0].endswith(",0.000") and frames[-1].endswith(",6.833"), (frames[0], frames[-1])
    assert sum(int(f.split(",")[1]) >= 50 for f in frames) == usable
    expect(page.get_by_label("Media type")).to_have_value("video")
    expect(signature_input(page, "MD5")).to_have_value(hashlib.md5(data, usedforsecurity=False).hexdigest())
    expect(signature_input(page, "SHA-1")).to_have_value(hashlib.sha1(data, usedforsecurity=False).hexdigest())
    expect(signature_input(page, "SHA-256")).to_have_value(hashlib.sha256(data).hexdigest())
    expect(page.get_by_label("External reference")).to_have_value("ICSE-VIDEO-0001")  # kept
    expect(page.get_by_label("Video frames to hash")).to_have_value("every")

    # One frame a second: seven frames, one at each whole second.
    page.get_by_label(re.compile(r"^Image or video")).set_input_files(CLIP)  # a page shown again has no file
    assert compute(page, "second") == 200
    expect(page.get_by_label("Video frames to hash")).to_have_value("second")
    expect(summary.locator("dd").nth(0)).to_have_text("0:06 (6.867 s)")
    expect(summary.locator("dd").nth(1)).to_have_text("206 decoded, 720x1280")
    expect(summary.locator("dd").nth(2)).to_have_text(re.compile(r"^7 frames hashed \(one every 1(\.0)? s\), \d+ of"))
    frames = vpdq_frames(page)
    assert [f.split(",")[2] for f in frames] == [f"{s}.000" for s in range(7)], frames
    usable = sum(int(f.split(",")[1]) >= 50 for f in frames)
    expect(page.get_by_label("Media type")).to_have_value("video")

    # Submitted: the item page summarises the vPDQ value and folds its frames away.
    page.get_by_label("External reference").fill("ICSE-VIDEO-0002")
    page.get_by_role("button", name="Submit for review").click()
    expect(page).to_have_url(re.compile(r"/submissions/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("status")).to_contain_text("Submitted.")
    item = Submission.objects.get(external_reference="ICSE-VIDEO-0002")
    assert item.media_type == "video"
    assert json.loads(item.signatures.get(algorithm="vpdq").value) == frames
    assert set(item.signatures.values_list("algorithm", flat=True)) == {"md5", "sha1", "sha256", "vpdq"}
    # The frames tell when the last was taken (6.000 s), not how long the clip runs after it (6.867 s).
    expected = f"7 frames hashed ({usable} usable), one every 1 s, the last at 0:06"
    vpdq_row = page.get_by_role("row").filter(has_text="vPDQ")
    expect(vpdq_row.locator(".vpdq-summary")).to_have_text(expected)
    expect(vpdq_row.locator(".vpdq-summary")).to_have_attribute("data-frames", "7")
    folded = vpdq_row.locator("details.vpdq-frames")
    expect(folded).not_to_have_attribute("open", re.compile(".*"))
    expect(folded.locator("code.hash")).to_be_hidden()
    folded.locator("summary").click()  # unfolded on request: the whole value
    expect(folded.locator("code.hash")).to_be_visible()
    expect(folded.locator("code.hash")).to_contain_text(frames[-1])

    # A reviewer of another organisation opens it from the queue: the same summary, never the video.
    reviewer = personas.reviewer
    assert reviewer.organisation_id != personas.investigator.organisation_id
    review = start_the_day(people, live_server, reviewer, "reviewer")
    open_nav(review, "Review queue")
    expect(review.get_by_role("heading", name="Review queue")).to_be_visible()
    review.get_by_role("row", name=re.compile("ICSE-VIDEO-0002")).get_by_role("link", name="Review").click()
    expect(review.locator("#review-ref")).to_contain_text("ICSE-VIDEO-0002")
    expect(review.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Review video item "))
    shown = review.get_by_role("row").filter(has_text="vPDQ")
    expect(shown.locator(".vpdq-summary")).to_have_text(expected)
    expect(shown.locator("details.vpdq-frames")).not_to_have_attribute("open", re.compile(".*"))
    expect(shown.locator("details.vpdq-frames code.hash")).to_be_hidden()
    expect(review.locator("video, audio, source, embed, object, iframe")).to_have_count(0)
    expect(review.locator("a[href$='.mp4'], [src$='.mp4'], a[download]")).to_have_count(0)

    # The every-frame item (the colleague's) says so, with its rate, and spans the clip's 0:06.
    open_nav(review, "Review queue")
    review.get_by_role("row", name=re.compile("ICSE-VIDEO-REF")).get_by_role("link", name="Review").click()
    expect(review.locator("#review-ref")).to_contain_text("ICSE-VIDEO-REF")
    usable = sum(int(f.split(",")[1]) >= 50 for f in published)
    shown = review.get_by_role("row").filter(has_text="vPDQ")
    expect(shown.locator(".vpdq-summary")).to_have_text(
        f"206 frames hashed ({usable} usable), every frame (30 a second), the last at 0:06")
    expect(shown.locator("details.vpdq-frames code.hash")).to_be_hidden()
    expect(review.locator("video, audio, source, embed, object, iframe")).to_have_count(0)


@journey
def test_a_truncated_video_is_refused_next_to_the_file_input_and_nothing_is_submitted(people, live_server, personas):
    page = start_the_day(people, live_server, personas.investigator, "investigator")
    open_nav(page, "Submit")
    page.get_by_label("External reference").fill("ICSE-VIDEO-CORRUPT")
    page.get_by_label(re.compile(r"^Image or video")).set_input_files(
        {"name": "truncated.mp4", "mimeType": "video/mp4", "buffer": CLIP.read_bytes()[:5000]})
    assert compute(page, "every") == 400

    error = page.locator("#hash-section #id_file-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("corrupt or truncated")
    expect(page.get_by_label(re.compile(r"^Image or video"))).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary]").get_by_role("link", name=re.compile("corrupt or truncated"))
           ).to_have_attribute("href", "#id_file")
    expect(page.get_by_role("status").filter(has_text="Signatures computed")).to_have_count(0)
    expect(page.locator("#video-summary")).to_have_count(0)
    expect(signature_input(page, "vPDQ")).to_have_value("")
    expect(signature_input(page, "MD5")).to_have_value("")
    expect(page.get_by_label("External reference")).to_have_value("ICSE-VIDEO-CORRUPT")  # kept
    assert not Submission.objects.exists()
