import hashlib
import json
import time
from io import BytesIO

import pytest
from baseline_client.hashing import media
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.test import override_settings

from core.models import AuditEntry
from curation.hashing.uploads import MemoryOnlyUploadHandler
from curation.models import Signature
from tests.clients import VerifiedClient
from tests.curation.helpers import TESTDATA, files_holding, large_png, large_video, no_file_writes

pytestmark = pytest.mark.django_db
JPEG = TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg"
MP4 = TESTDATA / "vpdq" / "pattern-hd-no-bar.mp4"

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


def test_a_video_gets_cryptographic_signatures_and_its_vpdq(personas, api):
    data = MP4.read_bytes()
    response = post_file(api, personas.investigator, "clip.jpg", data)  # the name does not matter
    assert response.status_code == 200
    body = response.json()
    assert body["media_type"] == "video"
    assert [s["algorithm"] for s in body["signatures"]] == ["md5", "sha1", "sha256", "vpdq"]
    frames = json.loads(body["signatures"][3]["value"])
    assert len(frames) == 7 and frames[1].endswith(",1.000")  # one a second of a 6.9 s video
    assert body["video"] == {"frame_count": 206, "duration": 6.867, "hashed_frames": 7, "usable_frames": 7,
                             "seconds_per_hash": 1.0, "width": 720, "height": 1280}


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


def test_a_large_upload_is_hashed_without_touching_the_disk(personas, api):
    data = large_png()
    assert len(data) > 4.5 * 2**20
    with no_file_writes():
        response = post_file(api, personas.investigator, "big.png", data)
    assert response.status_code == 200
    sigs = {s["algorithm"]: s["value"] for s in response.json()["signatures"]}
    assert sigs["sha256"] == hashlib.sha256(data).hexdigest() and len(sigs["pdq"]) == 64


def test_a_video_over_the_spill_size_is_hashed_without_a_byte_reaching_the_disk(personas, api):
    data = large_video()
    assert len(data) > 2.5 * 2**20  # Django's FILE_UPLOAD_MAX_MEMORY_SIZE
    chunk, started = data[len(data) // 2:len(data) // 2 + 64], time.time()
    with no_file_writes() as tried:
        response = post_file(api, personas.investigator, "big.mp4", data)
    assert response.status_code == 200 and tried == []
    assert response.json()["video"]["frame_count"] >= 30
    assert files_holding(chunk, started) == []


def test_the_disk_scan_finds_a_file_holding_the_bytes(tmp_path):
    chunk, started = large_video()[:64], time.time()
    (tmp_path / "spilled.upload").write_bytes(b"x" * 100 + chunk)
    assert files_holding(chunk, started) == [str(tmp_path / "spilled.upload")]


def test_the_large_upload_test_would_catch_djangos_default_handlers(personas, api):
    defaults = ["django.core.files.uploadhandler.MemoryFileUploadHandler",
                "django.core.files.uploadhandler.TemporaryFileUploadHandler"]
    with override_settings(FILE_UPLOAD_HANDLERS=defaults), no_file_writes(), \
            pytest.raises(RuntimeError, match="for writing"):
        post_file(api, personas.investigator, "big.png", large_png())


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
    assert response.json() == {"detail": "The file is larger than the 1 MB limit.", "code": "too_large"}


@override_settings(BASELINE_MAX_UPLOAD_MB=1)
def test_a_body_up_to_twice_the_limit_is_read_to_its_end_so_the_client_sees_the_413(personas, api):
    response = post_file(api, personas.investigator, "big.jpg", b"\xff\xd8\xff" + b"0" * (2 * 1024 * 1024 - 4096))
    assert response.status_code == 413
    assert response.wsgi_request.read() == b""  # nothing left unread to make the server reset the connection
    huge = post_file(api, personas.investigator, "huge.jpg", b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024))
    assert huge.status_code == 413
    assert len(huge.wsgi_request.read()) > 1024 * 1024  # beyond that, not read at all


@override_settings(BASELINE_MAX_UPLOAD_MB=1)
def test_a_file_overflowing_while_streaming_stops_without_a_connection_reset(rf):
    handler = MemoryOnlyUploadHandler(rf.post("/"))
    assert handler.handle_raw_input(BytesIO(), {}, 1024 * 1024 + 1000, b"x") is None
    handler.new_file("file", "big.jpg", "image/jpeg", None)
    handler.receive_data_chunk(b"0" * 1024 * 1024, 0)
    with pytest.raises(StopUpload) as stopped:
        handler.receive_data_chunk(b"0", 1024 * 1024)
    assert stopped.value.connection_reset is False  # Django then reads the (bounded) rest of the body
    assert handler.buffer.tell() == 0  # and what was received is dropped


@override_settings(BASELINE_MAX_UPLOAD_MB=1)
@pytest.mark.parametrize("size", [2 * 1024 * 1024, 1024 * 1024 + 10])
def test_token_callers_get_413_json_with_csrf_checks_on(personas, api, size):
    upload = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * size)
    client = api(personas.investigator, enforce_csrf_checks=True)
    response = client.post("/api/v1/hash/", {"file": upload}, format="multipart")
    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than the 1 MB limit.", "code": "too_large"}


@override_settings(BASELINE_MAX_UPLOAD_MB=1)
def test_a_browser_session_over_the_limit_gets_413_json_not_a_csrf_403(personas):
    client = VerifiedClient(enforce_csrf_checks=True)
    client.force_login(personas.investigator)
    upload = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (2 * 1024 * 1024))
    response = client.post("/api/v1/hash/", {"file": upload})
    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than the 1 MB limit.", "code": "too_large"}
    small = client.post("/api/v1/hash/", {"file": SimpleUploadedFile("a.jpg", JPEG.read_bytes())})
    assert small.status_code == 403 and "CSRF" in small.json()["detail"]  # no token: still refused


def test_an_image_too_large_to_decode_gets_413_in_the_error_shape(personas, api, monkeypatch):
    def out_of_memory(*args):
        raise MemoryError

    monkeypatch.setattr(media, "_to_working_size", out_of_memory)
    response = post_file(api, personas.investigator, "huge.jpg", JPEG.read_bytes())
    assert response.status_code == 413
    assert response.json() == {"detail": "The JPEG image is too large to decode.", "code": "image_too_large"}


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
