import pytest
from django.core import mail
from django.test import override_settings

from core.actors import SYSTEM
from curation import tasks
from curation.models import DigestState, Notice, Review
from curation.notices import services as notices
from curation.reviews.criteria import criteria_publish
from curation.reviews.services import review_recuse
from curation.submissions.services import item_retract
from tests.curation.helpers import YES, agree, make_item

pytestmark = pytest.mark.django_db
ALL_YES = {"real_child": "yes", "under_13": "yes", "sexual_abuse": "yes"}


def test_queue_page_lists_items_and_shows_the_count_in_the_navigation(personas, client):
    make_item(personas.investigator, external_reference="ICSE-A")
    make_item(personas.investigator, external_reference="ICSE-B")
    client.force_login(personas.reviewer)
    page = client.get("/reviews/").content.decode()
    assert page.index("ICSE-A") < page.index("ICSE-B")
    assert 'data-badge="review-queue"' in page and ">2</span>" in page


def test_empty_queue_says_so(personas, client):
    client.force_login(personas.reviewer)
    assert "Your queue is empty" in client.get("/reviews/").content.decode()


def test_review_page_shows_the_material_and_criteria(personas, client):
    item = make_item(personas.investigator, external_reference="ICSE-XYZ", note="from case 12")
    client.force_login(personas.reviewer)
    page = client.get(f"/reviews/{item.pk}/").content.decode()
    assert "ICSE-XYZ" in page and "from case 12" in page
    for question in item.criteria_set.criteria.values_list("question", flat=True):
        assert question.replace("'", "&#x27;") in page
    assert page.count('type="radio"') == 6
    assert item.signatures.first().value in page


def test_reviewing_in_the_browser_leads_to_the_next_item(personas, client):
    first = make_item(personas.investigator)
    second = make_item(personas.investigator)
    client.force_login(personas.reviewer)
    response = client.post(f"/reviews/{first.pk}/", {**ALL_YES, "comment": "ok"}, follow=True)
    # The receipt first: what was recorded, then the way on to the next item.
    assert response.redirect_chain == [(f"/reviews/{first.pk}/", 302)]
    page = response.content.decode()
    assert "Review recorded: meets the criteria." in page and "You reviewed this on" in page
    assert "Recorded verdict: <strong id=\"recorded-verdict\">Meets the criteria</strong>" in page
    assert f'id="next-item" href="/reviews/{second.pk}/"' in page and "1 item waiting" in page
    review = Review.objects.get(submission=first)
    assert (review.verdict, review.comment) == ("agree", "ok")
    page = client.post(f"/reviews/{second.pk}/", {**ALL_YES, "under_13": "no"}, follow=True).content.decode()
    assert Review.objects.get(submission=second).verdict == "disagree"
    assert "Does not meet the criteria" in page and "Your queue is empty" in page
    question = second.criteria_set.criteria.get(key="under_13").question
    assert page.count("<li>") >= 1 and f"<li>{question}</li>".replace("'", "&#x27;") in page
    real_child = second.criteria_set.criteria.get(key="real_child").question
    assert f"<li>{real_child}</li>".replace("'", "&#x27;") not in page


def test_the_review_form_says_one_no_rejects_and_loads_its_question(personas, client):
    item = make_item(personas.investigator, external_reference="ICSE-REF-7")
    client.force_login(personas.reviewer)
    page = client.get(f"/reviews/{item.pk}/").content.decode()
    assert 'One "no" rejects the item for everyone.' in page
    assert '<script src="/static/js/review.js" defer></script>' in page
    assert 'class="review-ref"' in page and "ICSE-REF-7" in page.split('class="review-ref"')[1].split("</p>")[0]


def test_every_criterion_must_be_answered(personas, client):
    item = make_item(personas.investigator)
    client.force_login(personas.reviewer)
    response = client.post(f"/reviews/{item.pk}/", {"real_child": "yes"})
    assert response.status_code == 400
    assert response.content.decode().count("Answer yes or no.") == 2
    assert not Review.objects.exists()


def test_recusing_in_the_browser(personas, client):
    item = make_item(personas.investigator)
    client.force_login(personas.reviewer)
    response = client.post(f"/reviews/{item.pk}/recuse/", {"reason": "cannot_access_material"})
    assert response.status_code == 302
    page = client.get(f"/reviews/{item.pk}/").content.decode()
    assert "You recused yourself on" in page and "cannot access the material" in page


@pytest.mark.parametrize("user", ["investigator", "curator", "partner", "admin"])
def test_review_pages_are_for_reviewers(personas, client, user):
    item = make_item(personas.investigator)
    client.force_login(getattr(personas, user))
    assert client.get("/reviews/").status_code == 403
    assert client.get("/reviews/mine/").status_code == 403
    assert client.get(f"/reviews/{item.pk}/").status_code == 403


def test_an_item_already_reviewed_is_not_offered_again(personas, client):
    """Back to a reviewed item (or a second tab) shows what was recorded; a resend changes nothing."""
    item = agree(make_item(personas.investigator), personas.reviewer, comment="first look")
    client.force_login(personas.reviewer)
    response = client.get(f"/reviews/{item.pk}/")
    page = response.content.decode()
    assert response.status_code == 200 and "You reviewed this on" in page and "first look" in page
    assert 'type="radio"' not in page
    response = client.post(f"/reviews/{item.pk}/", {**ALL_YES, "under_13": "no"})
    assert response.status_code == 409
    assert "You have already reviewed this item; your first review stands." in response.content.decode()
    assert list(Review.objects.filter(submission=item).values_list("verdict", "comment")) == [("agree", "first look")]


def test_the_receipt_is_only_for_ones_own_review(personas, client):
    """Another reviewer's review of an item does not give anyone else its receipt; the item stays in
    their queue as before (own-organisation items stay 404: tests/test_access_matrix.py)."""
    item = agree(make_item(personas.investigator), personas.reviewers[1], comment="theirs")
    client.force_login(personas.reviewer)
    page = client.get(f"/reviews/{item.pk}/").content.decode()
    assert 'type="radio"' in page and "You reviewed this on" not in page and "theirs" not in page


def test_my_reviews_lists_only_my_own_reviews_newest_first(personas, client):
    me, other = personas.reviewers[0], personas.reviewers[1]
    older = agree(make_item(personas.investigator, external_reference="ICSE-OLD"), me)
    newer = make_item(personas.investigator, external_reference="ICSE-NEW")
    agree(newer, other, comment="not mine")
    client.force_login(me)
    client.post(f"/reviews/{newer.pk}/", {**ALL_YES, "sexual_abuse": "no"})
    page = client.get("/reviews/mine/").content.decode()
    rows = page.split('id="my-reviews"')[1]
    assert rows.index("ICSE-NEW") < rows.index("ICSE-OLD")
    assert "Does not meet the criteria" in rows and "Meets the criteria" in rows
    assert "not mine" not in page and other.username not in rows
    assert f'href="/reviews/{older.pk}/"' in rows
    client.force_login(other)
    assert "ICSE-OLD" not in client.get("/reviews/mine/").content.decode()


def test_curators_see_reviews_and_history_once_decided(personas, client):
    item = make_item(personas.investigator)
    agree(item, *personas.reviewers[:2], comment="visible later")
    client.force_login(personas.curator)
    page = client.get(f"/submissions/{item.pk}/").content.decode()
    assert 'id="reviews"' not in page and "visible later" not in page
    assert 'id="history"' in page and "Submitted by investigator" in page
    assert "Approved" not in page  # nor anything of the two reviews (blind review)
    agree(item, personas.reviewers[2])
    page = client.get(f"/submissions/{item.pk}/").content.decode()
    assert 'id="reviews"' in page and "visible later" in page
    assert "Approved: the required agreements were recorded" in page
    # Answers by their questions, not the criteria's keys.
    reviews = page.split('id="reviews"')[1].split("</table>")[0]
    for key, question in item.criteria_set.criteria.values_list("key", "question"):
        assert question.replace("'", "&#x27;") + " <strong>Yes</strong>" in reviews
        assert key not in reviews
    item_retract(actor=personas.curator, item=item, reason="hash of another file")
    page = client.get(f"/submissions/{item.pk}/").content.decode()
    assert "Retracted by curator: “hash of another file”" in page


def test_the_submitter_sees_the_outcome_and_a_notice(personas, client):
    item = agree(make_item(personas.investigator), *personas.reviewers[:3])
    client.force_login(personas.investigator)
    page = client.get("/notices/").content.decode()
    assert f"Item {str(item.pk)[:8]} was approved." in page
    assert 'data-badge="notices"' in page
    client.post("/notices/")
    assert not Notice.objects.filter(user=personas.investigator, read_at__isnull=True).exists()
    detail = client.get(f"/submissions/{item.pk}/").content.decode()
    assert "status-approved" in detail and 'id="reviews"' not in detail


def test_reviewers_opt_in_to_the_email_digest(personas, client):
    client.force_login(personas.reviewer)
    client.post("/notices/", {"email_digest": "on"})
    personas.reviewer.refresh_from_db()
    assert personas.reviewer.email_digest is True


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_digest_is_sent_at_most_once_an_hour(personas):
    reviewer = personas.reviewer
    reviewer.email, reviewer.email_digest = "r1@example.org", True
    reviewer.save()
    first = make_item(personas.investigator)
    assert tasks.review_digest_plan(str(first.pk)) == 1  # planned for now
    assert tasks.review_digest_send(reviewer.pk) is True
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["r1@example.org"] and "1 item in your review queue" in message.subject
    assert first.signatures.first().value not in message.body and first.external_reference not in message.body
    second = make_item(personas.investigator)
    assert tasks.review_digest_plan(str(second.pk)) == 1  # planned for an hour after the first
    state = DigestState.objects.get(user=reviewer)
    assert (state.scheduled_for - state.last_sent_at).total_seconds() == pytest.approx(3600, abs=5)
    assert tasks.review_digest_plan(str(second.pk)) == 0  # already planned
    assert tasks.review_digest_send(reviewer.pk) is False  # too early: nothing sent
    assert len(mail.outbox) == 1


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_no_digest_without_opt_in_or_an_empty_queue(personas):
    personas.reviewer.email = "r1@example.org"
    personas.reviewer.save()
    item = make_item(personas.investigator)
    assert tasks.review_digest_plan(str(item.pk)) == 0
    personas.reviewer.email_digest = True
    personas.reviewer.save()
    review_recuse(actor=personas.reviewer, item=item, reason="other")
    notices.plan_digest(personas.reviewer.pk)
    assert tasks.review_digest_send(personas.reviewer.pk) is False
    assert mail.outbox == []


def test_submitting_schedules_the_digest_after_commit(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        make_item(personas.investigator)
    assert len(callbacks) == 1


def test_administrators_publish_criteria_on_a_page_with_a_second_administrator(personas, client, second_admin):
    client.force_login(personas.admin)
    page = client.get("/criteria/").content.decode()
    assert "In force: version 1" in page and "real_child | " in page
    bad = client.post("/criteria/", {"criteria": "no separator here"})
    assert bad.status_code == 400 and "write &#x27;key | question&#x27;" in bad.content.decode()
    text = "real_child | Real?\nunder_13 | Young?\nsexual_abuse | Abuse?\nconsent | Consent checked?"
    response = client.post("/criteria/", {"criteria": text}, follow=True)
    assert "Request sent; another administrator must approve it" in response.content.decode()
    assert make_item(personas.investigator, external_reference="ICSE-BEFORE").criteria_set.version == 1
    from tests.clients import approve_as

    assert approve_as(second_admin)["Location"] == "/requests/"
    item = make_item(personas.investigator)
    assert item.criteria_set.version == 2
    client.force_login(personas.curator)
    assert client.get("/criteria/").status_code == 403


def test_api_criteria_follow_the_active_version(personas, api):
    criteria_publish(actor=SYSTEM, criteria=[("a_key", "A question?")])
    assert api(personas.reviewer).get("/api/v1/criteria/").json() == {
        "version": 2, "criteria": [{"key": "a_key", "question": "A question?"}]}


def test_a_review_with_the_new_keys_is_needed_for_new_items(personas, api):
    criteria_publish(actor=SYSTEM, criteria=[("a_key", "A question?")])
    item = make_item(personas.investigator)
    response = api(personas.reviewer).post(f"/api/v1/submissions/{item.pk}/reviews/", {"answers": YES},
                                           format="json")
    assert response.status_code == 400
    response = api(personas.reviewer).post(f"/api/v1/submissions/{item.pk}/reviews/", {"answers": {"a_key": True}},
                                           format="json")
    assert response.status_code == 201
