"""Failed sign-ins are audited, but a flood from one address cannot grow the append-only chain
without bound: the first FAILURES_RECORDED in the window get an entry each, then one counting
entry per FAILURES_PER_SUMMARY more."""

from __future__ import annotations

import pytest

from accounts import signals
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_flood_of_failed_sign_ins_from_one_address_is_summarised(client, monkeypatch):
    monkeypatch.setattr(signals, "FAILURES_PER_SUMMARY", 5)
    # A different (missing) username each time, as a spray would: the lockout counts per pair.
    for n in range(signals.FAILURES_RECORDED + 12):
        response = client.post("/sign-in/", {"username": f"nobody{n}", "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
        assert response.status_code in (200, 429)
    single = AuditEntry.objects.filter(action="auth.sign_in_failed")
    summaries = AuditEntry.objects.filter(action="auth.sign_in_failures")
    assert single.count() == signals.FAILURES_RECORDED
    assert [e.details["failures"] for e in summaries.order_by("seq")] == [
        signals.FAILURES_RECORDED + 5, signals.FAILURES_RECORDED + 10]
    assert {e.object_id for e in summaries} == {"198.51.100.7"}


def test_another_address_still_gets_its_own_entries(client):
    for n in range(signals.FAILURES_RECORDED + 1):
        client.post("/sign-in/", {"username": f"nobody{n}", "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
    client.post("/sign-in/", {"username": "someone", "password": "wrong"}, REMOTE_ADDR="203.0.113.9")
    assert AuditEntry.objects.filter(action="auth.sign_in_failed", details__address="203.0.113.9").count() == 1
