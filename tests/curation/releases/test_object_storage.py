"""Release files in S3-compatible object storage (DESIGN.md section 14), against a real server
(moto_server, tests/curation/releases/conftest.py): builds write there, `verify_release` reads
there, and a download is logged and answered 302 to a short-lived presigned URL on the store,
after the same permission checks and 404s, with If-None-Match still 304 from the service."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from core.models import AuditEntry
from curation import tasks
from curation.models import Download, ReleaseDelta
from curation.releases import exports, storage
from curation.releases.build import attempt_start, render_file, snapshot
from curation.releases.services import feed_grant, release_request
from tests.curation.helpers import approved_item, publish

pytestmark = pytest.mark.django_db
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "txt": "text/plain; charset=utf-8",
                 "gz": "application/gzip"}


@pytest.fixture
def release(personas, s3_exports):
    approved_item(personas, algorithms=("md5", "sha256", "photodna"))
    approved_item(personas, media_type="video", algorithms=("md5", "vpdq"))
    approved_item(personas, algorithms=("sha1", "pdq"))
    published = publish(personas.curator)
    assert published.status == "published", published.error
    return published


@pytest.fixture
def partner(personas):
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    return personas.partner


def fetch(url: str, **headers: str):
    """GET the URL as a client following the redirect would: no credentials of ours go with it."""
    assert url.startswith("http://127.0.0.1:"), url  # the moto server, never anywhere else
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (checked just above)
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return answer.status, answer.headers, answer.read()


def test_the_exports_storage_is_object_storage_and_the_default_is_not(settings, s3_exports):
    assert storage.is_object_storage()
    settings.STORAGES = {**settings.STORAGES, "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    assert not storage.is_object_storage()


def test_a_build_writes_every_file_to_the_bucket_and_verify_release_reads_them_back(release, s3_exports, capsys,
                                                                                   export_storage):
    paths = sorted(release.files.values_list("path", flat=True))
    assert len(paths) == len(json.loads(bytes(release.manifest))["files"]) >= 10
    # Nothing else but the matching index: no earlier attempt's files, nothing on the disk.
    assert s3_exports.stored() == sorted([*paths, release.match_index_path])
    assert release.match_index_path.endswith("/baseline-v1.match-index")
    assert not export_storage.exists()
    call_command("verify_release", "1")
    assert "Release 1 verified" in capsys.readouterr().out


def test_an_interrupted_build_resumed_on_object_storage_leaves_only_the_published_files(personas, s3_exports):
    """The attempt folders and their sweep work on a bucket (listdir of key prefixes), and a name
    already taken there is never overwritten."""
    approved_item(personas, algorithms=("md5",))
    release = release_request(actor=personas.curator)
    attempt = attempt_start(release.pk)
    snapshot(release, attempt)
    first, _gz = render_file(release, attempt, exports.FILES[0])  # then the worker dies
    assert first.path in s3_exports.stored()
    assert storage.write_stream(first.path, [b"other bytes"]).path != first.path  # not overwritten
    assert tasks.release_build(release.pk) == "published"
    release.refresh_from_db()
    kept = sorted([*release.files.values_list("path", flat=True), release.match_index_path])
    assert {path.rsplit("/", 1)[0] for path in kept} == {"releases/v1/attempt-2"}
    assert s3_exports.stored() == kept  # attempt 1's files (and the extra one) swept


def test_verify_release_names_a_file_missing_from_the_bucket(release, s3_exports, capsys):
    record = release.files.get(format="md5")
    s3_exports.client().delete_object(Bucket=s3_exports.name, Key=record.path)
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_release", "1")
    assert exit_.value.code == 1
    assert f"{record.name} is missing from storage" in capsys.readouterr().err


def test_every_file_downloads_through_a_logged_redirect_to_the_bucket(personas, api, release, s3_exports):
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="photodna")
    client = api(personas.partner)
    entries = {entry["format"]: entry for entry in json.loads(bytes(release.manifest))["files"]}
    for file_format, entry in entries.items():
        logged = Download.objects.count(), AuditEntry.objects.filter(action="release.download").count()
        response = client.get(f"/api/v1/releases/1/files/{file_format}/")
        assert response.status_code == 302, (file_format, response.status_code)
        location = response["Location"]
        assert location.startswith(f"{s3_exports.endpoint}/{s3_exports.name}/releases/v1/"), location
        assert response["Cache-Control"] == "private, no-store"
        status, headers, body = fetch(location)
        assert status == 200
        assert (len(body), hashlib.sha256(body).hexdigest()) == (entry["size"], entry["sha256"]), file_format
        assert headers["Content-Disposition"] == f'attachment; filename="{entry["name"]}"'
        assert headers["Content-Type"] == CONTENT_TYPES[entry["name"].rsplit(".", 1)[1]], entry["name"]  # as disk
        assert headers["Content-Encoding"] is None  # stored as opaque bytes: nothing for a client to undo
        assert (Download.objects.count(), AuditEntry.objects.filter(action="release.download").count()) == (
            logged[0] + 1, logged[1] + 1)
        assert Download.objects.order_by("-pk").values_list("file", "user__username").first() == (
            file_format, "partner")


def test_the_store_answers_a_range_on_the_presigned_url(api, release, partner):
    location = api(partner).get("/api/v1/releases/1/files/csv/")["Location"]
    whole = fetch(location)[2]
    status, headers, body = fetch(location, Range="bytes=10-19")
    assert (status, headers["Content-Range"], body) == (206, f"bytes 10-19/{len(whole)}", whole[10:20])


def test_callers_refused_or_asking_for_nothing_get_no_redirect(personas, api, release, partner):
    cases = [
        (api(partner), "/api/v1/releases/1/files/photodna/", 403),  # not entitled to that feed
        (api(partner), "/api/v1/releases/1/files/nonsense/", 404),
        (api(partner), "/api/v1/releases/9/files/csv/", 404),
        (api(personas.investigator), "/api/v1/releases/1/files/csv/", 403),
        (api(personas.outsider), "/api/v1/releases/1/files/csv/", 403),
        (api(), "/api/v1/releases/1/files/csv/", 401),
        (api(partner), "/api/v1/releases/1/delta/?since=1", 400),
    ]
    for client, path, status in cases:
        response = client.get(path)
        assert response.status_code == status, path
        assert "Location" not in response, path
    assert Download.objects.count() == 0


def test_if_none_match_answers_304_without_a_redirect_or_a_log_entry(api, release, partner):
    record = release.files.get(format="csv")
    response = api(partner).get("/api/v1/releases/1/files/csv/", HTTP_IF_NONE_MATCH=f'"{record.sha256}"')
    assert response.status_code == 304
    assert "Location" not in response and response["ETag"] == f'"{record.sha256}"'
    assert Download.objects.count() == 0


def test_the_manifest_and_signature_come_from_the_service_itself(api, release, partner):
    client = api(partner)
    manifest = client.get("/api/v1/releases/1/manifest/")
    assert manifest.status_code == 200 and manifest.content == bytes(release.manifest)
    assert client.get("/api/v1/releases/1/signature/").status_code == 200
    assert list(Download.objects.order_by("pk").values_list("file", flat=True)) == ["manifest", "signature"]


def test_a_delta_on_request_is_stored_in_the_bucket_and_redirected_to(personas, api, release, partner, s3_exports):
    approved_item(personas, algorithms=("md5",))
    publish(personas.curator)
    response = api(partner).get("/api/v1/releases/2/delta/?since=1")
    assert response.status_code == 302
    delta = ReleaseDelta.objects.get(release__version=2, since_version=1)
    assert delta.path in s3_exports.stored()
    status, headers, body = fetch(response["Location"])
    assert status == 200 and hashlib.sha256(body).hexdigest() == delta.sha256
    assert headers["Content-Disposition"] == f'attachment; filename="{delta.name}"'
    assert Download.objects.get().file == "delta-since-1"


def test_the_release_page_download_link_redirects_the_browser_to_the_bucket(client, release, partner):
    client.force_login(partner)
    page = client.get("/releases/1/").content.decode()
    link = re.search(r'href="(/api/v1/releases/1/files/csv/)" download>', page).group(1)
    response = client.get(link)
    assert response.status_code == 302
    assert hashlib.sha256(fetch(response["Location"])[2]).hexdigest() == release.files.get(format="csv").sha256
    assert Download.objects.get().user == partner


def test_the_presigned_url_lives_for_the_setting(api, release, partner, settings):
    """The URL is signed (SigV4) to expire BASELINE_DOWNLOAD_URL_SECONDS after it was made.

    moto_server (5.2.5) enforces neither that expiry nor presigned signatures: an expired URL still
    answers 200 there (tried with a 1-second URL and a 2-second wait when this test was written),
    so the expiry is asserted from the signed URL itself, not from a refusal. S3 (and MinIO)
    answer 403 once it has passed."""
    settings.BASELINE_DOWNLOAD_URL_SECONDS = 1
    before = datetime.now(UTC).replace(microsecond=0)
    location = api(partner).get("/api/v1/releases/1/files/md5/")["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == ["1"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-SignedHeaders"] == ["host"]
    assert query["X-Amz-Credential"][0].startswith("baseline-test/")
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert 0 <= (signed_at - before).total_seconds() <= 5
    assert query["response-content-disposition"] == ['attachment; filename="baseline-v1.md5.txt"']


def test_the_default_lifetime_is_five_minutes(api, release, partner):
    location = api(partner).get("/api/v1/releases/1/files/md5/")["Location"]
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]
