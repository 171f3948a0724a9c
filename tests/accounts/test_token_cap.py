"""At most five active API tokens per user (issue 11, item 7): a sixth is a 409 `too_many_tokens`,
also between simultaneous creations (real threads on PostgreSQL), and refusals write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_create, token_revoke
from core.actions import AuditAction
from core.actors import SYSTEM
from core.errors import DomainError
from core.models import AuditEntry
from tests.races import all_at_once

LIMIT = 5


@pytest.mark.django_db
def test_a_sixth_active_token_is_refused_with_a_clear_conflict(personas):
    user = personas.partner
    for i in range(LIMIT):
        token_create(actor=user, user=user, name=f"client {i}")
    with pytest.raises(DomainError) as refused:
        token_create(actor=user, user=user, name="one too many")
    assert (refused.value.status, refused.value.code) == (409, "too_many_tokens")
    assert refused.value.message == ("partner already has 5 active API tokens, the most one user may hold; "
                                     "revoke one first.")
    assert ApiToken.objects.filter(user=user).count() == LIMIT
    assert AuditEntry.objects.filter(action=AuditAction.TOKEN_CREATE).count() == LIMIT
    # Another user is not affected.
    token_create(actor=SYSTEM, user=personas.curator)


@pytest.mark.django_db
def test_revoked_and_expired_tokens_do_not_count(personas):
    user = personas.partner
    tokens = [token_create(actor=user, user=user)[0] for _ in range(LIMIT)]
    token_revoke(actor=user, token=tokens[0])
    ApiToken.objects.filter(pk=tokens[1].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    token_create(actor=user, user=user)
    token_create(actor=user, user=user)
    with pytest.raises(DomainError, match="already has 5 active"):
        token_create(actor=user, user=user)


@pytest.mark.django_db
def test_the_operators_command_is_refused_too(personas):
    for _ in range(LIMIT):
        token_create(actor=SYSTEM, user=personas.partner)
    with pytest.raises(CommandError, match="already has 5 active API tokens"):
        call_command("create_token", "partner")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_creations_never_exceed_five(personas):
    if connection.vendor != "postgresql":
        pytest.skip("a race test for PostgreSQL")
    user = personas.partner
    for _ in range(3):
        token_create(actor=user, user=user)

    def create(i: int) -> str:
        token_create(actor=user, user=user, name=f"racer {i}")
        return "created"

    outcomes = all_at_once(create, [(i,) for i in range(8)])
    assert sorted(outcomes) == ["409 too_many_tokens"] * 6 + ["created"] * 2
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == LIMIT
    assert AuditEntry.objects.filter(action=AuditAction.TOKEN_CREATE).count() == LIMIT
