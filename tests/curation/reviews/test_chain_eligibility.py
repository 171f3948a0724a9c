"""Chains of linked items (DESIGN.md section 4): nobody who reviewed or recused an earlier item of
an item's chain may review a later one. Refused with 403 like every other ineligibility, and the
later item is not in their queue (API and page); everyone else's queue is unaffected."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from core.errors import DomainError
from curation.models import Submission
from curation.reviews.selectors import review_queue_for
from curation.reviews.services import review_record, review_recuse
from curation.submissions.services import ItemInput, submission_create, submission_sign_off, submission_withdraw
from tests.curation.helpers import NO_UNDER_13, YES, make_item

pytestmark = pytest.mark.django_db


def again(user, earlier: Submission, reason: str = "") -> Submission:
    return submission_create(actor=user, item=ItemInput(
        media_type="image", external_reference="R",
        signatures=[{"algorithm": s.algorithm, "value": s.value} for s in earlier.signatures.all()], reason=reason,
    ))


def test_the_reviewer_of_a_rejected_item_gets_403_on_its_signed_off_resubmission_and_never_sees_it(
        personas, api, client):
    earlier = make_item(personas.investigator)
    no = personas.reviewers[0]
    review_record(actor=no, item=earlier, answers=dict(NO_UNDER_13))
    later = again(personas.investigator, earlier, reason="new evidence")
    submission_sign_off(actor=personas.curator, item=later, reason="checked")
    response = api(no).post(f"/api/v1/submissions/{later.pk}/reviews/", {"answers": YES}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "earlier_in_chain"
    assert api(no).post(f"/api/v1/submissions/{later.pk}/recuse/", {"reason": "other"},
                        format="json").status_code == 403
    assert api(no).get("/api/v1/review-queue/").json()["count"] == 0
    assert api(no).get(f"/api/v1/submissions/{later.pk}/").status_code == 404
    client.force_login(no)
    assert str(later.pk) not in client.get("/reviews/").content.decode()
    assert client.get(f"/reviews/{later.pk}/").status_code == 404
    other = personas.reviewers[1]
    queue = api(other).get("/api/v1/review-queue/").json()
    assert [i["id"] for i in queue["results"]] == [str(later.pk)]
    assert "previous" not in queue["results"][0] and "hold_reason" not in queue["results"][0]  # blind review
    assert api(other).post(f"/api/v1/submissions/{later.pk}/reviews/", {"answers": YES},
                           format="json").status_code == 201


def test_a_recusal_or_an_agreement_on_a_withdrawn_earlier_item_excludes_too(personas):
    earlier = make_item(personas.investigator)
    recused, agreed, fresh = personas.reviewers[:3]
    review_recuse(actor=recused, item=earlier, reason="cannot_access_material")
    review_record(actor=agreed, item=earlier, answers=dict(YES))
    submission_withdraw(actor=personas.investigator, item=earlier)
    later = again(personas.investigator, earlier)
    assert later.status == "pending" and later.previous_id == earlier.pk
    for reviewer in (recused, agreed):
        assert later not in review_queue_for(reviewer)
        with pytest.raises(DomainError) as exc:
            review_record(actor=reviewer, item=later, answers=dict(YES))
        assert exc.value.status == 403 and exc.value.code == "earlier_in_chain"
    assert later in review_queue_for(fresh)


def test_every_earlier_item_of_the_chain_counts_not_only_the_one_it_links_to(personas):
    first = make_item(personas.investigator)
    review_record(actor=personas.reviewers[0], item=first, answers=dict(YES))
    submission_withdraw(actor=personas.investigator, item=first)
    second = again(personas.investigator, first)
    review_record(actor=personas.reviewers[1], item=second, answers=dict(YES))
    submission_withdraw(actor=personas.investigator, item=second)
    third = again(personas.colleague, second)
    assert third.previous_id == second.pk and third.chain_root_id == first.pk
    assert [third in review_queue_for(r) for r in personas.reviewers] == [False, False, True, True]
    # Only earlier items count: a reviewer of the third item is not thereby ineligible for the first two.
    assert first.chain_root_id is None and second.chain_root_id == first.pk


def test_an_unlinked_item_is_not_affected_by_other_items(personas):
    reviewed = make_item(personas.investigator)
    review_record(actor=personas.reviewers[0], item=reviewed, answers=dict(YES))
    unrelated = make_item(personas.investigator)
    assert unrelated.chain_root_id is None and unrelated in review_queue_for(personas.reviewers[0])


def test_the_migration_fills_in_the_chains_of_existing_links(personas):
    first = make_item(personas.investigator)
    submission_withdraw(actor=personas.investigator, item=first)
    second = again(personas.investigator, first)
    submission_withdraw(actor=personas.investigator, item=second)
    third = again(personas.investigator, second)
    Submission.objects.update(chain_root=None)  # as before the migration
    importlib.import_module("curation.migrations.0011_held_and_chains").fill_chain_roots(apps, None)
    roots = dict(Submission.objects.values_list("pk", "chain_root_id"))
    assert roots == {first.pk: None, second.pk: first.pk, third.pk: first.pk}
