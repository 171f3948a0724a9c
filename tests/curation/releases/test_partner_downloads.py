"""What a partner downloads from the release page: the signature as a file, the manifest with its
size, the signing key's fingerprint and how to confirm it (issue 12, item 5)."""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest
from django.template.defaultfilters import filesizeformat

from curation.models import Release, SigningKey
from curation.releases.services import feed_grant
from tests.curation.helpers import approved_item, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def release(personas) -> Release:
    approved_item(personas, algorithms=("md5", "sha256"))
    release = publish(personas.curator)
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    return release


def test_the_signature_downloads_as_a_file_with_the_same_json(personas, api, release):
    response = api(personas.partner).get("/api/v1/releases/1/signature/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="baseline-v1.signature.json"'
    assert response["Content-Type"] == "application/json"
    release.refresh_from_db()
    assert response.json() == {"algorithm": "ed25519", "key_id": release.key_id, "signature": release.signature}


def test_the_manifest_downloads_under_its_name(personas, api, release):
    response = api(personas.partner).get("/api/v1/releases/1/manifest/")
    assert response["Content-Disposition"] == 'attachment; filename="baseline-v1.manifest.json"'


def test_the_page_links_the_signature_as_a_download(personas, client, release):
    client.force_login(personas.partner)
    page = client.get("/releases/1/").content.decode()
    assert re.search(r'<a class="button" href="/api/v1/releases/1/signature/" download="baseline-v1.signature.json">'
                     r"Signature</a>", page)
    assert re.search(r'href="/api/v1/releases/1/manifest/" download="baseline-v1.manifest.json">Manifest</a>', page)
    # The button's request, with the browser's session, answers the file.
    response = client.get("/api/v1/releases/1/signature/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")


def test_the_manifest_row_shows_its_size(personas, client, release):
    release.refresh_from_db()
    size = len(bytes(release.manifest))
    client.force_login(personas.partner)
    page = client.get("/releases/1/").content.decode()
    row = re.search(r"<tr><td data-label=\"File\"><code>baseline-v1\.manifest\.json</code></td>.*?</tr>", page,
                    flags=re.DOTALL)
    assert row, "no manifest row"
    assert f'<td data-label="Size" title="{size} bytes">{html.escape(filesizeformat(size))}</td>' in row.group(0)
    assert release.manifest_sha256 in row.group(0)
    csv = release.files.get(format="csv")
    assert f'title="{csv.size} bytes">{html.escape(filesizeformat(csv.size))}</td>' in page  # as the files do


def test_the_page_shows_the_key_fingerprint_and_how_to_confirm_it(personas, client, release):
    key = SigningKey.objects.get(key_id=release.key_id)
    digest = hashlib.sha256(base64.b64decode(key.public_key)).hexdigest()
    grouped = " ".join(digest[i:i + 4] for i in range(0, 64, 4))
    assert digest.startswith(key.key_id)
    client.force_login(personas.partner)
    page = client.get("/releases/1/").content.decode()
    assert f'<code class="fingerprint" id="key-fingerprint">{grouped}</code>' in page
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert ("Before you trust this key for the first time, confirm that fingerprint with the list's operators, "
            "the Baseline secretariat, by telephone or another channel you already trust") in html.unescape(text)
    assert "python3 baseline-verify.py baseline-v1.manifest.json baseline-v1.signature.json PUBLIC_KEY" in page


def test_the_files_tables_stack_on_narrow_screens(personas, client, release):
    client.force_login(personas.partner)
    page = client.get("/releases/1/").content.decode()
    assert page.count('<table class="stack">') == 2  # the files and the keys; the browser test measures 390 px
    assert '<td data-label="SHA-256"><code class="hash">' in page
