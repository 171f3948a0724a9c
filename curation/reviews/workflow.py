"""The agreement rules, pure: no database, no settings. Services feed them and obey the answer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from curation.models import Review, Submission

# The vocabulary is the models' (one home); the rules here never touch the database.
AGREE, DISAGREE = Review.Verdict.AGREE, Review.Verdict.DISAGREE
PENDING, APPROVED, REJECTED = Submission.Status.PENDING, Submission.Status.APPROVED, Submission.Status.REJECTED
MINIMUM_AGREEMENTS = 3


class AnswersError(ValueError):
    """Answers that do not match the item's criteria; `errors` maps keys to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class CountedReview:
    verdict: str
    organisation_id: int


def verdict_for(answers: object, criteria_keys: Sequence[str]) -> str:
    """`agree` when every criterion is answered yes, else `disagree`. Every key must be answered,
    with a boolean, and no other key given."""
    if not isinstance(answers, dict):
        raise AnswersError({"answers": "expected an object mapping each criterion key to true or false"})
    errors: dict[str, str] = {}
    for key in criteria_keys:
        if key not in answers:
            errors[key] = "not answered: every criterion needs a yes (true) or no (false)"
        elif not isinstance(answers[key], bool):
            errors[key] = "must be true or false"
    for key in answers:
        if key not in criteria_keys:
            errors[str(key)] = f"not a criterion of this item's set ({', '.join(criteria_keys)})"
    if errors:
        raise AnswersError(errors)
    return AGREE if all(answers[key] for key in criteria_keys) else DISAGREE


def next_status(
    reviews: Iterable[CountedReview], *, required_agreements: int, min_organisations: int
) -> str:
    """The status an item's reviews give it. One disagreement rejects (agreement is unanimous);
    approval needs `required_agreements` agreements from `min_organisations` distinct organisations."""
    if required_agreements < MINIMUM_AGREEMENTS:
        raise ValueError(f"required_agreements is never below {MINIMUM_AGREEMENTS}")
    reviews = list(reviews)
    if any(r.verdict == DISAGREE for r in reviews):
        return REJECTED
    agreements = [r for r in reviews if r.verdict == AGREE]
    organisations = {r.organisation_id for r in agreements}
    if len(agreements) >= required_agreements and len(organisations) >= min_organisations:
        return APPROVED
    return PENDING
