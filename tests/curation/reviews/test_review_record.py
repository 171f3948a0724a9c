import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings

from accounts.models import Role
from accounts.services import role_grant, role_revoke
from core import audit
from core.actors import SYSTEM
from core.errors import DomainError
from core.models import AuditEntry
from curation.models import CriteriaSet, Notice, Recusal, Review, Submission
from curation.reviews.criteria import criteria_publish
from curation.reviews.services import review_record, review_recuse
from curation.submissions.services import submission_withdraw
from tests.curation.helpers import NO_UNDER_13, YES, agree, make_item
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_third_agreement_approves_item(personas):
    item = make_item(personas.investigator)
    r1, r2, r3 = personas.reviewers[:3]
    agree(item, r1, r2)
    assert item.status == "pending" and item.decided_at is None
    review = review_record(actor=r3, item=item, answers=dict(YES), comment="clear")
    item.refresh_from_db()
    assert review.verdict == "agree"
    assert item.status == "approved" and item.decided_at is not None
    assert item.signatures.filter(active=True).count() == 2  # still blocks resubmission
    decision = AuditEntry.objects.get(action="submission.approve")
    assert decision.details == {"reviews": 3, "agreements": 3} and decision.actor is None
    assert AuditEntry.objects.filter(action="review.record").count() == 3
    assert audit.verify()[1] is None


def test_one_disagreement_rejects_the_item(personas):
    item = make_item(personas.investigator)
    agree(item, personas.reviewers[0])
    review = review_record(actor=personas.reviewers[1], item=item, answers=dict(NO_UNDER_13))
    item.refresh_from_db()
    assert review.verdict == "disagree"
    assert item.status == "rejected"
    assert not item.signatures.filter(active=True).exists()  # may be submitted again
    assert AuditEntry.objects.filter(action="submission.reject").exists()


def test_a_decided_item_takes_no_more_reviews(personas):
    item = agree(make_item(personas.investigator), *personas.reviewers[:3])
    with pytest.raises(DomainError, match="no longer pending") as exc:
        review_record(actor=personas.reviewers[3], item=item, answers=dict(YES))
    assert exc.value.status == 409
    assert Review.objects.filter(submission=item).count() == 3


def test_a_second_review_by_the_same_reviewer_is_a_conflict(personas):
    item = agree(make_item(personas.investigator), personas.reviewer)
    with pytest.raises(DomainError, match="already reviewed") as exc:
        review_record(actor=personas.reviewer, item=item, answers=dict(NO_UNDER_13))
    assert exc.value.status == 409
    assert Review.objects.get(submission=item).verdict == "agree"


def test_one_review_per_reviewer_is_a_database_constraint(personas):
    item = agree(make_item(personas.investigator), personas.reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(submission=item, reviewer=personas.reviewer, organisation=personas.reviewer.organisation,
                              verdict="agree", answers=YES)


@pytest.mark.parametrize("user", ["investigator", "curator", "partner", "admin", "outsider"])
def test_only_reviewers_review(personas, user):
    item = make_item(personas.investigator)
    with pytest.raises(DomainError, match="Only reviewers") as exc:
        review_record(actor=getattr(personas, user), item=item, answers=dict(YES))
    assert exc.value.status == 403


def test_the_role_must_be_held_now(personas):
    item = make_item(personas.investigator)
    role_revoke(actor=personas.admin, user=personas.reviewer, role=Role.REVIEWER, reason="test")
    with pytest.raises(DomainError, match="Only reviewers"):
        review_record(actor=personas.reviewer, item=item, answers=dict(YES))


def test_nobody_reviews_their_own_submission(personas):
    role_grant(actor=SYSTEM, user=personas.investigator, role=Role.REVIEWER, reason="test")
    item = make_item(personas.investigator)
    with pytest.raises(DomainError, match="own submission") as exc:
        review_record(actor=personas.investigator, item=item, answers=dict(YES))
    assert exc.value.status == 403


def test_reviewers_never_review_their_own_organisations_items(personas):
    same_org = UserFactory(username="police-reviewer", organisation=personas.investigator.organisation,
                           roles=[Role.REVIEWER])
    item = make_item(personas.investigator)
    with pytest.raises(DomainError, match="own organisation") as exc:
        review_record(actor=same_org, item=item, answers=dict(YES))
    assert exc.value.status == 403
    assert not Review.objects.exists()


def test_answers_must_match_the_items_criteria(personas):
    item = make_item(personas.investigator)
    with pytest.raises(DomainError) as exc:
        review_record(actor=personas.reviewer, item=item, answers={"real_child": True})
    assert exc.value.status == 400
    assert any("under_13" in m for m in exc.value.extra["errors"]["answers"])
    assert not Review.objects.exists() and not AuditEntry.objects.filter(action="review.record").exists()


def test_the_organisation_minimum_is_fixed_on_the_item_when_submitted(personas):
    with override_settings(BASELINE_MIN_REVIEWER_ORGANISATIONS=3):
        item = make_item(personas.investigator)
    assert item.min_reviewer_organisations == 3
    org = personas.reviewers[0].organisation
    same_org = UserFactory(username="rhine9", organisation=org, roles=[Role.REVIEWER])
    item = agree(item, personas.reviewers[0], same_org, personas.reviewers[1])  # two organisations
    assert item.status == "pending"
    assert agree(item, personas.reviewers[2]).status == "approved"


@override_settings(BASELINE_MIN_REVIEWER_ORGANISATIONS=2)
def test_agreements_from_one_organisation_are_not_enough(personas):
    org = personas.reviewers[0].organisation
    same = [personas.reviewers[0]] + [
        UserFactory(username=f"rhine{i}", organisation=org, roles=[Role.REVIEWER]) for i in range(2)
    ]
    item = agree(make_item(personas.investigator), *same)
    assert item.status == "pending"
    item = agree(item, personas.reviewers[1])
    assert item.status == "approved"


def test_required_agreements_is_the_items_own(personas):
    item = make_item(personas.investigator)
    Submission.objects.filter(pk=item.pk).update(required_agreements=4)
    item = agree(item, *personas.reviewers[:3])
    assert item.status == "pending"
    assert agree(item, personas.reviewers[3]).status == "approved"


def test_recusal_is_never_a_no_and_takes_the_item_out_of_the_queue(personas):
    from curation.reviews.selectors import review_queue_for

    item = make_item(personas.investigator)
    review_recuse(actor=personas.reviewers[0], item=item, reason="cannot_access_material")
    assert item not in review_queue_for(personas.reviewers[0])
    item = agree(item, *personas.reviewers[1:4])
    assert item.status == "approved"
    assert AuditEntry.objects.get(action="review.recuse").details == {"reason": "cannot_access_material"}


def test_recusal_rules(personas):
    item = make_item(personas.investigator)
    with pytest.raises(DomainError, match="reason must be one of"):
        review_recuse(actor=personas.reviewer, item=item, reason="bored")
    review_recuse(actor=personas.reviewer, item=item, reason="other")
    with pytest.raises(DomainError, match="recused yourself") as exc:
        review_record(actor=personas.reviewer, item=item, answers=dict(YES))
    assert exc.value.status == 403
    with pytest.raises(DomainError):
        review_recuse(actor=personas.reviewer, item=item, reason="other")
    assert Recusal.objects.count() == 1
    reviewed = agree(make_item(personas.investigator), personas.reviewers[1])
    with pytest.raises(DomainError, match="already reviewed"):
        review_recuse(actor=personas.reviewers[1], item=reviewed, reason="other")


def test_a_decision_notifies_the_submitter_and_the_reviewers(personas):
    item = agree(make_item(personas.investigator), *personas.reviewers[:3])
    notified = set(Notice.objects.filter(submission=item).values_list("user__username", flat=True))
    assert notified == {"investigator", "reviewer1", "reviewer2", "reviewer3"}
    assert Notice.objects.filter(user=personas.investigator).get().message == f"Item {str(item.pk)[:8]} was approved."


def test_no_notice_is_written_while_pending(personas):
    agree(make_item(personas.investigator), *personas.reviewers[:2])
    assert not Notice.objects.exists()


def test_a_withdrawn_item_takes_no_reviews(personas):
    item = make_item(personas.investigator)
    submission_withdraw(actor=personas.investigator, item=item)
    with pytest.raises(DomainError, match="no longer pending"):
        review_record(actor=personas.reviewer, item=item, answers=dict(YES))


def test_new_criteria_apply_to_new_items_only(personas):
    old = make_item(personas.investigator)
    new_set = criteria_publish(actor=SYSTEM, criteria=[
        ("real_child", "Real child?"), ("under_13", "13 or younger?"), ("sexual_abuse", "Abuse?"),
        ("not_generated", "Not AI-generated?"),
    ])
    assert new_set.version == 2
    new = make_item(personas.investigator)
    assert (old.criteria_set.version, new.criteria_set.version) == (1, 2)
    review_record(actor=personas.reviewer, item=old, answers=dict(YES))
    with pytest.raises(DomainError):
        review_record(actor=personas.reviewer, item=new, answers=dict(YES))
    review = review_record(actor=personas.reviewer, item=new, answers=dict(YES, not_generated=False))
    assert review.verdict == "disagree"


@pytest.mark.parametrize(
    "criteria",
    [[], [("Bad Key", "Q?")], [("a", "")], [("a", "Q?"), ("a", "Again?")]],
)
def test_bad_criteria_are_refused(personas, criteria):
    with pytest.raises(DomainError):
        criteria_publish(actor=personas.admin, criteria=criteria)
    assert CriteriaSet.objects.count() == 1


def test_only_administrators_publish_criteria(personas):
    with pytest.raises(DomainError, match="Only administrators"):
        criteria_publish(actor=personas.curator, criteria=[("a", "Q?")])
