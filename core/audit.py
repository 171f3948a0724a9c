"""The audit log: one `record(...)` for every service, and a streaming verifier.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical content, so
changing, removing or reordering any row breaks every hash after it. Appends lock the single
`AuditHead` row, so two transactions can never chain onto the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.actions import AuditAction
from core.actors import Operator, SystemActor
from core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
OPERATOR_NAME = "operator"  # the actor_username of an act run from a management command


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)


def entry_content(
    *,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    actor_username: str,
    organisation_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    details: dict,
) -> str:
    return canonical_json(
        {
            "seq": seq,
            "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_username": actor_username,
            "organisation_id": organisation_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "details": details,
        }
    )


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


@dataclass(frozen=True)
class Change:
    """One change to record: what was done to which object."""

    action: AuditAction
    object_type: str
    object_id: Any
    details: dict | None = None


def record(
    *,
    actor,
    action: AuditAction,
    obj=None,
    object_type: str | None = None,
    object_id: Any = None,
    details: dict | None = None,
) -> AuditEntry:
    """Append an entry. Must run inside the transaction of the change it records."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    return record_many(actor=actor, changes=[Change(action, object_type or "", object_id, details)])[0]


def record_many(*, actor, changes: list[Change]) -> list[AuditEntry]:
    """Append several entries under one lock of the head (bulk import). Same rules as `record`."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the change.")
    if not isinstance(actor, SystemActor | Operator) and not getattr(actor, "pk", None):
        raise TypeError(f"audit.record needs an actor (a user, SYSTEM or an Operator), not {actor!r}.")
    actor_id = getattr(actor, "pk", None)
    operator = isinstance(actor, Operator)
    common = {
        "actor_id": actor_id,
        "actor_username": OPERATOR_NAME if operator else getattr(actor, "username", "") if actor_id else "",
        "organisation_id": getattr(actor, "organisation_id", None) if actor_id else None,
    }
    # The operator's acts say who ran the command where (DESIGN.md section 3: listed until acknowledged).
    who = {"operator": {"os_user": actor.os_user, "host": actor.host}} if operator else {}
    # The row exists from the first migration; get_or_create only guards a flushed test database.
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    seq, prev_hash, now = head.seq, head.hash, timezone.now()
    entries = []
    for change in changes:
        seq += 1
        fields = {
            **common,
            "created_at": now,
            "action": AuditAction(change.action).value,  # only declared actions (core/actions.py)
            "object_type": change.object_type,
            "object_id": "" if change.object_id is None else str(change.object_id),
            "details": json.loads(canonical_json({**(change.details or {}), **who})),  # exactly what is hashed
        }
        entry_hash = chain_hash(prev_hash, entry_content(seq=seq, **fields))
        entries.append(AuditEntry(seq=seq, prev_hash=prev_hash, hash=entry_hash, **fields))
        prev_hash = entry_hash
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev_hash)
    return entries


def head_hash() -> str:
    """The hash of the newest entry (GENESIS when the log is empty)."""
    last = AuditEntry.objects.order_by("-seq").values_list("hash", flat=True).first()
    return last or GENESIS


@dataclass
class Break:
    seq: int
    entry_id: int
    reason: str


def verify(entries: Iterator[AuditEntry] | None = None) -> tuple[int, Break | None]:
    """Walk the chain as a stream. Returns (entries checked, first break or None).

    The head is read first and the walk stops at it: on a live system entries appended while the
    walk runs come after that head (an append writes its entries and the head in one transaction),
    so they are neither checked nor mistaken for a removal. They are checked by the next run."""
    return verify_up_to(AuditHead.objects.filter(pk=1).first(), entries)


def verify_up_to(head: AuditHead | None, entries: Iterator[AuditEntry] | None = None) -> tuple[int, Break | None]:
    """Verify the entries up to `head` (a head read before the walk; None: a flushed database)."""
    if entries is None:
        rows = AuditEntry.objects.order_by("seq")
        if head is not None:
            rows = rows.filter(seq__lte=head.seq)
        entries = rows.iterator(chunk_size=2000)
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for entry in entries:
        if head is not None and entry.seq > head.seq:
            break  # appended after the walk began
        count += 1
        if entry.seq != expected_seq:
            return count, Break(entry.seq, entry.pk, f"expected sequence {expected_seq}: an entry is missing")
        if entry.prev_hash != prev_hash:
            return count, Break(entry.seq, entry.pk, "does not chain to the previous entry")
        if chain_hash(prev_hash, _content_of(entry)) != entry.hash:
            return count, Break(entry.seq, entry.pk, "content does not match its hash (edited)")
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return count, Break(head.seq, 0, "the newest entries were removed (head does not match)")
    return count, None


def _content_of(entry: AuditEntry) -> str:
    return entry_content(
        seq=entry.seq,
        created_at=entry.created_at,
        actor_id=entry.actor_id,
        actor_username=entry.actor_username,
        organisation_id=entry.organisation_id,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        details=entry.details,
    )
