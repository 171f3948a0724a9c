"""The README's offline verification snippet, run for real against a downloaded release."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from curation.releases.services import feed_grant
from tests.curation.helpers import approved_item, publish

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parents[3] / "README.md"


def snippet() -> str:
    text = README.read_text()
    match = re.search(r"<!-- verify-snippet -->\n```python\n(.*?)```", text, flags=re.DOTALL)
    assert match, "the README lost its verification snippet"
    return match.group(1)


def run(tmp_path, *args):
    script = tmp_path / "verify.py"
    script.write_text(snippet())
    return subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_readme_snippet_verifies_a_partners_download(personas, api, tmp_path):
    approved_item(personas, algorithms=("md5", "sha256"))
    publish(personas.curator)
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    client = api(personas.partner)
    (tmp_path / "manifest.json").write_bytes(client.get("/api/v1/releases/1/manifest/").content)
    (tmp_path / "signature.json").write_text(json.dumps(client.get("/api/v1/releases/1/signature/").json()))
    key = client.get("/api/v1/signing-keys/").json()[0]["public_key"]
    for entry in client.get("/api/v1/releases/1/").json()["files"]:
        response = client.get(entry["url"])
        (tmp_path / entry["name"]).write_bytes(b"".join(response.streaming_content))
    result = run(tmp_path, "manifest.json", "signature.json", key)
    assert result.returncode == 0, result.stderr
    assert "ok baseline-v1.csv" in result.stdout and "manifest signature verified" in result.stdout

    (tmp_path / "baseline-v1.md5.txt").write_bytes(b"tampered\n")
    result = run(tmp_path, "manifest.json", "signature.json", key)
    assert result.returncode != 0 and "baseline-v1.md5.txt" in result.stderr

    manifest = (tmp_path / "manifest.json").read_bytes()
    (tmp_path / "manifest.json").write_bytes(manifest.replace(b'"version":1', b'"version":9'))
    result = run(tmp_path, "manifest.json", "signature.json", key)
    assert result.returncode != 0 and "InvalidSignature" in result.stderr


def test_the_script_partners_download_is_the_readme_snippet():
    served = (Path(__file__).resolve().parents[3] / "static" / "baseline-verify.py").read_text()
    assert served == snippet()
