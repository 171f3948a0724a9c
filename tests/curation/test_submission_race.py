"""Two investigators submit the same signature at the same instant: exactly one item exists."""

import threading

import pytest
from django.db import connection

from curation import services
from curation.errors import CurationError
from curation.models import Signature, Submission
from tests.curation.helpers import fake

ROUNDS = 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_submissions_of_one_signature_create_one_item(personas):
    submitters = [personas.investigator, personas.colleague, personas.investigator]
    for _ in range(ROUNDS):
        value = fake("sha256")
        barrier = threading.Barrier(len(submitters))
        outcomes: list[object] = []

        def submit(user, value=value, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait()
                item = services.submission_create(actor=user, item=services.ItemInput(
                    media_type="image", external_reference="R",
                    signatures=[{"algorithm": "sha256", "value": value}, {"algorithm": "md5", "value": fake("md5")}],
                ))
                outcomes.append(item.pk)
            except CurationError as exc:
                outcomes.append(exc.code)
            except Exception as exc:
                outcomes.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=submit, args=(u,)) for u in submitters]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        created = [o for o in outcomes if not isinstance(o, str)]
        assert len(created) == 1, outcomes
        assert sorted(o for o in outcomes if isinstance(o, str)) == ["duplicate", "duplicate"]
        assert Signature.objects.filter(value=value, active=True).count() == 1
    assert Submission.objects.count() == ROUNDS
