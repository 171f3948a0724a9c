"""The rules, table-driven. No database."""

import pytest

from curation.reviews.workflow import (
    AGREE,
    APPROVED,
    DISAGREE,
    PENDING,
    REJECTED,
    AnswersError,
    CountedReview,
    next_status,
    verdict_for,
)

KEYS = ["real_child", "under_13", "sexual_abuse"]


@pytest.mark.parametrize(
    ("answers", "verdict"),
    [
        ({"real_child": True, "under_13": True, "sexual_abuse": True}, AGREE),
        ({"real_child": False, "under_13": True, "sexual_abuse": True}, DISAGREE),
        ({"real_child": True, "under_13": False, "sexual_abuse": True}, DISAGREE),
        ({"real_child": True, "under_13": True, "sexual_abuse": False}, DISAGREE),
        ({"real_child": False, "under_13": False, "sexual_abuse": False}, DISAGREE),
    ],
)
def test_verdict_is_agree_only_when_every_answer_is_yes(answers, verdict):
    assert verdict_for(answers, KEYS) == verdict


@pytest.mark.parametrize(
    ("answers", "bad_key"),
    [
        ({"real_child": True, "under_13": True}, "sexual_abuse"),
        ({"real_child": True, "under_13": True, "sexual_abuse": True, "extra": True}, "extra"),
        ({"real_child": "yes", "under_13": True, "sexual_abuse": True}, "real_child"),
        ({"real_child": 1, "under_13": True, "sexual_abuse": True}, "real_child"),
        ({"real_child": None, "under_13": True, "sexual_abuse": True}, "real_child"),
        ({}, "real_child"),
    ],
)
def test_answers_must_cover_exactly_the_criteria_with_booleans(answers, bad_key):
    with pytest.raises(AnswersError) as exc:
        verdict_for(answers, KEYS)
    assert bad_key in exc.value.errors


@pytest.mark.parametrize("answers", [None, [], "agree", 3])
def test_answers_must_be_an_object(answers):
    with pytest.raises(AnswersError, match="expected an object"):
        verdict_for(answers, KEYS)


def r(verdict, org):
    return CountedReview(verdict, org)


@pytest.mark.parametrize(
    ("reviews", "required", "min_orgs", "status"),
    [
        ([], 3, 2, PENDING),
        ([r(AGREE, 1)], 3, 2, PENDING),
        ([r(AGREE, 1), r(AGREE, 2)], 3, 2, PENDING),
        ([r(AGREE, 1), r(AGREE, 2), r(AGREE, 3)], 3, 2, APPROVED),
        ([r(AGREE, 1), r(AGREE, 1), r(AGREE, 2)], 3, 2, APPROVED),
        ([r(AGREE, 1), r(AGREE, 1), r(AGREE, 1)], 3, 2, PENDING),  # one organisation is not enough
        ([r(AGREE, 1), r(AGREE, 1), r(AGREE, 1), r(AGREE, 2)], 3, 2, APPROVED),
        ([r(AGREE, 1), r(AGREE, 1), r(AGREE, 1)], 3, 1, APPROVED),
        ([r(DISAGREE, 1)], 3, 2, REJECTED),
        ([r(AGREE, 1), r(AGREE, 2), r(DISAGREE, 3)], 3, 2, REJECTED),
        ([r(AGREE, 1), r(AGREE, 2), r(AGREE, 3)], 4, 2, PENDING),
        ([r(AGREE, 1), r(AGREE, 2), r(AGREE, 3), r(AGREE, 4)], 4, 3, APPROVED),
        ([r(AGREE, 1), r(AGREE, 2), r(AGREE, 2), r(AGREE, 2)], 4, 3, PENDING),
    ],
)
def test_next_status(reviews, required, min_orgs, status):
    assert next_status(reviews, required_agreements=required, min_organisations=min_orgs) == status


@pytest.mark.parametrize("required", [0, 1, 2])
def test_fewer_than_three_agreements_are_never_enough(required):
    with pytest.raises(ValueError, match="never below 3"):
        next_status([r(AGREE, 1), r(AGREE, 2)], required_agreements=required, min_organisations=1)
