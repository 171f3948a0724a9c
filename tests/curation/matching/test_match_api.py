"""`POST match/` (DESIGN.md section 9) against releases published for real: exact algorithms, PDQ at
the 31/32 boundary and against brute force, the bridge-mods edits of a listed photograph, a clip of
a listed video, only listed entries, feeds, and bad queries."""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest
from baseline_client.hashing.media import hash_bytes, pdq_from_image_bytes

from curation.matching import loaded
from curation.releases.services import feed_grant
from curation.reviews.services import review_record
from tests.curation.helpers import NO_UNDER_13, TESTDATA, approved_item, fake, make_item, publish

pytestmark = pytest.mark.django_db
BRIDGE = TESTDATA / "pdq" / "bridge-mods"


def flip(hex_value: str, bits: int) -> str:
    value = int(hex_value, 16) ^ (((1 << bits) - 1) << (256 - bits))
    return f"{value:064x}"


@pytest.fixture
def partner(personas, api):
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    return api(personas.partner)


def listed(personas, media_type="image", **signatures):
    sigs = [{"algorithm": a, "value": v, **({"quality": 90} if a == "pdq" else {})} for a, v in signatures.items()]
    return approved_item(personas, media_type=media_type, algorithms=(), signatures=sigs)


def match(client, *queries, **options):
    body = {"signatures": [{"algorithm": a, "value": v} for a, v in queries], **options}
    return client.post("/api/v1/match/", body, format="json")


def test_exact_algorithms_match_the_listed_item_only(personas, partner):
    md5, sha256 = fake("md5"), fake("sha256")
    item = listed(personas, md5=md5, sha256=sha256)
    release = publish()
    response = match(partner, ("md5", md5.upper()), ("sha256", sha256), ("md5", fake("md5")))
    assert response.status_code == 200
    body = response.json()
    assert body["releases"] == {"baseline": release.version}
    first = body["results"][0]["matches"]
    assert first == [{"list": "baseline", "item_id": str(item.pk), "media_type": "image", "algorithm": "md5",
                      "value": md5, "added_in_version": 1}]
    assert [m["item_id"] for m in body["results"][1]["matches"]] == [str(item.pk)]
    assert body["results"][2] == {"query": 2, "matches": []}


def test_pdq_matches_at_31_and_not_at_32(personas, partner):
    pdq = fake("pdq")
    listed(personas, pdq=pdq)
    publish()
    body = match(partner, ("pdq", flip(pdq, 31)), ("pdq", flip(pdq, 32)), ("pdq", pdq)).json()
    assert [m["distance"] for m in body["results"][0]["matches"]] == [31]
    assert body["results"][1]["matches"] == []
    assert body["results"][2]["matches"][0]["distance"] == 0
    narrower = match(partner, ("pdq", flip(pdq, 10)), ("pdq", flip(pdq, 11)), pdq_max_distance=10).json()
    assert [len(r["matches"]) for r in narrower["results"]] == [1, 0]


def test_the_bridge_mods_edits_match_the_listed_photograph_and_others_do_not(personas, partner):
    original, _ = pdq_from_image_bytes((BRIDGE / "aaa-orig.jpg").read_bytes())
    item = listed(personas, pdq=original)
    publish()
    edits = sorted(p for p in BRIDGE.iterdir() if p.name != "aaa-orig.jpg")
    queries = [("pdq", pdq_from_image_bytes(p.read_bytes())[0]) for p in edits]
    unrelated = [("pdq", pdq_from_image_bytes((TESTDATA / "pdq" / "reference" / n).read_bytes())[0])
                 for n in ("q0122.jpg", "q2821.jpg", "bridge-2-rotate-90.jpg")]
    body = match(partner, *queries, *unrelated).json()
    for result in body["results"][:len(edits)]:
        assert [m["item_id"] for m in result["matches"]] == [str(item.pk)]
        assert result["matches"][0]["distance"] <= 31
    assert all(result["matches"] == [] for result in body["results"][len(edits):])


def test_random_pdq_queries_return_exactly_what_brute_force_returns(personas, partner):
    rng = np.random.default_rng(5)
    base = [rng.bytes(32).hex() for _ in range(12)]
    listed_values = [v for b in base for v in (b, flip(b, 20), flip(b, 30))]
    for value in listed_values:
        listed(personas, pdq=value)
    publish()
    queries = [flip(b, k) for b in base for k in (0, 15, 31, 32, 45)] + [rng.bytes(32).hex() for _ in range(20)]
    body = match(partner, *[("pdq", q) for q in queries]).json()
    flat = faiss.IndexBinaryFlat(256)
    codes = np.frombuffer(bytes.fromhex("".join(listed_values)), np.uint8).reshape(-1, 32)
    flat.add(codes)
    query_codes = np.frombuffer(bytes.fromhex("".join(queries)), np.uint8).reshape(-1, 32)
    lims, distances, rows = flat.range_search(query_codes, 32)
    for number, result in enumerate(body["results"]):
        expected = sorted((int(d), listed_values[r]) for d, r in zip(distances[lims[number]:lims[number + 1]],
                                                                     rows[lims[number]:lims[number + 1]], strict=True))
        assert sorted((m["distance"], m["value"]) for m in result["matches"]) == expected
        assert [m["distance"] for m in result["matches"]] == sorted(m["distance"] for m in result["matches"])


def _vpdq(path, seconds_per_hash):
    hashed = hash_bytes(path.read_bytes(), seconds_per_hash=seconds_per_hash)
    return {s["algorithm"]: s["value"] for s in hashed.signatures}["vpdq"]


def test_a_clip_of_a_listed_video_matches_it_and_unrelated_videos_do_not(personas, partner):
    vpdq = TESTDATA / "vpdq"
    item = listed(personas, media_type="video", vpdq=_vpdq(vpdq / "pattern-longer-no-bar.mp4", 0))
    publish()
    body = match(partner, ("vpdq", _vpdq(vpdq / "pattern-hd-no-bar.mp4", 1)),
                 ("vpdq", _vpdq(vpdq / "doorknob-hd-no-bar.mp4", 1)),
                 ("vpdq", _vpdq(vpdq / "pattern-sd-grey-bar.mp4", 1))).json()
    [found] = body["results"][0]["matches"]
    assert found["item_id"] == str(item.pk) and found["query_coverage"] == 100 and found["kind"] in ("clip", "full")
    assert json.loads(found["value"])[0].endswith(",0.000")
    assert body["results"][1]["matches"] == [] and body["results"][2]["matches"] == []


def test_only_the_latest_release_s_listed_entries_match(personas, partner, api):
    md5s = {name: fake("md5") for name in ("listed", "pending", "rejected", "withdrawn", "held", "retracted")}
    listed(personas, md5=md5s["listed"])
    gone = listed(personas, md5=md5s["retracted"])
    def submitted(*values, **extra):
        return make_item(personas.investigator, algorithms=(),
                         signatures=[{"algorithm": "md5", "value": v} for v in values], **extra)

    submitted(md5s["pending"])
    rejected = submitted(md5s["rejected"])
    review_record(actor=personas.reviewers[0], item=rejected, answers=dict(NO_UNDER_13))
    md5s["held"] = fake("sha256")  # a held item: a new SHA-256 beside the rejected item's MD5
    held = make_item(personas.investigator, algorithms=(), reason="New evidence of age.", signatures=[
        {"algorithm": "md5", "value": md5s["rejected"]}, {"algorithm": "sha256", "value": md5s["held"]}])
    withdrawn = submitted(md5s["withdrawn"])
    api(personas.investigator).post(f"/api/v1/submissions/{withdrawn.pk}/withdraw/")
    rejected.refresh_from_db()
    held.refresh_from_db()
    assert (rejected.status, held.status) == ("rejected", "held")
    publish()
    queries = [("sha256" if name == "held" else "md5", value) for name, value in md5s.items()]
    assert [len(r["matches"]) for r in match(partner, *queries).json()["results"]] == [1, 0, 0, 0, 0, 1]
    api(personas.curator).post(f"/api/v1/submissions/{gone.pk}/retract/", {"reason": "wrong entry"}, format="json")
    publish()
    loaded.forget()  # what BASELINE_MATCH_CHECK_SECONDS does on a running server (tests/test_deployment_kill.py)
    body = match(partner, ("md5", md5s["retracted"]), ("md5", md5s["listed"])).json()
    assert body["releases"] == {"baseline": 2} and [len(r["matches"]) for r in body["results"]] == [0, 1]


def test_before_any_release_nothing_matches(personas, partner):
    listed(personas, md5=(value := fake("md5")))
    body = match(partner, ("md5", value)).json()
    assert body == {"releases": {}, "results": [{"query": 0, "matches": []}]}


def test_feeds_decide_what_a_partner_may_match(personas, api):
    client = api(personas.partner)
    photodna = fake("photodna")
    listed(personas, photodna=photodna, md5=(md5 := fake("md5")))
    publish()
    refused = match(client, ("md5", md5))
    assert refused.status_code == 403 and "standard feed" in refused.json()["detail"]
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    assert match(client, ("md5", md5)).status_code == 200
    refused = match(client, ("md5", md5), ("photodna", photodna))
    assert (refused.status_code, refused.json()["code"]) == (403, "feed_not_held")
    assert "Query 1 is PhotoDNA, which only the photodna feed matches" in refused.json()["detail"]
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="photodna")
    [found] = match(client, ("photodna", photodna)).json()["results"][0]["matches"]
    assert found["exact_only"] is True


def test_curators_and_investigators_match_every_algorithm_reviewers_not(personas, api):
    listed(personas, photodna=(photodna := fake("photodna")))
    publish()
    for user in (personas.curator, personas.investigator):
        assert len(match(api(user), ("photodna", photodna)).json()["results"][0]["matches"]) == 1
    assert match(api(personas.reviewers[0]), ("photodna", photodna)).status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"signatures": []}, "signatures"),
    ({"signatures": [{"algorithm": "md5", "value": "x"}] * 1001}, "signatures"),
    ({"signatures": [{"algorithm": "md5", "value": "abc"}]}, "signatures"),
    ({"signatures": [{"algorithm": "sha9", "value": "abc"}]}, "signatures"),
    ({"signatures": [{"algorithm": "md5"}]}, "signatures"),
    ({"signatures": [{"algorithm": "pdq", "value": "0" * 64}], "pdq_max_distance": 32}, "pdq_max_distance"),
    ({"signatures": [{"algorithm": "pdq", "value": "0" * 64}], "vpdq_min_coverage": 49}, "vpdq_min_coverage"),
])
def test_a_malformed_call_is_a_400_naming_what_is_wrong(partner, body, field):
    response = partner.post("/api/v1/match/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_a_bad_query_is_named_by_its_index(partner):
    body = {"signatures": [{"algorithm": "md5", "value": fake("md5")}, {"algorithm": "md5", "value": "xyz"}]}
    errors = partner.post("/api/v1/match/", body, format="json").json()["signatures"]
    assert list(errors) == ["1"] and errors["1"]["value"][0].startswith("query 1: md5: expected 32")


def test_at_most_20000_vpdq_frames_a_call(partner):
    frames = json.dumps([f"{fake('pdq', n)},90,{n}.000" for n in range(10_001)])
    response = match(partner, ("vpdq", frames), ("vpdq", frames))
    assert response.status_code == 400 and "20,000" in json.dumps(response.json())


def test_throttling_counts_queries_not_calls(partner, settings):
    settings.BASELINE_MATCH_QUERY_RATE = "5/hour"
    three = [("md5", fake("md5")) for _ in range(3)]
    assert match(partner, *three).status_code == 200
    refused = match(partner, *three)
    assert refused.status_code == 429 and "5/hour" in refused.json()["detail"] and int(refused["Retry-After"]) > 0
    assert match(partner, *three[:2]).status_code == 200  # the refused call counted nothing: 3 + 2 = 5
    assert match(partner, three[0]).status_code == 429


def test_a_partner_s_matches_leave_sightings_of_distinct_values_per_day_and_item(personas, partner, api):
    from core.models import AuditEntry
    from curation.models import Sighting

    md5, sha256, pdq = fake("md5"), fake("sha256"), fake("pdq")
    item = listed(personas, md5=md5, sha256=sha256, pdq=pdq)
    publish()
    checkers = [api(user) for user in (personas.curator, personas.investigator)]  # tokens made (and audited) first
    before = AuditEntry.objects.count()
    match(partner, ("md5", md5), ("md5", md5.upper()), ("sha256", sha256), ("md5", fake("md5")))
    match(partner, ("md5", md5), ("pdq", flip(pdq, 3)), ("pdq", flip(pdq, 4)))
    rows = Sighting.objects.filter(item=item, organisation=personas.partner.organisation)
    assert rows.count() == 4  # md5 once (twice sent, on two calls), sha256, two distinct PDQ values
    assert {r.algorithm for r in rows} == {"md5", "sha256", "pdq"} and Sighting.objects.count() == 4
    entries = AuditEntry.objects.order_by("seq")[before:]
    assert [(e.action, e.details["new_sightings"]) for e in entries] == [("match.sighting", 2), ("match.sighting", 2)]
    match(partner, ("md5", fake("md5")))  # nothing matched: nothing recorded or audited
    for checker in checkers:
        assert len(match(checker, ("md5", md5)).json()["results"][0]["matches"]) == 1
    assert Sighting.objects.count() == 4 and AuditEntry.objects.count() == before + 2


def test_sightings_past_the_retention_period_are_purged_by_the_periodic_task(personas, partner, settings):
    from datetime import timedelta

    from django.utils import timezone

    from curation import tasks
    from curation.models import Sighting

    item = listed(personas, md5=(md5 := fake("md5")))
    publish()
    match(partner, ("md5", md5))
    today = timezone.now().date()
    old = Sighting.objects.get()
    Sighting.objects.filter(pk=old.pk).update(day=today - timedelta(days=settings.BASELINE_SIGHTING_RETENTION_DAYS + 1))
    Sighting.objects.create(organisation=personas.partner.organisation, day=today, item=item, algorithm="md5",
                            value_digest="0" * 64)
    assert tasks.sightings_purge() == 1
    assert list(Sighting.objects.values_list("day", flat=True)) == [today]
    assert tasks.sightings_purge() == 0


def test_investigators_and_curators_may_match_a_file_partners_may_not(personas, partner, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    original, _ = pdq_from_image_bytes((BRIDGE / "aaa-orig.jpg").read_bytes())
    item = listed(personas, pdq=original)
    clip_of = listed(personas, media_type="video", vpdq=_vpdq(TESTDATA / "vpdq" / "pattern-longer-no-bar.mp4", 0))
    publish()

    def send(client, path):
        return client.post("/api/v1/match/", {"file": SimpleUploadedFile("x", path.read_bytes())}, format="multipart")

    for user in (personas.investigator, personas.curator):
        body = send(api(user), BRIDGE / "blur-a-lot.jpg").json()
        assert [s["algorithm"] for s in body["signatures"]] == ["md5", "sha1", "sha256", "pdq"]
        assert [[m["item_id"] for m in r["matches"]] for r in body["results"]] == [[], [], [], [str(item.pk)]]
    video = send(api(personas.investigator), TESTDATA / "vpdq" / "pattern-hd-no-bar.mp4").json()
    [found] = video["results"][3]["matches"]
    assert found["item_id"] == str(clip_of.pk) and found["kind"] in ("clip", "full")
    refused = send(partner, BRIDGE / "blur-a-lot.jpg")
    assert refused.status_code == 403 and "Partners send hashes, never files" in refused.json()["detail"]
    broken = SimpleUploadedFile("x", b"\xff\xd8\xff" + b"0" * 50)
    corrupt = api(personas.investigator).post("/api/v1/match/", {"file": broken}, format="multipart")
    assert corrupt.status_code == 400 and "file" in corrupt.json()
