"""Investigators learn outcomes (issue 12 item 3): a rejection names the criteria answered "no" (never
who answered), a retraction gives its reason; reviewers learn only the outcome."""

from __future__ import annotations

import pytest

from curation.models import Notice
from curation.reviews.services import review_record
from curation.submissions.services import item_retract
from tests.curation.helpers import NO_UNDER_13, YES, approved_item, make_item

pytestmark = pytest.mark.django_db


def test_a_rejection_tells_the_submitter_which_criteria_were_not_met_but_not_by_whom(personas):
    item = make_item(personas.investigator)
    review_record(actor=personas.reviewers[0], item=item, answers=dict(YES))
    review_record(actor=personas.reviewers[1], item=item, answers=dict(NO_UNDER_13), comment="looks older")
    item.refresh_from_db()
    assert item.status == "rejected"
    message = Notice.objects.get(user=personas.investigator, submission=item).message
    question = item.criteria_set.criteria.get(key="under_13").question
    assert message == f"Item {str(item.pk)[:8]} was rejected. Not met: {question}"
    for reviewer in personas.reviewers[:2]:
        assert reviewer.username not in message
        assert Notice.objects.get(user=reviewer, submission=item).message == f"Item {str(item.pk)[:8]} was rejected."
    assert "looks older" not in message  # reviewers' comments stay with curators


def test_a_retraction_tells_the_submitter_why(personas, client):
    item = approved_item(personas)
    item_retract(actor=personas.curator, item=item, reason="hash of a different file")
    notice = Notice.objects.filter(user=personas.investigator, submission=item).order_by("-created_at").first()
    assert notice.message == (f"Item {str(item.pk)[:8]} was retracted: it leaves the list in the next release. "
                              "Reason: hash of a different file")
    assert not Notice.objects.filter(user__in=personas.reviewers, message__contains="retracted").exists()
    client.force_login(personas.investigator)
    assert "Reason: hash of a different file" in client.get("/notices/").content.decode()


def test_a_long_reason_still_fits_the_notice(personas):
    item = approved_item(personas)
    item_retract(actor=personas.curator, item=item, reason="x" * 500)
    message = Notice.objects.filter(user=personas.investigator, message__contains="retracted").get().message
    assert len(message) == Notice._meta.get_field("message").max_length and message.endswith("…")
