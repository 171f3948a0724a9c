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
    return _append(actor, [Change(action, object_type or "", object_id, details)], instances=True)[0]


# From this many entries at once (a bulk import's batch), PostgreSQL takes them by COPY: a model
# instance per entry, and binding its fields, cost more than hashing it.
COPY_FROM = 100
COLUMNS = ("seq", "created_at", "actor_id", "actor_username", "organisation_id", "action", "object_type",
           "object_id", "details", "prev_hash", "hash")


def record_many(*, actor, changes: list[Change]) -> None:
    """Append several entries under one lock of the head (bulk import). Same rules and the same
    entries as `record` for each, whichever way they are written."""
    many = len(changes) >= COPY_FROM and transaction.get_connection().vendor == "postgresql"
    _append(actor, changes, instances=not many)


def _append(actor, changes: list[Change], *, instances: bool) -> list[AuditEntry]:
    """Chain the entries onto the head and write them: as model instances (returned), or by COPY."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the change.")
    if not isinstance(actor, SystemActor | Operator) and not getattr(actor, "pk", None):
        raise TypeError(f"audit.record needs an actor (a user, SYSTEM or an Operator), not {actor!r}.")
    actor_id = getattr(actor, "pk", None)
    operator = isinstance(actor, Operator)
    username = OPERATOR_NAME if operator else getattr(actor, "username", "") if actor_id else ""
    organisation_id = getattr(actor, "organisation_id", None) if actor_id else None
    # The operator's acts say who ran the command where (DESIGN.md section 3: listed until acknowledged).
    who = {"operator": {"os_user": actor.os_user, "host": actor.host}} if operator else {}
    # The row exists from the first migration; get_or_create only guards a flushed test database.
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    now = timezone.now()
    rows = _chained(head, changes, who, created_at=now, actor_id=actor_id, actor_username=username,
                    organisation_id=organisation_id)
    entries = []
    if instances:
        entries = [AuditEntry(**dict(zip(COLUMNS, row, strict=True)) | {"details": json.loads(row[8])})
                   for row in rows]
        AuditEntry.objects.bulk_create(entries, batch_size=2000)
    else:
        with connection.cursor() as cursor, connection.wrap_database_errors, cursor.copy(
            "COPY curation_auditentry (seq, created_at, actor_id, actor_username, organisation_id, action, "
            "object_type, object_id, details, prev_hash, hash) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    AuditHead.objects.filter(pk=1).update(seq=head.seq, hash=head.hash)
    return entries


def _chained(head: AuditHead, changes: list[Change], who: dict, **common) -> Iterator[tuple]:
    """The rows of `changes` (in COLUMNS order, details as canonical JSON), each chained onto the one
    before, starting at `head`, which is moved along to the last."""
    content_of = _content_maker(**common)
    # The details are stored as JSON and hashed as canonical JSON of what is stored: the text of
    # json.loads(text) again (which may differ from the text, e.g. in the order of non-string
    # keys). Many entries of one batch have the same details, so that is done once for each.
    stored: dict[str, str] = {}
    for change in changes:
        first = canonical_json({**(change.details or {}), **who})
        details = stored.get(first)
        if details is None:
            details = stored[first] = canonical_json(json.loads(first))
        action = AuditAction(change.action).value  # only declared actions (core/actions.py)
        object_id = "" if change.object_id is None else str(change.object_id)
        seq = head.seq + 1
        entry_hash = chain_hash(head.hash, content_of(seq, action, change.object_type, object_id, details))
        yield (seq, common["created_at"], common["actor_id"], common["actor_username"], common["organisation_id"],
               action, change.object_type, object_id, details, head.hash, entry_hash)
        head.seq, head.hash = seq, entry_hash


def _content_maker(*, created_at: datetime, actor_id: int | None, actor_username: str,
                   organisation_id: int | None):
    """`entry_content` for many entries of one actor at one moment, the parts they share written
    once: the same text, its keys in sorted order (tests/core/test_audit.py compares the two)."""
    text = canonical_json
    shared = (f',"actor_id":{text(actor_id)},"actor_username":{text(actor_username)},"created_at":'
              f'{text(created_at.astimezone(UTC).isoformat(timespec="microseconds"))},"details":')
    organisation = f',"organisation_id":{text(organisation_id)},"seq":'

    def content(seq: int, action: str, object_type: str, object_id: str, details: str) -> str:
        return (f'{{"action":{text(action)}{shared}{details},"object_id":{text(object_id)},'
                f'"object_type":{text(object_type)}{organisation}{seq:d}}}')

    return content


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
