"""Near-duplicates on submission (DESIGN.md section 4): a submission within PDQ 31 or a vPDQ
`full`/`clip` of a rejected item is held with the submitter's reason, and curators see on an item
every earlier item near it, listed or not, through the API and the item page."""

from __future__ import annotations

import json

import numpy as np
import pytest
from baseline_client.hashing.media import pdq_from_image_bytes

from core.models import AuditEntry
from curation.models import Submission
from curation.reviews.services import review_record
from curation.submissions.imports import submissions_import
from curation.submissions.services import ItemInput, submission_withdraw
from tests.curation.helpers import NO_UNDER_13, TESTDATA, agree, fake, item_payload, make_item, publish
from tests.curation.matching.test_match_api import flip

pytestmark = pytest.mark.django_db
BRIDGE = TESTDATA / "pdq" / "bridge-mods"


def pdq_item(user, pdq: str, **extra):
    return make_item(user, algorithms=(), signatures=[{"algorithm": "pdq", "value": pdq, "quality": 90}], **extra)


def rejected(personas, item):
    review_record(actor=personas.reviewers[0], item=item, answers=dict(NO_UNDER_13))
    item.refresh_from_db()
    assert item.status == Submission.Status.REJECTED
    return item


def walk(seed: int, frames: int) -> list[str]:
    """A video's frame hashes: each a few bits from the one before, as consecutive frames are."""
    rng = np.random.default_rng(seed)
    code, out = rng.integers(0, 2, 256, dtype=np.uint8), []
    for _ in range(frames):
        code = code.copy()
        code[rng.choice(256, 3, replace=False)] ^= 1
        out.append(np.packbits(code).tobytes().hex())
    return out


def video_value(codes: list[str]) -> str:
    return json.dumps([f"{code},90,{second}.000" for second, code in enumerate(codes)])


def video_item(user, codes: list[str], **extra):
    return make_item(user, media_type="video", algorithms=(),
                     signatures=[{"algorithm": "vpdq", "value": video_value(codes)}], **extra)


def submit(client, signatures: list[dict], media_type="image", **extra):
    return client.post("/api/v1/submissions/", {
        "media_type": media_type, "signatures": signatures, "external_reference": "ICSE-NEAR-1", **extra,
    }, format="json")


def test_a_pdq_within_31_of_a_rejected_item_needs_a_reason_and_is_held(personas, api):
    original = fake("pdq")
    earlier = rejected(personas, pdq_item(personas.investigator, original))
    client = api(personas.colleague)
    near = [{"algorithm": "pdq", "value": flip(original, 31), "quality": 90}]
    before = AuditEntry.objects.count()
    refused = submit(client, near)
    assert refused.status_code == 400
    assert "within distance 31 of a rejected item" in refused.json()["reason"][0]
    assert str(earlier.pk) not in refused.content.decode()  # the submitter is not told which item
    assert AuditEntry.objects.count() == before and Submission.objects.count() == 1

    created = submit(client, near, reason="A different crop of the same series; new evidence.")
    assert created.status_code == 201, created.content
    item = Submission.objects.get(pk=created.json()["id"])
    assert item.status == Submission.Status.HELD
    assert (item.previous_id, item.chain_root_id) == (earlier.pk, earlier.pk)
    hold = AuditEntry.objects.get(action="submission.hold", object_id=str(item.pk))
    assert hold.details["near"] == {"item": str(earlier.pk), "algorithm": "pdq", "distance": 31}


def test_distance_32_and_items_not_rejected_do_not_hold(personas, api):
    original, other = fake("pdq"), fake("pdq")
    rejected(personas, pdq_item(personas.investigator, original))
    pdq_item(personas.investigator, other)  # pending
    withdrawn = pdq_item(personas.investigator, fake("pdq"))
    submission_withdraw(actor=personas.investigator, item=withdrawn)
    client = api(personas.colleague)
    for value in (flip(original, 32), flip(other, 3), flip(withdrawn.signatures.get().value, 3)):
        response = submit(client, [{"algorithm": "pdq", "value": value, "quality": 90}])
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "pending"


def test_an_edit_of_a_rejected_photograph_is_held(personas, api):
    original, quality = pdq_from_image_bytes((BRIDGE / "aaa-orig.jpg").read_bytes())
    earlier = rejected(personas, make_item(personas.investigator, algorithms=(), signatures=[
        {"algorithm": "pdq", "value": original, "quality": quality}]))
    edit, quality = pdq_from_image_bytes((BRIDGE / "blur-a-lot.jpg").read_bytes())
    response = submit(api(personas.colleague), [{"algorithm": "pdq", "value": edit, "quality": quality}],
                      reason="Found again on another forum.")
    assert response.status_code == 201
    assert response.json()["status"] == "held"
    assert Submission.objects.get(pk=response.json()["id"]).previous_id == earlier.pk


def test_a_clip_of_a_rejected_video_is_held_and_an_unrelated_video_is_not(personas, api):
    frames = walk(1, 60)
    earlier = rejected(personas, video_item(personas.investigator, frames))
    client = api(personas.colleague)
    clip = [{"algorithm": "vpdq", "value": video_value(frames[20:40])}]
    refused = submit(client, clip, media_type="video")
    assert refused.status_code == 400 and "its video is a clip of a rejected item" in refused.content.decode()
    held = submit(client, clip, media_type="video", reason="A longer cut than the rejected one.")
    assert held.json()["status"] == "held"
    hold = AuditEntry.objects.get(action="submission.hold", object_id=held.json()["id"])
    assert hold.details["near"]["item"] == str(earlier.pk)
    assert hold.details["near"]["kind"] == "clip" and hold.details["near"]["query_coverage"] == 100.0
    unrelated = submit(client, [{"algorithm": "vpdq", "value": video_value(walk(2, 30))}], media_type="video")
    assert unrelated.json()["status"] == "pending"


def test_the_bulk_import_holds_near_copies_of_rejected_items(personas):
    original = fake("pdq")
    rejected(personas, pdq_item(personas.investigator, original))
    rows = {
        "no-reason": ItemInput(**item_payload(algorithms=(), signatures=[
            {"algorithm": "pdq", "value": flip(original, 10), "quality": 90}])),
        "with-reason": ItemInput(**item_payload(algorithms=(), reason="Seen again.", signatures=[
            {"algorithm": "pdq", "value": flip(original, 20), "quality": 90}])),
        "far": ItemInput(**item_payload(algorithms=(), signatures=[
            {"algorithm": "pdq", "value": flip(original, 40), "quality": 90}])),
    }
    outcome = submissions_import(actor=personas.colleague, items=rows)
    assert "reason" in outcome.errors["no-reason"][0][1] and "rejected" in outcome.errors["no-reason"][0][1]
    statuses = {s.external_reference: s.status for s in outcome.created}
    assert sorted(s.status for s in outcome.created) == ["held", "pending"], statuses
    assert AuditEntry.objects.filter(action="submission.hold").count() == 1


def _item_with_neighbours(personas):
    """An item and earlier items in every status, some near it; returns (item, near ids by status)."""
    base = fake("pdq")
    listed = agree(pdq_item(personas.investigator, flip(base, 5)), *personas.reviewers[:3])
    publish()  # `listed` is found through the loaded index of release 1
    approved_later = agree(pdq_item(personas.investigator, flip(base, 9)), *personas.reviewers[:3])
    pending = pdq_item(personas.investigator, flip(base, 31))
    withdrawn = pdq_item(personas.investigator, flip(base, 20))
    submission_withdraw(actor=personas.investigator, item=withdrawn)
    pdq_item(personas.investigator, flip(base, 32))  # too far
    frames = walk(3, 80)
    earlier_video = video_item(personas.investigator, frames)
    refused = rejected(personas, pdq_item(personas.investigator, flip(base, 12)))
    item = pdq_item(personas.colleague, base, reason="Near the rejected one; a larger copy.")
    assert item.status == Submission.Status.HELD
    clip = video_item(personas.colleague, frames[30:50])
    pdq_item(personas.investigator, flip(base, 1), reason="Later.")  # not an earlier item
    expected = {listed.pk: ("approved", 5), approved_later.pk: ("approved", 9), pending.pk: ("pending", 31),
                refused.pk: ("rejected", 12), withdrawn.pk: ("withdrawn", 20)}
    return item, expected, (clip, earlier_video)


def test_curators_see_every_earlier_near_item_listed_or_not(personas, api):
    item, expected, (clip, earlier_video) = _item_with_neighbours(personas)
    curator = api(personas.curator)
    response = curator.get(f"/api/v1/submissions/{item.pk}/near-duplicates/")
    assert response.status_code == 200
    rows = response.json()["near_duplicates"]
    assert {row["item_id"]: (row["status"], row["distance"]) for row in rows} == {
        str(pk): value for pk, value in expected.items()}
    assert [row["distance"] for row in rows] == [5, 9, 12, 20, 31]  # closest first
    assert rows[0]["organisation"]["name"] == personas.investigator.organisation.name
    video = curator.get(f"/api/v1/submissions/{clip.pk}/near-duplicates/").json()["near_duplicates"]
    assert [(row["item_id"], row["algorithm"], row["kind"], row["query_coverage"]) for row in video] == [
        (str(earlier_video.pk), "vpdq", "clip", 100.0)]
    assert curator.get(f"/api/v1/submissions/{earlier_video.pk}/near-duplicates/").json()["near_duplicates"] == []
    assert api(personas.reviewers[3]).get(f"/api/v1/submissions/{item.pk}/near-duplicates/").status_code == 403


def test_the_item_page_shows_curators_the_near_duplicates_and_nobody_else(personas, client):
    item, expected, (clip, _) = _item_with_neighbours(personas)
    client.force_login(personas.curator)
    page = client.get(f"/submissions/{item.pk}/").content.decode()
    assert 'id="near-duplicates"' in page
    for pk in expected:
        assert str(pk)[:8] in page
    assert "PDQ distance 12" in page
    assert "vPDQ clip" in client.get(f"/submissions/{clip.pk}/").content.decode()
    client.force_login(personas.colleague)
    assert 'id="near-duplicates"' not in client.get(f"/submissions/{item.pk}/").content.decode()
