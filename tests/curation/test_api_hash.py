import hashlib
import sys
import threading
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from curation.models import AuditEntry, Signature
from tests.curation.helpers import TESTDATA

pytestmark = pytest.mark.django_db
JPEG = TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg"
MP4 = TESTDATA / "vpdq" / "pattern-hd-no-bar.mp4"

_guard = threading.local()


def _refuse_writes(event, args):
    if event == "open" and getattr(_guard, "active", False):
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        import os

        writing = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing:
            raise RuntimeError(f"an upload tried to open {args[0]!r} for writing")


sys.addaudithook(_refuse_writes)


@contextmanager
def no_file_writes():
    _guard.active = True
    try:
        yield
    finally:
        _guard.active = False


def post_file(api, user, name, data, content_type="application/octet-stream"):
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    return api(user).post("/api/v1/hash/", {"file": upload}, format="multipart")


def test_an_image_gets_its_cryptographic_and_pdq_signatures(personas, api):
    data = JPEG.read_bytes()
    response = post_file(api, personas.investigator, "holiday.bin", data)
    assert response.status_code == 200
    body = response.json()
    assert body["media_type"] == "image"
    sigs = {s["algorithm"]: s for s in body["signatures"]}
    assert sigs["md5"]["value"] == hashlib.md5(data).hexdigest()  # noqa: S324
    assert sigs["sha256"]["value"] == hashlib.sha256(data).hexdigest()
    assert len(sigs["pdq"]["value"]) == 64 and sigs["pdq"]["quality"] >= 50


def test_a_video_gets_cryptographic_signatures(personas, api):
    data = MP4.read_bytes()
    response = post_file(api, personas.investigator, "clip.jpg", data)  # the name does not matter
    assert response.status_code == 200
    assert response.json()["media_type"] == "video"
    assert {s["algorithm"] for s in response.json()["signatures"]} == {"md5", "sha1", "sha256"}


def test_nothing_is_stored_logged_or_written(personas, api, caplog):
    client = api(personas.investigator)
    before = (Signature.objects.count(), AuditEntry.objects.count())
    data = JPEG.read_bytes()
    with no_file_writes():
        for name, content in (("a.jpg", data), ("b.mp4", MP4.read_bytes())):
            upload = SimpleUploadedFile(name, content)
            assert client.post("/api/v1/hash/", {"file": upload}, format="multipart").status_code == 200
    assert (Signature.objects.count(), AuditEntry.objects.count()) == before
    assert all(data[:64] not in record.getMessage().encode(errors="ignore") for record in caplog.records)


def test_the_write_guard_itself_works(tmp_path):
    with no_file_writes(), pytest.raises(RuntimeError, match="for writing"):
        (tmp_path / "x").write_bytes(b"1")


@override_settings(BASELINE_MAX_UPLOAD_MB=1)
def test_a_file_over_the_limit_gets_413_and_is_not_kept(personas, api):
    with no_file_writes():
        response = post_file(api, personas.investigator, "big.jpg", b"\xff\xd8\xff" + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than the 1 MB limit.", "code": "too_large"}


@override_settings(BASELINE_MAX_UPLOAD_MB=1)
def test_a_file_just_over_the_limit_is_caught_while_streaming(personas, api):
    with no_file_writes():
        response = post_file(api, personas.investigator, "big.jpg", b"\xff\xd8\xff" + b"0" * (1024 * 1024))
    assert response.status_code == 413


def test_neither_image_nor_video_gets_415(personas, api):
    response = post_file(api, personas.investigator, "photo.jpg", b"%!PS-Adobe-3.0 EPSF-3.0\n" + b"x" * 100)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert "neither an image nor a video" in response.json()["detail"]


def test_a_corrupt_image_gets_400(personas, api):
    data = JPEG.read_bytes()
    response = post_file(api, personas.investigator, "broken.jpg", data[: len(data) // 3])
    assert response.status_code == 400
    assert "file" in response.json()


def test_missing_or_empty_file_gets_400(personas, api):
    response = api(personas.investigator).post("/api/v1/hash/", {}, format="multipart")
    assert response.status_code == 400 and response.json() == {"file": ["No file was submitted."]}
    assert post_file(api, personas.investigator, "e.jpg", b"").status_code == 400


def test_json_instead_of_multipart_gets_415(personas, api):
    response = api(personas.investigator).post("/api/v1/hash/", {"file": "x"}, format="json")
    assert response.status_code == 415


@pytest.mark.parametrize("user", ["reviewer", "curator", "partner", "admin", "outsider"])
def test_only_investigators_hash(personas, api, user):
    assert post_file(api, getattr(personas, user), "a.jpg", JPEG.read_bytes()).status_code == 403
