import threading

import pytest
from django.db import connection, transaction

from core import audit
from core.actors import SYSTEM
from core.models import AuditEntry
from tests.races import all_at_once

WRITERS = 8
PER_WRITER = 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_writers_never_fork_the_chain():
    def writer(n: int) -> None:
        for i in range(PER_WRITER):
            with transaction.atomic():
                audit.record(actor=SYSTEM, action="organisation.update", object_type="w", object_id=f"{n}-{i}")

    assert all_at_once(writer, [(n,) for n in range(WRITERS)]) == [None] * WRITERS
    seqs = list(AuditEntry.objects.filter(action="organisation.update").values_list("seq", flat=True))
    assert len(seqs) == WRITERS * PER_WRITER
    count, broken = audit.verify()
    assert broken is None and count == AuditEntry.objects.count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_verifying_while_others_append_reports_no_break():
    with transaction.atomic():
        audit.record_many(actor=SYSTEM, changes=[audit.Change("organisation.update", "w", i) for i in range(3000)])
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            i = 0
            while not stop.is_set():
                with transaction.atomic():
                    audit.record(actor=SYSTEM, action="organisation.update", object_type="w", object_id=f"{n}-{i}")
                i += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    try:
        results = [audit.verify() for _ in range(5)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert [broken for _, broken in results] == [None] * 5
    assert AuditEntry.objects.filter(action="organisation.update").exists()  # the writers did write during the walks
