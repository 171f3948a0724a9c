"""API rate limits (issue 11, item 7), against the real Redis of the test settings: counted atomically
(16 simultaneous threads get exactly the limit through), per token and per user (a user's tokens
and sessions share one count), 429 in the error shape with Retry-After."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import token_create
from core.actors import SYSTEM

THREADS = 16


@pytest.fixture(autouse=True)
def real_redis():
    assert isinstance(caches["default"], RedisCache), "these tests need the shared Redis cache (REDIS_URL)"


def rates(settings, *, token: str, user: str, anon: str = "120/hour") -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"token": token, "user": user, "anon": anon}}


def me(key: str | None = None, client: APIClient | None = None):
    client = client or APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"} if key else {}
    return client.get("/api/v1/me/", **headers)


def hammer(keys: list[str], per_thread: int) -> Counter:
    """THREADS threads released together, thread i sending `per_thread` requests with keys[i % len]."""
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def run(key: str) -> None:
        client = APIClient(raise_request_exception=False)
        try:
            barrier.wait()
            for _ in range(per_thread):
                statuses.append(me(key, client).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(keys[i % len(keys)],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return Counter(statuses)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_simultaneous_threads_get_exactly_the_token_limit_through(personas, settings):
    rates(settings, token="40/hour", user="10000/hour")
    _, key = token_create(actor=SYSTEM, user=personas.partner, name="bulk")
    assert hammer([key], per_thread=6) == Counter({200: 40, 429: THREADS * 6 - 40})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_simultaneous_threads_on_two_tokens_get_exactly_the_user_limit_through(personas, settings):
    rates(settings, token="10000/hour", user="30/hour")
    keys = [token_create(actor=SYSTEM, user=personas.partner, name=f"bulk {i}")[1] for i in range(2)]
    assert hammer(keys, per_thread=4) == Counter({200: 30, 429: THREADS * 4 - 30})


@pytest.mark.django_db
def test_a_users_tokens_and_sessions_share_the_user_limit(personas, settings, client):
    rates(settings, token="100/hour", user="6/hour")
    first, second = (token_create(actor=SYSTEM, user=personas.partner, name=n)[1] for n in ("a", "b"))
    assert [me(first).status_code for _ in range(3)] == [200] * 3
    assert [me(second).status_code for _ in range(2)] == [200] * 2
    client.force_login(personas.partner)
    assert client.get("/api/v1/me/").status_code == 200  # the sixth request of this user
    refused = [me(first), me(second), client.get("/api/v1/me/")]
    assert [r.status_code for r in refused] == [429] * 3
    body = refused[0].json()
    assert body["code"] == "throttled" and body["detail"].startswith("Request was throttled.")
    assert 3500 <= int(refused[0]["Retry-After"]) <= 3600
    # Another user has their own count.
    _, other = token_create(actor=SYSTEM, user=personas.curator, name="c")
    assert me(other).status_code == 200


@pytest.mark.django_db
def test_each_token_has_its_own_limit_within_the_users(personas, settings):
    rates(settings, token="3/minute", user="100/hour")
    first, second = (token_create(actor=SYSTEM, user=personas.partner, name=n)[1] for n in ("a", "b"))
    assert [me(first).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert 1 <= int(me(first)["Retry-After"]) <= 60
    assert [me(second).status_code for _ in range(3)] == [200] * 3


@pytest.mark.django_db
def test_a_refused_request_is_not_counted(personas, settings):
    rates(settings, token="2/minute", user="3/minute")
    first, second = (token_create(actor=SYSTEM, user=personas.partner, name=n)[1] for n in ("a", "b"))
    assert [me(first).status_code for _ in range(5)] == [200, 200, 429, 429, 429]
    # The refusals of the first token did not use up the user's third request.
    assert [me(second).status_code for _ in range(2)] == [200, 429]
