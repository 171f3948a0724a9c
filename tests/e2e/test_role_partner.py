"""A partner's day in the browser (issue 12, item 5): download a release, its manifest and its
signature from the page, verify them with the page's script as partners run it (Debian's python3),
read the verdict on a tampered file and OK on the real one; the partner's pages at 1280 and 390 px."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

from playwright.sync_api import Page, expect

from core.actors import SYSTEM
from tests.curation.helpers import approved_item, publish
from tests.e2e.conftest import (
    assert_controls_labelled,
    journey,
    open_nav,
    screens,
    start_the_day,
)

SYSTEM_PYTHON = "/usr/bin/python3"


def download(page: Page, link, folder: Path) -> Path:
    """Click a link that must download (not open) a file; save it under the name the server gave.

    Chromium lets a page start ten downloads and silently drops the eleventh until the page is
    loaded again (its limit on automatic downloads): load it afresh first, as a person might."""
    page.reload()
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def run_script(folder: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([SYSTEM_PYTHON, "baseline-verify.py", *args], cwd=folder, capture_output=True,
                            text=True, timeout=60, check=False)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


@journey
def test_a_partner_verifies_a_download_and_reads_the_verdict_on_a_tampered_file(people, live_server, personas,
                                                                                  tmp_path):
    from curation.releases.services import feed_grant

    for _ in range(3):
        approved_item(personas, algorithms=("md5", "sha1", "sha256", "pdq"))
    publish(personas.curator)
    feed_grant(actor=SYSTEM, organisation=personas.partner.organisation, feed_name="standard")
    page = start_the_day(people, live_server, personas.partner, "partner")

    open_nav(page, "Releases")
    expect(page.get_by_role("heading", name="Baseline releases")).to_be_visible()
    assert_controls_labelled(page)
    screens(page, "partner", "releases")
    page.get_by_role("link", name="v1", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Baseline release v1\b"))).to_be_visible()
    screens(page, "partner", "release-detail")

    folder = tmp_path / "download"
    folder.mkdir()
    files = page.locator("table.stack").first
    names = [name.strip() for name in files.locator("tbody tr td:first-child code").all_inner_texts()]
    release_files = [n for n in names if not n.endswith((".manifest.json", ".signature.json"))]
    assert "baseline-v1.csv" in release_files and len(release_files) >= 5, names
    for name in release_files:
        row = files.get_by_role("row").filter(has=page.locator("code", has_text=re.compile(rf"^{re.escape(name)}$")))
        saved = download(page, row.get_by_role("link", name="Download"), folder)
        assert saved.name == name
    manifest = download(page, page.get_by_role("link", name="Manifest"), folder)
    signature = download(page, page.get_by_role("link", name="Signature"), folder)
    assert (manifest.name, signature.name) == ("baseline-v1.manifest.json", "baseline-v1.signature.json")
    assert set(json.loads(signature.read_text())) == {"algorithm", "key_id", "signature"}
    script = download(page, page.get_by_role("link", name="baseline-verify.py"), folder)
    assert script.name == "baseline-verify.py"

    # The key and its fingerprint as the page shows them (to be confirmed by telephone).
    verify = page.locator("#verify")
    expect(verify).to_contain_text("by telephone or another channel you already trust")
    fingerprint = page.locator("#key-fingerprint").inner_text().strip()
    key_id = json.loads(signature.read_text())["key_id"]
    key_row = verify.get_by_role("row").filter(has_text=key_id)
    public_key = key_row.locator("code.hash").inner_text().strip()
    assert fingerprint.replace(" ", "").startswith(key_id)

    result = run_script(folder, manifest.name, signature.name, public_key)
    assert result.returncode == 0, result.stderr
    ok_line = result.stdout.strip().splitlines()[-1]
    assert ok_line.startswith(f"OK: release v1: the signature is valid and {len(release_files)} files match the "
                              "manifest")
    assert f"Signed by key {key_id}, fingerprint {fingerprint}:" in ok_line

    # Someone changes one row of the CSV on the way.
    csv = folder / "baseline-v1.csv"
    original = csv.read_bytes()
    listed = {f["name"]: f for f in json.loads(manifest.read_bytes())["files"]}["baseline-v1.csv"]
    shown = page.get_by_role("row").filter(has=page.locator("code", has_text=re.compile(r"^baseline-v1\.csv$")))
    expect(shown.locator("code.hash")).to_have_text(listed["sha256"])
    tampered = original.replace(b"\n", b"\nfeedface,image,md5,00000000000000000000000000000000,1\n", 1)
    csv.write_bytes(tampered)
    result = run_script(folder, manifest.name, signature.name, public_key)
    assert result.returncode == 1
    assert (f"FAILED  baseline-v1.csv: differs from the signed manifest\n"
            f"        expected: size {listed['size']} bytes, sha256 {listed['sha256']}\n"
            f"        found:    size {len(tampered)} bytes, sha256 {hashlib.sha256(tampered).hexdigest()}\n"
            ) in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "VERIFICATION FAILED: 1 file does not match the signed manifest (baseline-v1.csv). "
        "Do not use it; download again.")

    # Downloaded again, untampered: OK.
    row = files.get_by_role("row").filter(has=page.locator("code", has_text=re.compile(r"^baseline-v1\.csv$")))
    download(page, row.get_by_role("link", name="Download"), folder)
    assert csv.read_bytes() == original
    result = run_script(folder, manifest.name, signature.name, public_key)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == ok_line
