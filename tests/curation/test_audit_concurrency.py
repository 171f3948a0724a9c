import threading

import pytest
from django.db import connection, transaction

from curation import audit
from curation.models import AuditEntry

WRITERS = 8
PER_WRITER = 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_writers_never_fork_the_chain():
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_WRITER):
                with transaction.atomic():
                    audit.record(actor=None, action="race", object_type="w", object_id=f"{n}-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = list(AuditEntry.objects.filter(action="race").values_list("seq", flat=True))
    assert len(seqs) == WRITERS * PER_WRITER
    count, broken = audit.verify()
    assert broken is None and count == AuditEntry.objects.count()
