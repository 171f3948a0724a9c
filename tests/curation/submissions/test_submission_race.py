"""Two investigators submit the same signature at the same instant: exactly one item exists."""

import pytest

from curation.models import Signature, Submission
from curation.submissions.services import ItemInput, submission_create
from tests.curation.helpers import fake
from tests.races import all_at_once

ROUNDS = 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_submissions_of_one_signature_create_one_item(personas):
    submitters = [personas.investigator, personas.colleague, personas.investigator]
    for _ in range(ROUNDS):
        value = fake("sha256")

        def submit(user, value=value):
            return submission_create(actor=user, item=ItemInput(
                media_type="image", external_reference="R",
                signatures=[{"algorithm": "sha256", "value": value}, {"algorithm": "md5", "value": fake("md5")}],
            )).pk

        outcomes = all_at_once(submit, [(u,) for u in submitters])
        created = [o for o in outcomes if not isinstance(o, str)]
        assert len(created) == 1, outcomes
        assert sorted(o for o in outcomes if isinstance(o, str)) == ["409 duplicate", "409 duplicate"]
        assert Signature.objects.filter(value=value, active=True).count() == 1
    assert Submission.objects.count() == ROUNDS
