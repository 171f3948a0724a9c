"""`POST hash/` and the Submit page on videos (DESIGN.md section 8): the sampling option, one video
at a time per user (real Redis, real threads), and every bad video a clear 4xx that stores and
audits nothing."""

from __future__ import annotations

import json
import re
import threading

import pytest
from baseline_client.hashing import media
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from core.models import AuditEntry
from curation.hashing import slots
from curation.models import Signature, Submission
from tests.clients import VerifiedClient, api_key_for
from tests.curation.hashing.test_video import BAD_VIDEOS
from tests.curation.helpers import TESTDATA
from tests.races import all_at_once

MP4 = (TESTDATA / "vpdq" / "pattern-hd-no-bar.mp4").read_bytes()
JPEG = (TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg").read_bytes()
VIDEO_BUSY = {"detail": "You already have a video being hashed; wait until it is done and try again.",
              "code": "too_many_hashing_requests"}


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
    return client


def _post(client: APIClient, data: bytes = MP4, **fields):
    return client.post("/api/v1/hash/", {"file": SimpleUploadedFile("v.mp4", data), **fields}, format="multipart")


def _frames(response) -> list[str]:
    return json.loads(next(s["value"] for s in response.json()["signatures"] if s["algorithm"] == "vpdq"))


@pytest.mark.django_db
@pytest.mark.parametrize(("given", "count"), [({}, 7), ({"seconds_per_hash": "0"}, 206),
                                              ({"seconds_per_hash": "2.5"}, 3), ({"seconds_per_hash": "60"}, 1)])
def test_seconds_per_hash_chooses_the_sampling(personas, given, count):
    response = _post(_client(personas.investigator), **given)
    assert response.status_code == 200
    assert len(_frames(response)) == count == response.json()["video"]["hashed_frames"]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["-1", "60.5", "often", "", "nan"])
def test_a_bad_seconds_per_hash_is_a_400_naming_the_field(personas, bad):
    response = _post(_client(personas.investigator), seconds_per_hash=bad)
    assert response.status_code == 400
    assert list(response.json()) == ["seconds_per_hash"]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "code", "words"), BAD_VIDEOS.values(), ids=BAD_VIDEOS.keys())
def test_each_bad_video_is_a_400_on_the_file_and_changes_nothing(personas, data, code, words):
    client = _client(personas.investigator)  # its token's creation is audited: before counting
    before = (Signature.objects.count(), AuditEntry.objects.count())
    response = _post(client, data)
    assert response.status_code == 400
    [message] = response.json()["file"]
    assert words in message
    assert (Signature.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.django_db
def test_limits_are_413_with_a_detail_and_a_code(personas):
    client = _client(personas.investigator)
    with override_settings(BASELINE_MAX_VIDEO_SECONDS=3):
        response = _post(client)
        assert response.status_code == 413 and response.json()["code"] == "video_too_long"
    with override_settings(BASELINE_MAX_VIDEO_CPU_SECONDS=1):
        longer = (TESTDATA / "vpdq" / "pattern-longer-no-bar.mp4").read_bytes()
        response = _post(client, longer, seconds_per_hash="0")
        assert response.status_code == 413 and response.json()["code"] == "video_cpu_limit"
    assert cache.get(f"video-slot:{personas.investigator.pk}") is None  # given back after a refusal


@pytest.mark.django_db
def test_a_held_video_slot_refuses_a_second_video_but_not_an_image_nor_another_user(personas):
    client = _client(personas.investigator)
    browser = VerifiedClient(enforce_csrf_checks=True)
    browser.force_login(personas.investigator)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get("/submit/").content.decode())[1]
    with slots.video_slot(personas.investigator):
        response = _post(client)
        assert (response.status_code, response.json()) == (429, VIDEO_BUSY)
        page = browser.post("/submit/", {"csrfmiddlewaretoken": token, "action": "hash",
                                         "file": SimpleUploadedFile("v.mp4", MP4)})
        assert page.status_code == 429 and VIDEO_BUSY["detail"] in page.content.decode()
        assert _post(client, JPEG).status_code == 200
        assert _post(_client(personas.colleague)).status_code == 200
    assert _post(client).status_code == 200


@pytest.mark.django_db
def test_the_video_slot_expires_by_itself_after_longer_than_any_video_may_take(personas):
    import redis

    raw = redis.Redis.from_url(settings.REDIS_URL)
    with slots.video_slot(personas.investigator):
        ttl = raw.ttl(cache.make_key(f"video-slot:{personas.investigator.pk}"))
    assert settings.BASELINE_MAX_VIDEO_CPU_SECONDS < ttl <= slots.video_slot_seconds()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_simultaneous_videos_one_is_refused(personas, monkeypatch):
    from tests.conftest import ensure_initial_data

    ensure_initial_data()
    clients = [_client(personas.investigator) for _ in range(2)]
    refused = threading.Event()
    real_hash = media.hash_bytes

    def hash_holding_the_slot(data, **kwargs):
        refused.wait(timeout=20)  # the first keeps its slot until the second has been answered
        return real_hash(data, **kwargs)

    monkeypatch.setattr(media, "hash_bytes", hash_holding_the_slot)

    def request(client):
        response = _post(client)
        if response.status_code == 429:
            refused.set()
        return response

    answers = [(r.status_code, r.json()) for r in all_at_once(request, [(c,) for c in clients])]
    assert sorted(status for status, _ in answers) == [200, 429], answers
    assert [body for status, body in answers if status == 429] == [VIDEO_BUSY]
    assert not Submission.objects.exists()
