"""Five reviewers agree at the same instant: exactly three agreements count, one approval, two 409s.

Each thread has its own database connection; a barrier releases them together. The item's row
lock in `review_record` is what makes this hold (without it the test fails: see the README).
"""

from collections import Counter

import pytest

from accounts.models import Role
from core.models import AuditEntry
from curation.models import Review, Submission
from curation.reviews.services import review_record
from tests.curation.helpers import YES, make_item
from tests.factories import UserFactory
from tests.races import all_at_once

ROUNDS = 20


def review_all_at_once(item, reviewers) -> list[object]:
    def review(user):
        review_record(actor=user, item=item, answers=dict(YES))
        return "recorded"

    return all_at_once(review, [(user,) for user in reviewers])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_agreements_decide_an_item_exactly_once(personas):
    r = personas.reviewers
    # Organisations A, A, B, B, C: any three of these span at least two organisations, so the
    # first three agreements, in whatever order they land, always approve.
    reviewers = [
        r[0], UserFactory(username="rhine2", organisation=r[0].organisation, roles=[Role.REVIEWER]),
        r[1], UserFactory(username="maple2", organisation=r[1].organisation, roles=[Role.REVIEWER]),
        r[2],
    ]
    for _ in range(ROUNDS):
        item = make_item(personas.investigator)
        outcomes = review_all_at_once(item, reviewers)
        assert Counter(outcomes) == {"recorded": 3, "409 not_pending": 2}, outcomes
        item.refresh_from_db()
        assert item.status == Submission.Status.APPROVED
        assert Review.objects.filter(submission=item).count() == 3
        decisions = AuditEntry.objects.filter(object_id=str(item.pk), action__startswith="submission.a")
        assert decisions.count() == 1
