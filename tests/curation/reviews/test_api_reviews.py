import pytest

from accounts.models import Role
from curation.reviews.services import review_record, review_recuse
from tests.curation.helpers import NO_UNDER_13, YES, agree, make_item
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def post_review(api, user, item, answers=None, comment=""):
    return api(user).post(f"/api/v1/submissions/{item.pk}/reviews/",
                          {"answers": YES if answers is None else answers, "comment": comment}, format="json")


def test_queue_lists_pending_items_oldest_first(personas, api):
    first, second = make_item(personas.investigator), make_item(personas.investigator)
    body = api(personas.reviewer).get("/api/v1/review-queue/").json()
    assert body["count"] == 2
    assert [i["id"] for i in body["results"]] == [str(first.pk), str(second.pk)]
    assert set(body["results"][0]) >= {"id", "status", "signatures", "external_reference"}


def test_queue_never_depends_on_other_peoples_reviews(personas, api):
    item = make_item(personas.investigator)
    agree(item, personas.reviewers[0], personas.reviewers[1])
    review_recuse(actor=personas.reviewers[2], item=item, reason="other")
    ids = [i["id"] for i in api(personas.reviewers[3]).get("/api/v1/review-queue/").json()["results"]]
    assert ids == [str(item.pk)]
    assert api(personas.reviewers[0]).get("/api/v1/review-queue/").json()["count"] == 0


def test_queue_excludes_the_reviewers_own_organisation(personas, api):
    police_reviewer = UserFactory(username="pr", organisation=personas.investigator.organisation,
                                  roles=[Role.REVIEWER])
    make_item(personas.investigator)
    assert api(police_reviewer).get("/api/v1/review-queue/").json()["count"] == 0


@pytest.mark.parametrize("user", ["investigator", "curator", "partner", "admin", "outsider"])
def test_non_reviewers_get_403(personas, api, user):
    item = make_item(personas.investigator)
    client = api(getattr(personas, user))
    assert client.get("/api/v1/review-queue/").status_code == 403
    assert post_review(api, getattr(personas, user), item).status_code == 403
    assert client.post(f"/api/v1/submissions/{item.pk}/recuse/", {"reason": "other"}, format="json").status_code == 403


def test_review_returns_the_verdict_and_the_items_status(personas, api):
    item = make_item(personas.investigator)
    agree(item, *personas.reviewers[:2])
    response = post_review(api, personas.reviewers[2], item)
    assert response.status_code == 201
    assert response.json() == {"verdict": "agree", "submission_status": "approved"}


def test_a_pending_review_reveals_nothing_but_pending(personas, api):
    item = make_item(personas.investigator)
    assert post_review(api, personas.reviewer, item).json() == {"verdict": "agree", "submission_status": "pending"}
    assert post_review(api, personas.reviewers[1], item, NO_UNDER_13).json() == {
        "verdict": "disagree", "submission_status": "rejected"}


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"real_child": True, "under_13": True}, "sexual_abuse: not answered"),
        ({**YES, "extra": True}, "extra: not a criterion"),
        ({**YES, "under_13": "yes"}, "under_13: must be true or false"),
        (["agree"], "expected an object"),
    ],
)
def test_answers_must_match_exactly(personas, api, answers, fragment):
    item = make_item(personas.investigator)
    response = post_review(api, personas.reviewer, item, answers)
    assert response.status_code == 400
    assert any(fragment in m for m in response.json()["answers"]), response.json()


def test_missing_answers_field_is_400(personas, api):
    item = make_item(personas.investigator)
    response = api(personas.reviewer).post(f"/api/v1/submissions/{item.pk}/reviews/", {}, format="json")
    assert response.status_code == 400 and "answers" in response.json()


def test_ineligible_reviewers_get_403_and_second_reviews_409(personas, api):
    police_reviewer = UserFactory(username="pr", organisation=personas.investigator.organisation,
                                  roles=[Role.REVIEWER])
    item = make_item(personas.investigator)
    response = post_review(api, police_reviewer, item)
    assert response.status_code == 403 and response.json()["code"] == "own_organisation"
    assert post_review(api, personas.reviewer, item).status_code == 201
    again = post_review(api, personas.reviewer, item)
    assert again.status_code == 409 and again.json()["code"] == "already_reviewed"


def test_review_of_a_decided_item_is_409(personas, api):
    item = agree(make_item(personas.investigator), *personas.reviewers[:3])
    response = post_review(api, personas.reviewers[3], item)
    assert response.status_code == 409 and response.json()["code"] == "not_pending"


def test_unknown_item_is_404(personas, api):
    response = api(personas.reviewer).post("/api/v1/submissions/00000000-0000-0000-0000-000000000000/reviews/",
                                           {"answers": YES}, format="json")
    assert response.status_code == 404


def test_reviews_are_404_while_pending_even_for_curators(personas, api):
    item = agree(make_item(personas.investigator), personas.reviewer)
    for user in (personas.reviewer, personas.curator, personas.reviewers[1], personas.investigator):
        response = api(user).get(f"/api/v1/submissions/{item.pk}/reviews/")
        assert response.status_code == 404, user
        assert response.json() == {"detail": "No such item, or it is not visible to you.", "code": "not_found"}


def test_once_decided_reviewers_and_curators_see_every_review(personas, api):
    item = make_item(personas.investigator)
    agree(item, personas.reviewers[0], comment="clear case")
    review_record(actor=personas.reviewers[1], item=item, answers=dict(NO_UNDER_13), comment="adult")
    for user in (personas.reviewers[0], personas.reviewers[1], personas.curator):
        response = api(user).get(f"/api/v1/submissions/{item.pk}/reviews/")
        assert response.status_code == 200
        body = response.json()
        assert [(r["reviewer"], r["verdict"], r["comment"]) for r in body] == [
            ("reviewer1", "agree", "clear case"), ("reviewer2", "disagree", "adult")]
        assert body[1]["answers"] == NO_UNDER_13
        assert body[0]["organisation"]["name"] == "Rhineland Investigations"
    assert api(personas.investigator).get(f"/api/v1/submissions/{item.pk}/reviews/").status_code == 403
    assert api(personas.reviewers[2]).get(f"/api/v1/submissions/{item.pk}/reviews/").status_code == 404
    assert api(personas.investigator).get(f"/api/v1/submissions/{item.pk}/").json()["status"] == "rejected"


def test_recuse_through_the_api(personas, api):
    item = make_item(personas.investigator)
    client = api(personas.reviewer)
    assert client.post(f"/api/v1/submissions/{item.pk}/recuse/", {"reason": "bored"}, format="json").status_code == 400
    response = client.post(f"/api/v1/submissions/{item.pk}/recuse/", {"reason": "conflict_of_interest"}, format="json")
    assert response.status_code == 204
    assert client.get("/api/v1/review-queue/").json()["count"] == 0
    assert client.get(f"/api/v1/submissions/{item.pk}/").status_code == 404
    assert post_review(api, personas.reviewer, item).status_code == 403
