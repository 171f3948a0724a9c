import itertools
import json
import uuid
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core import audit
from core.actors import SYSTEM, Operator
from core.models import AuditEntry, AuditHead

pytestmark = pytest.mark.django_db


def write_entries(personas, n=5):
    with transaction.atomic():
        for i in range(n):
            audit.record(actor=personas.admin, action="organisation.update", object_type="thing", object_id=i,
                         details={"i": i, "note": "é ✓"})


def verify_command() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_log", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, err.getvalue()
    return 0, out.getvalue()


def tamper(sql: str, params: list) -> None:
    """Change rows behind the application's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        # The append-only trigger refuses this; a superuser can switch triggers off, so we do too.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


def test_entries_chain_to_each_other(personas):
    write_entries(personas)
    entries = list(AuditEntry.objects.filter(action="organisation.update"))
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash and after.seq == before.seq + 1
    assert verify_command() == (0, f"Audit log intact: {AuditEntry.objects.count()} entries verified.\n")
    assert audit.head_hash() == entries[-1].hash


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_record_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(actor=SYSTEM, action="organisation.update", object_type="y", object_id=1)


def test_an_entry_rolled_back_with_its_change_leaves_no_trace(personas):
    before = AuditEntry.objects.count()
    with pytest.raises(ValueError), transaction.atomic():
        audit.record(actor=SYSTEM, action="organisation.update", object_type="y", object_id=1)
        raise ValueError("the change failed")
    assert AuditEntry.objects.count() == before
    assert verify_command()[0] == 0


@pytest.mark.parametrize(
    ("column", "value"),
    [("action", "role.revoke"), ("actor_username", "someone-else"), ("object_id", "99")],
)
def test_an_edited_entry_is_named_by_verify_audit_log(personas, column, value):
    write_entries(personas)
    target = AuditEntry.objects.filter(action="organisation.update").order_by("seq")[2]
    tamper(f"UPDATE curation_auditentry SET {column} = %s WHERE id = %s", [value, target.pk])  # noqa: S608
    code, message = verify_command()
    assert code == 1
    assert f"entry #{target.seq} (id {target.pk})" in message and "edited" in message


def test_edited_details_are_detected(personas):
    write_entries(personas)
    target = AuditEntry.objects.filter(action="organisation.update").order_by("seq")[1]
    tamper("UPDATE curation_auditentry SET details = %s WHERE id = %s", [json.dumps({"i": 99}), target.pk])
    code, message = verify_command()
    assert code == 1 and f"#{target.seq}" in message


def test_a_deleted_entry_is_detected(personas):
    write_entries(personas)
    target = AuditEntry.objects.filter(action="organisation.update").order_by("seq")[1]
    tamper("DELETE FROM curation_auditentry WHERE id = %s", [target.pk])
    code, message = verify_command()
    assert code == 1 and f"#{target.seq + 1}" in message and "missing" in message


def test_removing_the_newest_entry_is_detected(personas):
    write_entries(personas)
    last = AuditEntry.objects.order_by("-seq").first()
    tamper("DELETE FROM curation_auditentry WHERE id = %s", [last.pk])
    code, message = verify_command()
    assert code == 1 and "removed" in message


def test_the_database_refuses_updates_and_deletes_of_audit_entries(personas):
    write_entries(personas, 1)
    entry = AuditEntry.objects.first()
    for statement in (
        "UPDATE curation_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM curation_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "organisation.update"


def test_deleting_every_entry_is_detected(personas):
    write_entries(personas)
    tamper("DELETE FROM curation_auditentry", [])
    code, message = verify_command()
    assert code == 1 and "removed" in message


def test_an_append_during_the_walk_is_not_reported_as_a_removal(personas):
    write_entries(personas)
    before = AuditEntry.objects.count()

    def walk_while_someone_appends():
        for n, entry in enumerate(AuditEntry.objects.order_by("seq")):
            if n == 1:
                write_entries(personas, 2)  # a live system keeps writing while the verifier reads
            yield entry

    assert audit.verify(walk_while_someone_appends()) == (before, None)
    assert verify_command() == (0, f"Audit log intact: {before + 2} entries verified.\n")  # checked next time


def test_the_walk_stops_at_the_head_read_before_it(personas):
    write_entries(personas)
    head = AuditHead.objects.get(pk=1)
    write_entries(personas, 3)
    assert audit.verify_up_to(head) == (head.seq, None)


# --- appends by COPY (a bulk import's batch) --------------------------------------------------------

AWKWARD_DETAILS = [
    None,
    {},
    {"note": "é ✓ \"quoted\" \\ back\tslash\nline", "n": 3, "x": 1.5, "none": None, "list": ["b", "a"]},
    {"numbers": {10: "ten", 9: "nine"}},  # non-string keys: hashed as stored, as text (sorted as text)
    {"nested": {"z": 1, "a": [1, {"k": True}]}},
    {"when": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), "id": uuid.UUID(int=7)},
]


@pytest.mark.parametrize("actor", ["admin", SYSTEM, Operator("ops", "host-1")])
@pytest.mark.parametrize("details", AWKWARD_DETAILS)
def test_the_shared_parts_content_is_entry_contents_text(personas, actor, details):
    """record_many writes the parts of the hashed text its entries share once; the text is the same."""
    actor = personas.admin if actor == "admin" else actor
    with transaction.atomic():
        audit.record(actor=actor, action="organisation.update", object_type="thing", object_id="x-1", details=details)
    entry = AuditEntry.objects.order_by("-seq").first()
    content_of = audit._content_maker(created_at=entry.created_at, actor_id=entry.actor_id,
                                      actor_username=entry.actor_username, organisation_id=entry.organisation_id)
    stored = audit.canonical_json(entry.details)
    assert content_of(entry.seq, entry.action, entry.object_type, entry.object_id, stored) == audit._content_of(entry)


@pytest.mark.parametrize("actor", ["admin", Operator("ops", "host-1")])
def test_entries_written_by_copy_are_those_record_writes(personas, actor):
    actor = personas.admin if actor == "admin" else actor
    changes = [audit.Change("organisation.update", "thing", i, AWKWARD_DETAILS[i % len(AWKWARD_DETAILS)])
               for i in range(audit.COPY_FROM + 5)]
    with transaction.atomic():
        audit.record_many(actor=actor, changes=changes)  # by COPY
    with transaction.atomic():
        for change in changes:  # one at a time, as model instances
            audit.record(actor=actor, action=change.action, object_type=change.object_type,
                         object_id=change.object_id, details=change.details)
    fields = ("actor_id", "actor_username", "organisation_id", "action", "object_type", "object_id", "details")
    rows = list(AuditEntry.objects.filter(object_type="thing").order_by("seq").values_list(*fields))
    assert len(rows) == 2 * len(changes) and rows[:len(changes)] == rows[len(changes):]
    assert verify_command() == (0, f"Audit log intact: {AuditEntry.objects.count()} entries verified.\n")
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
