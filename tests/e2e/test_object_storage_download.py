"""A partner downloads from the release page in real Chromium while the files are in object
storage (a real moto_server): the button's request is answered 302 to a presigned URL on the store,
Chromium follows it and saves the file under the release file's name (the store's
Content-Disposition), and the bytes are the manifest's."""

from __future__ import annotations

import hashlib
import json
import re

from playwright.sync_api import expect

from core.actors import SYSTEM
from curation.models import Download, Release
from tests.curation.helpers import approved_item, publish
from tests.e2e.conftest import journey, start_the_day


@journey
def test_a_partner_downloads_a_file_from_object_storage_under_its_name(people, live_server, personas, s3_exports,
                                                                        tmp_path):
    from curation.releases.services import feed_grant

    approved_item(personas, algorithms=("md5", "sha256"))
    publish(personas.curator)
    feed_grant(actor=SYSTEM, organisation=personas.partner.organisation, feed_name="standard")
    entries = {entry["name"]: entry for entry in json.loads(bytes(Release.objects.get(version=1).manifest))["files"]}
    page = start_the_day(people, live_server, personas.partner, "partner")
    page.goto(f"{live_server.url}/releases/1/")
    files = page.locator("table.stack").first
    row = files.get_by_role("row").filter(has=page.locator("code", has_text=re.compile(r"^baseline-v1\.csv$")))
    with page.expect_download() as info:
        row.get_by_role("link", name="Download").click()
    assert info.value.suggested_filename == "baseline-v1.csv"
    # Where the bytes came from: the store, after the service's redirect (a download fires no page
    # response events to watch the 302 itself; tests/curation/releases/test_object_storage.py does).
    assert info.value.url.startswith(f"{s3_exports.endpoint}/{s3_exports.name}/releases/v1/"), info.value.url
    saved = tmp_path / "baseline-v1.csv"
    info.value.save_as(saved)
    body = saved.read_bytes()
    assert (len(body), hashlib.sha256(body).hexdigest()) == (entries["baseline-v1.csv"]["size"],
                                                             entries["baseline-v1.csv"]["sha256"])
    assert list(Download.objects.values_list("file", "user__username")) == [("csv", "partner")]
    expect(page.get_by_role("heading", name=re.compile(r"^Baseline release v1\b"))).to_be_visible()
