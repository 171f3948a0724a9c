"""Administrators publish criteria versions at the same instant: each publish gets its own version,
exactly one set stays active, and nobody meets a database error (the one-active constraint).

Each thread has its own PostgreSQL connection; a barrier releases them together."""

import threading
from collections import Counter

import pytest
from django.db import connection

from curation import audit, services
from curation.errors import CurationError
from curation.models import CriteriaSet

ROUNDS = 10
WRITERS = 4


def publish_all_at_once(admin, round_: int) -> list[str]:
    barrier = threading.Barrier(WRITERS)
    outcomes: list[str] = []

    def publish(n: int) -> None:
        try:
            barrier.wait()
            new = services.criteria_publish(actor=admin, criteria=[(f"key_{round_}_{n}", "A question?")])
            outcomes.append(f"v{new.version}")
        except CurationError as exc:
            outcomes.append(f"{exc.status} {exc.code}")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_criteria_publishes_each_get_a_version_and_one_stays_active(personas):
    for round_ in range(ROUNDS):
        before = CriteriaSet.objects.order_by("-version").first().version
        outcomes = publish_all_at_once(personas.admin, round_)
        expected = {f"v{before + n}" for n in range(1, WRITERS + 1)}
        assert set(outcomes) == expected and Counter(outcomes).most_common(1)[0][1] == 1, outcomes
        active = CriteriaSet.objects.get(is_active=True)
        assert active.version == before + WRITERS  # the last publish is the one in force
    assert audit.verify()[1] is None
