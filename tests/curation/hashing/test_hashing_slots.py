"""At most two hashing requests at a time per user (issue 11), counted in the shared cache: real
Redis, real threads, real requests."""

from __future__ import annotations

import re
import threading

import pytest
import redis
from baseline_client.hashing import media
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from curation.hashing import slots
from tests.clients import VerifiedClient, api_key_for
from tests.curation.helpers import TESTDATA
from tests.races import all_at_once

JPEG = (TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg").read_bytes()
BUSY = {"detail": "You already have 2 files being hashed; wait until one of them is done and try again.",
        "code": "too_many_hashing_requests"}


def test_the_cache_is_redis() -> None:
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
    return client


def _post(client: APIClient, data: bytes = JPEG):
    return client.post("/api/v1/hash/", {"file": SimpleUploadedFile("a.jpg", data)}, format="multipart")


def _slots_free(user) -> bool:
    return all(cache.get(slots.slot_key(user.pk, n)) is None for n in range(slots.HASHING_SLOTS))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_three_simultaneous_requests_the_third_gets_429(personas, monkeypatch) -> None:
    clients = [_client(personas.investigator) for _ in range(3)]
    refused = threading.Event()
    real_hash = media.hash_bytes

    def hash_holding_the_slot(data, **kwargs):
        # Requests that got a slot keep it until the third has been answered, so all three overlap.
        refused.wait(timeout=20)
        return real_hash(data, **kwargs)

    monkeypatch.setattr(media, "hash_bytes", hash_holding_the_slot)
    def request(client: APIClient):
        response = _post(client)
        if response.status_code == 429:
            refused.set()
        return response

    responses = all_at_once(request, [(c,) for c in clients])
    answers = [(r.status_code, r.json()) for r in responses]
    assert [r["Retry-After"] for r in responses if r.status_code == 429] == ["5"]
    assert sorted(status for status, _ in answers) == [200, 200, 429], answers
    assert [body for status, body in answers if status == 429] == [BUSY]
    assert _slots_free(personas.investigator)  # released in finally
    assert _post(clients[0]).status_code == 200


@pytest.mark.django_db
def test_held_slots_refuse_the_api_and_the_page_but_not_another_user(personas) -> None:
    client = _client(personas.investigator)
    browser = VerifiedClient(enforce_csrf_checks=True)
    browser.force_login(personas.investigator)
    page = browser.get("/submit/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    def hash_on_the_page():
        return browser.post("/submit/", {"csrfmiddlewaretoken": token, "action": "hash",
                                         "file": SimpleUploadedFile("a.jpg", JPEG)})

    with slots.hashing_slot(personas.investigator), slots.hashing_slot(personas.investigator):
        response = _post(client)
        assert (response.status_code, response.json()) == (429, BUSY)
        on_page = hash_on_the_page()
        assert on_page.status_code == 429
        assert BUSY["detail"] in on_page.content.decode() and on_page.context["form"]["sig_md5"] == ""
        assert _post(_client(personas.colleague)).status_code == 200
    assert _slots_free(personas.investigator)
    assert _post(client).status_code == 200
    assert hash_on_the_page().status_code == 200


@pytest.mark.django_db
def test_a_slot_expires_by_itself_and_is_released_when_hashing_fails(personas) -> None:
    raw = redis.Redis.from_url(settings.REDIS_URL)
    with slots.hashing_slot(personas.investigator):
        ttl = raw.ttl(cache.make_key(slots.slot_key(personas.investigator.pk, 0)))
        assert 0 < ttl <= slots.SLOT_SECONDS  # a worker that dies here frees the slot by then
    client = _client(personas.investigator)
    for _ in range(3):  # corrupt files: each 400 gives its slot back
        assert _post(client, JPEG[: len(JPEG) // 3]).status_code == 400
    assert _slots_free(personas.investigator)
