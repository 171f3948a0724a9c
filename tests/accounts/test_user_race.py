"""Two requests create the same username at the same instant: one user, and the other a clear 409."""

import threading

import pytest
from django.db import connection, transaction

from accounts.models import Role, User
from accounts.services import user_create
from core.actors import SYSTEM
from core.errors import DomainError
from tests.factories import OrganisationFactory


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_simultaneous_create_of_the_same_username_is_a_clear_conflict():
    """Deterministic: another transaction has inserted "racer" but not committed, so the pre-check
    sees nothing and the insert waits on the unique index until that transaction commits."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's pg_locks")
    org = OrganisationFactory(name="Race Police")
    inserted, outcome = threading.Event(), []

    def other_request():
        try:
            with transaction.atomic():
                User.objects.create(username="racer", organisation=org)
                inserted.set()
                with connection.cursor() as cursor:  # commit only once the service's insert waits on ours
                    for _ in range(1000):
                        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' "
                                       "AND transactionid = pg_current_xact_id()::xid")
                        if cursor.fetchone()[0]:
                            break
                        threading.Event().wait(0.01)
        finally:
            inserted.set()
            connection.close()

    def service():
        inserted.wait(10)
        try:
            user_create(actor=SYSTEM, username="racer", organisation=org, roles=[Role.INVESTIGATOR])
        except DomainError as exc:
            outcome.append((exc.code, exc.status, exc.message))
        except Exception as exc:  # an IntegrityError here is the bug: a 500 in the browser
            outcome.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=other_request), threading.Thread(target=service)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcome == [("exists", 409, "A user named 'racer' exists.")]
    assert User.objects.filter(username="racer").count() == 1
