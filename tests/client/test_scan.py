"""`baseline scan` against a mirror made by `baseline sync` from a live server: the bridge-mods
edits of a listed photograph and a listed video are found offline with their evidence, unrelated
files are not, non-media files are counted as skipped with a reason; `baseline report` files one
report, or one per item a scan matched."""

from __future__ import annotations

import csv
import io
import json
import shutil

from baseline_client.hashing.media import hash_bytes

from tests.client.conftest import client_db, public_key, run
from tests.curation.helpers import TESTDATA, approved_item, publish

pytestmark = client_db
BRIDGE = TESTDATA / "pdq" / "bridge-mods"


def _listed(personas, path, seconds_per_hash=0):
    signatures = hash_bytes(path.read_bytes(), seconds_per_hash=seconds_per_hash).signatures
    media_type = "video" if any(s["algorithm"] == "vpdq" for s in signatures) else "image"
    return approved_item(personas, media_type=media_type, algorithms=(), signatures=signatures)


def test_scan_finds_edits_of_listed_media_offline(personas, live_server, token_file, tmp_path):
    photo = _listed(personas, BRIDGE / "aaa-orig.jpg")
    video = _listed(personas, TESTDATA / "vpdq" / "pattern-hd-no-bar.mp4")  # listed at every frame
    publish()
    mirror = tmp_path / "mirror"
    synced = run("sync", live_server.url, mirror, "--token-file", token_file, "--public-key", public_key())
    assert synced.returncode == 0
    files = tmp_path / "network"
    shutil.copytree(BRIDGE, files / "photos")
    shutil.copy(TESTDATA / "vpdq" / "pattern-hd-no-bar.mp4", files / "clip.mp4")
    shutil.copy(TESTDATA / "vpdq" / "doorknob-hd-no-bar.mp4", files / "other.mp4")
    shutil.copy(TESTDATA / "pdq" / "misc" / "c.png", files / "unrelated.png")
    (files / "notes.txt").write_text("not media")
    done = run("scan", files, "--list", mirror, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    by_file = {}
    for record in records:
        by_file.setdefault(record["path"].removeprefix(str(files) + "/"), []).append(record)
    assert {r["algorithm"] for r in by_file["photos/aaa-orig.jpg"]} == {"md5", "sha1", "sha256", "pdq"}
    blurred = [r for r in by_file["photos/blur-a-lot.jpg"] if r["algorithm"] == "pdq"]
    assert [(r["item_id"], r["list"]) for r in blurred] == [(str(photo.pk), "baseline")]
    assert 0 < blurred[0]["distance"] <= 31
    clip = [r for r in by_file["clip.mp4"] if r["algorithm"] == "vpdq"]
    assert clip[0]["item_id"] == str(video.pk) and clip[0]["kind"] == "full" and clip[0]["query_coverage"] >= 80
    assert "other.mp4" not in by_file and "unrelated.png" not in by_file and "notes.txt" not in by_file
    assert "skipped (1 unsupported_media_type)" in done.stderr
    assert f"scanned {len(list(files.rglob('*.*')))} file(s)" in done.stderr
    as_csv = run("scan", files / "photos" / "blur-a-lot.jpg", "--list", mirror, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(row["algorithm"], row["item_id"]) for row in rows] == [("pdq", str(photo.pk))]


def test_scan_refuses_a_mirror_that_does_not_verify(personas, live_server, token_file, tmp_path):
    _listed(personas, BRIDGE / "aaa-orig.jpg")
    publish()
    mirror = tmp_path / "mirror"
    run("sync", live_server.url, mirror, "--token-file", token_file, "--public-key", public_key())
    (mirror / "current" / "baseline-v1.csv").write_text("item_id,media_type,algorithm,value,added_in_version\n")
    refused = run("scan", BRIDGE, "--list", mirror)
    assert refused.returncode == 7 and "differs from its signed manifest" in refused.stderr
    assert refused.stdout == ""


def test_baseline_report_files_one_report_or_a_scan_s_matches(personas, live_server, token_file, tmp_path):
    from curation.models import Report

    photo = _listed(personas, BRIDGE / "aaa-orig.jpg")
    publish()
    one = run("report", live_server.url, photo.pk, "--token-file", token_file, "--kind", "false_positive",
              "--reference", "CASE-7", "--details", "a holiday photograph")
    assert one.returncode == 0, one.stderr
    first = Report.objects.get()
    assert (first.kind, first.reference, first.details, first.organisation) == (
        "false_positive", "CASE-7", "a holiday photograph", personas.partner.organisation)
    mirror = tmp_path / "mirror"
    run("sync", live_server.url, mirror, "--token-file", token_file, "--public-key", public_key())
    scanned = run("scan", BRIDGE, "--list", mirror)
    (tmp_path / "scan.jsonl").write_text(scanned.stdout)
    many = run("report", live_server.url, "--from", tmp_path / "scan.jsonl", "--token-file", token_file,
               "--kind", "match", "--reference", "CASE-8", "--share-with-submitter")
    assert many.returncode == 0, many.stderr
    assert list(Report.objects.filter(reference="CASE-8").values_list("item_id", "share_with_submitter")) == [
        (photo.pk, True)]  # one report per matched item, however many files matched it
    unknown = run("report", live_server.url, "00000000-0000-0000-0000-000000000001", "--token-file", token_file,
                  "--kind", "match", "--reference", "CASE-9")
    assert unknown.returncode == 1 and "not listed in a release your feeds hold" in unknown.stderr
