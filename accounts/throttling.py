"""API rate limits, counted atomically in the shared cache (README: REST API, rate limits).

A token's request counts against two limits: the token's own (`BASELINE_API_RATE`) and its user's
(`BASELINE_API_USER_RATE`), which every token of that user and every session of theirs share, so
that minting more tokens does not multiply the allowance. A session counts against its user's limit
only; an anonymous caller against its address's (`anon`, 120/hour).

Windows are fixed: a counter starts at the first request, expires `duration` seconds later, and a
request is let through only while every counter it touches is under its limit. In Redis the check and
the increments are one Lua script, so simultaneous requests from any number of processes get
exactly the limit through; a refused request is not counted. A fixed window lets a client spend
one window's allowance at its end and the next one's at the start of the next, so up to twice the
limit in a short stretch around a boundary. The in-process cache of development counts under a lock.
"""

from __future__ import annotations

import threading
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiToken
from accounts.network import client_address

# KEYS: the counters; ARGV: a limit and a window (seconds) per counter, in the same order, then the
# cost of this request (1, or a match call's number of queries).
# Returns 0 when every counter was under its limit (and all were incremented), else the seconds
# until the first full counter's window ends (at least 1).
_CHECK_AND_COUNT = """
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count + tonumber(ARGV[#ARGV]) > tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('TTL', key)
    if ttl < 0 then
      redis.call('EXPIRE', key, ARGV[2 * i])
      ttl = tonumber(ARGV[2 * i])
    end
    return math.max(ttl, 1)
  end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCRBY', key, ARGV[#ARGV]) == tonumber(ARGV[#ARGV]) then
    redis.call('EXPIRE', key, ARGV[2 * i])
  end
end
return 0
"""

_local_lock = threading.Lock()


def parse_rate(rate: str) -> tuple[int, int]:
    """`N/second|minute|hour|day` (config/env.py checks the form) → (requests, seconds)."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def check_and_count(counters: list[tuple[str, int, int]], cost: int = 1) -> int:
    """For (key, limit, window) counters: 0 and every counter increased by `cost` if each stays within
    its limit; else the seconds until the full one frees up, and nothing counted."""
    cache = caches["default"]
    keys = [cache.make_and_validate_key(key) for key, _, _ in counters]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(keys[0], write=True)
        args = [value for _, limit, window in counters for value in (limit, window)]
        return int(client.eval(_CHECK_AND_COUNT, len(keys), *keys, *args, cost))
    with _local_lock:  # development's in-process cache: one process, so a lock is enough
        now = time.monotonic()
        states = [cache.get(key) for key, _, _ in counters]  # (count, window end) or None
        states = [state if state and state[1] > now else (0, now + window)
                  for state, (_, _, window) in zip(states, counters, strict=True)]
        for (count, ends), (_, limit, _) in zip(states, counters, strict=True):
            if count + cost > limit:
                return max(int(ends - now + 0.999), 1)
        for (count, ends), (key, _, window) in zip(states, counters, strict=True):
            cache.set(key, (count + cost, ends), timeout=window)
        return 0


class ApiRateThrottle(BaseThrottle):
    """Per token and per user (tokens), per user (sessions), per address (anonymous callers)."""

    def counters(self, request) -> list[tuple[str, int, int]]:
        rates = api_settings.DEFAULT_THROTTLE_RATES  # read per request: settings may change in tests
        user = getattr(request, "user", None)
        counters = []
        if isinstance(request.auth, ApiToken):
            counters.append((f"throttle:token:{request.auth.pk}", *parse_rate(rates["token"])))
        if user is not None and user.is_authenticated:
            counters.append((f"throttle:user:{user.pk}", *parse_rate(rates["user"])))
        else:
            counters.append((f"throttle:anon:{client_address(request) or 'unknown'}", *parse_rate(rates["anon"])))
        return counters

    def allow_request(self, request, view) -> bool:
        self._wait = check_and_count(self.counters(request))
        return self._wait == 0

    def wait(self) -> int | None:
        return getattr(self, "_wait", None) or None


def spend_match_queries(user, queries: int) -> int:
    """`POST match/` counts queries, not calls (DESIGN.md section 9): 0 if the user's
    `BASELINE_MATCH_QUERY_RATE` allows `queries` more (and they are counted), else the seconds to wait."""
    from django.conf import settings

    return check_and_count([(f"throttle:match:{user.pk}", *parse_rate(settings.BASELINE_MATCH_QUERY_RATE))],
                           cost=queries)
