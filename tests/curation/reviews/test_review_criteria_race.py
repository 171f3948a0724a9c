"""Administrators publish criteria versions at the same instant: each publish gets its own version,
exactly one set stays active, and nobody meets a database error (the one-active constraint).

Each thread has its own PostgreSQL connection; a barrier releases them together."""

from collections import Counter

import pytest

from core import audit
from core.actors import SYSTEM
from curation.models import CriteriaSet
from curation.reviews.criteria import criteria_publish
from tests.races import all_at_once

ROUNDS = 10
WRITERS = 4


def publish_all_at_once(admin, round_: int) -> list[object]:
    def publish(n: int) -> str:
        new = criteria_publish(actor=SYSTEM, criteria=[(f"key_{round_}_{n}", "A question?")])
        return f"v{new.version}"

    return all_at_once(publish, [(n,) for n in range(WRITERS)])


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
