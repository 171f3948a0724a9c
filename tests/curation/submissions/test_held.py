"""Held items (DESIGN.md section 4): one "does not meet" is not undone by submitting the same
signature again. A resubmission of a rejected item's signature is held, with the submitter's
reason, until a curator signs it off (pending) or refuses it (withdrawn); the submitter may
withdraw it; while held it blocks duplicates and is in nobody's review queue."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from core.models import AuditEntry
from curation.models import Signature, Submission
from curation.reviews.selectors import review_queue_for
from curation.reviews.services import review_record
from curation.submissions.imports import submissions_import
from curation.submissions.services import (
    ItemInput,
    submission_create,
    submission_refuse,
    submission_sign_off,
    submission_withdraw,
)
from tests.curation.helpers import NO_UNDER_13, YES, agree, fake, item_payload, make_item
from tests.factories import UserFactory
from tests.races import all_at_once

pytestmark = pytest.mark.django_db


def rejected_item(personas, **overrides) -> Submission:
    item = make_item(personas.investigator, **overrides)
    review_record(actor=personas.reviewers[0], item=item, answers=dict(NO_UNDER_13))
    item.refresh_from_db()
    assert item.status == Submission.Status.REJECTED
    return item


def same_signatures(item: Submission) -> list[dict]:
    return [{"algorithm": s.algorithm, "value": s.value} for s in item.signatures.all()]


def resubmit(user, earlier: Submission, reason: str = "The material was re-examined: new evidence.") -> Submission:
    return submission_create(actor=user, item=ItemInput(
        media_type="image", external_reference="ICSE-IMG-0002", signatures=same_signatures(earlier), reason=reason,
    ))


def actions_on(item: Submission) -> list[str]:
    return list(AuditEntry.objects.filter(object_type="curation.submission", object_id=str(item.pk))
                .order_by("seq").values_list("action", flat=True))


def test_resubmitting_a_rejected_hash_through_the_api_comes_back_held(personas, api):
    earlier = rejected_item(personas)
    payload = {"media_type": "image", "external_reference": "ICSE-IMG-0002", "signatures": same_signatures(earlier),
               "reason": "Re-examined: the child is under 13 (birth record)."}
    response = api(personas.colleague).post("/api/v1/submissions/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "held"
    assert "hold_reason" not in body and "previous" not in body  # the submitter learns the status only
    item = Submission.objects.get(pk=body["id"])
    assert item.previous_id == earlier.pk and item.chain_root_id == earlier.pk
    assert item.hold_reason == "Re-examined: the child is under 13 (birth record)."
    assert actions_on(item) == ["submission.create", "submission.hold"]
    hold = AuditEntry.objects.get(action="submission.hold")
    assert hold.details == {"reason": item.hold_reason, "previous": str(earlier.pk)}
    assert hold.actor_id == personas.colleague.pk
    curator_view = api(personas.curator).get(f"/api/v1/submissions/{item.pk}/").json()
    assert curator_view["previous"] == str(earlier.pk) and curator_view["hold_reason"] == item.hold_reason
    assert Signature.objects.filter(submission=item, active=True).count() == 2  # it blocks duplicates


def test_resubmitting_a_rejected_hash_without_a_reason_is_a_400_that_asks_for_one(personas, api):
    earlier = rejected_item(personas)
    payload = {"media_type": "image", "external_reference": "R", "signatures": same_signatures(earlier)[:1]}
    before = AuditEntry.objects.filter(object_type="curation.submission").count()
    for reason in (None, "", "   "):
        response = api(personas.investigator).post(
            "/api/v1/submissions/", payload if reason is None else {**payload, "reason": reason}, format="json")
        assert response.status_code == 400
        assert "reason" in response.json()["reason"][0] and "rejected" in response.json()["reason"][0]
    assert Submission.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="curation.submission").count() == before


def test_resubmitting_a_rejected_hash_on_the_submit_page_comes_back_held(personas, client):
    earlier = rejected_item(personas, algorithms=("md5",))
    md5 = earlier.signatures.get().value
    client.force_login(personas.investigator)
    form = {"media_type": "image", "external_reference": "ICSE-IMG-0002", "sig_md5": md5}
    response = client.post("/submit/", form)
    assert response.status_code == 400
    assert "give a reason" in response.content.decode() and Submission.objects.count() == 1
    response = client.post("/submit/", {**form, "reason": "New evidence from the case file."}, follow=True)
    item = Submission.objects.exclude(pk=earlier.pk).get()
    assert item.status == "held" and item.hold_reason == "New evidence from the case file."
    assert response.redirect_chain[-1][0] == f"/submissions/{item.pk}/"
    page = response.content.decode()
    assert "held" in page and "a curator decides" in page
    assert "New evidence" not in page  # the reason is shown to curators, with the chain


@pytest.mark.parametrize("status", ["held", "pending", "approved"])
def test_a_signature_in_a_held_pending_or_approved_item_is_a_409_naming_the_item_and_algorithm(
        personas, api, status):
    earlier = rejected_item(personas, algorithms=("md5", "sha1"))
    held = resubmit(personas.investigator, earlier)
    if status != "held":
        Submission.objects.filter(pk=held.pk).update(status=status)
    payload = {"media_type": "image", "external_reference": "R", "reason": "again",
               "signatures": [{"algorithm": "sha256", "value": fake("sha256")},
                              {"algorithm": "sha1", "value": earlier.signatures.get(algorithm="sha1").value}]}
    response = api(personas.colleague).post("/api/v1/submissions/", payload, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": response.json()["detail"], "code": "duplicate", "algorithm": "sha1",
                               "existing_item": {"id": str(held.pk), "status": status}}
    assert Submission.objects.count() == 2


def test_a_withdrawn_items_signature_comes_back_pending_linked_to_it(personas):
    earlier = make_item(personas.investigator)
    submission_withdraw(actor=personas.investigator, item=earlier)
    again = submission_create(actor=personas.investigator, item=ItemInput(
        media_type="image", external_reference="R", signatures=same_signatures(earlier)))
    assert again.status == "pending" and again.previous_id == earlier.pk and again.chain_root_id == earlier.pk


def test_a_refused_held_item_resubmitted_is_held_again_in_the_same_chain(personas):
    earlier = rejected_item(personas)
    held = resubmit(personas.investigator, earlier)
    submission_refuse(actor=personas.curator, item=held, reason="Nothing new.")
    again = resubmit(personas.colleague, held)
    assert again.status == "held" and again.previous_id == held.pk and again.chain_root_id == earlier.pk


def test_sign_off_makes_a_held_item_pending_and_reviewable_by_eligible_reviewers_only(personas, api):
    earlier = rejected_item(personas)
    held = resubmit(personas.investigator, earlier)
    assert all(held not in review_queue_for(r) for r in personas.reviewers)
    response = api(personas.curator).post(f"/api/v1/submissions/{held.pk}/sign-off/",
                                          {"reason": "The birth record settles the age."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "pending"
    held.refresh_from_db()
    assert held.status == "pending"
    assert actions_on(held) == ["submission.create", "submission.hold", "submission.sign_off"]
    entry = AuditEntry.objects.get(action="submission.sign_off")
    assert entry.actor_id == personas.curator.pk and entry.details == {"reason": "The birth record settles the age."}
    assert held not in review_queue_for(personas.reviewers[0])  # rejected the earlier item
    assert all(held in review_queue_for(r) for r in personas.reviewers[1:])
    with pytest.raises(DomainError) as exc:
        review_record(actor=personas.reviewers[0], item=held, answers=dict(YES))
    assert exc.value.status == 403 and exc.value.code == "earlier_in_chain"
    assert agree(held, *personas.reviewers[1:]).status == "approved"


def test_refuse_withdraws_a_held_item_and_releases_its_signatures(personas, api):
    earlier = rejected_item(personas)
    held = resubmit(personas.investigator, earlier)
    response = api(personas.curator).post(f"/api/v1/submissions/{held.pk}/refuse/",
                                          {"reason": "No new information."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    held.refresh_from_db()
    assert held.status == "withdrawn" and held.closed_at is not None
    assert not held.signatures.filter(active=True).exists()
    entry = AuditEntry.objects.get(action="submission.refuse")
    assert entry.actor_id == personas.curator.pk and entry.details == {"reason": "No new information."}


def test_the_submitter_withdraws_a_held_item(personas, api):
    held = resubmit(personas.investigator, rejected_item(personas))
    assert api(personas.colleague).post(f"/api/v1/submissions/{held.pk}/withdraw/").status_code == 403
    response = api(personas.investigator).post(f"/api/v1/submissions/{held.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert actions_on(held)[-1] == "submission.withdraw"


@pytest.mark.parametrize("action", ["sign-off", "refuse"])
def test_held_decisions_need_a_curator_a_reason_and_a_held_item(personas, api, action):
    held = resubmit(personas.investigator, rejected_item(personas))
    pending = make_item(personas.investigator)
    before = AuditEntry.objects.filter(object_type="curation.submission").count()
    url = f"/api/v1/submissions/{held.pk}/{action}/"
    for user in (personas.investigator, personas.reviewers[1], personas.partner, personas.admin):
        response = api(user).post(url, {"reason": "ok"}, format="json")
        assert response.status_code == 403 and set(response.json()) == {"detail", "code"}
    curator = api(personas.curator)
    assert curator.post(url, {}, format="json").json() == {"reason": ["This field is required."]}
    assert curator.post(url, {"reason": ""}, format="json").status_code == 400
    assert curator.post(url, {"reason": "x" * 501}, format="json").status_code == 400
    response = curator.post(f"/api/v1/submissions/{pending.pk}/{action}/", {"reason": "ok"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_held"
    missing = "00000000-0000-4000-8000-000000000000"
    assert curator.post(f"/api/v1/submissions/{missing}/{action}/", {"reason": "ok"}, format="json").status_code == 404
    assert AuditEntry.objects.filter(object_type="curation.submission").count() == before
    held.refresh_from_db()
    assert held.status == "held"


def test_a_held_item_cannot_be_reviewed_nor_seen_by_reviewers(personas, api):
    held = resubmit(personas.investigator, rejected_item(personas))
    reviewer = personas.reviewers[1]
    with pytest.raises(DomainError) as exc:
        review_record(actor=reviewer, item=held, answers=dict(YES))
    assert exc.value.status == 409
    assert api(reviewer).get(f"/api/v1/submissions/{held.pk}/").status_code == 404
    assert api(reviewer).get("/api/v1/review-queue/").json()["count"] == 0


def test_an_import_row_with_a_rejected_items_signature_is_refused_without_a_reason(personas):
    earlier = rejected_item(personas)
    outcome = submissions_import(actor=personas.investigator, items={
        "again": ItemInput(media_type="image", external_reference="R", signatures=same_signatures(earlier)),
        "new": ItemInput(**item_payload()),
    })
    assert [i.status for i in outcome.created] == ["pending"]
    assert "give a reason" in outcome.errors["again"][0][1]


def test_curators_decide_held_items_on_their_pages(personas, client):
    earlier = rejected_item(personas)
    first = resubmit(personas.investigator, earlier)
    client.force_login(personas.curator)
    listing = client.get("/held/").content.decode()
    assert str(first.pk) in listing and "new evidence" in listing
    page = client.get(f"/submissions/{first.pk}/").content.decode()
    assert 'id="sign-off-form"' in page and 'id="refuse-form"' in page
    assert f"/submissions/{earlier.pk}/" in page  # the chain, with the earlier item
    response = client.post(f"/submissions/{first.pk}/sign-off/", {"reason": ""}, follow=True)
    assert "A reason is required." in response.content.decode()
    first.refresh_from_db()
    assert first.status == "held"
    client.post(f"/submissions/{first.pk}/refuse/", {"reason": "Nothing new."})
    first.refresh_from_db()
    assert first.status == "withdrawn"
    second = resubmit(personas.colleague, first)
    response = client.post(f"/submissions/{second.pk}/sign-off/", {"reason": "Checked."}, follow=True)
    second.refresh_from_db()
    assert second.status == "pending" and "Signed off" in response.content.decode()
    chain = client.get(f"/submissions/{second.pk}/").content.decode()
    assert f"/submissions/{earlier.pk}/" in chain and f"/submissions/{first.pk}/" in chain
    client.force_login(personas.investigator)
    assert client.get("/held/").status_code == 403
    assert client.post(f"/submissions/{second.pk}/refuse/", {"reason": "x"}).status_code == 403
    assert f"/submissions/{earlier.pk}/" not in client.get(f"/submissions/{second.pk}/").content.decode()


def test_the_held_list_is_in_the_curators_navigation_only(personas, client):
    for user, shown in ((personas.curator, True), (personas.investigator, False), (personas.reviewer, False)):
        client.force_login(user)
        assert ('href="/held/"' in client.get("/").content.decode()) is shown, user


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_curators_deciding_one_held_item_at_once_make_exactly_one_transition(personas):
    curators = [personas.curator, UserFactory(username="curator2", organisation=personas.curator.organisation,
                                               roles=["curator"])]
    for round_ in range(5):
        held = resubmit(personas.investigator, rejected_item(personas))
        decide = [submission_sign_off, submission_refuse] if round_ % 2 else [submission_sign_off] * 2

        def work(curator, service, held=held):
            return service(actor=curator, item=held, reason="decided").status

        outcomes = all_at_once(work, list(zip(curators, decide, strict=True)))
        assert len(outcomes) == 2 and outcomes.count("409 not_held") == 1, outcomes
        held.refresh_from_db()
        assert [o for o in outcomes if o != "409 not_held"] == [held.status], outcomes
        decisions = [a for a in actions_on(held) if a in ("submission.sign_off", "submission.refuse")]
        assert len(decisions) == 1, decisions
