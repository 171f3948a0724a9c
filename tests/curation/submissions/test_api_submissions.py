import pytest

from curation.models import Submission
from tests.curation.helpers import fake, item_payload

pytestmark = pytest.mark.django_db


def create(api, user, payload=None):
    return api(user).post("/api/v1/submissions/", item_payload() if payload is None else payload, format="json")


def test_create_returns_the_item_in_the_contract_shape(personas, api):
    payload = item_payload(algorithms=("md5", "pdq"), note="seen in case 7")
    response = create(api, personas.investigator, payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= {"id", "status", "media_type", "signatures", "external_reference", "note", "organisation",
                         "criteria_set_version", "required_agreements", "created_at", "decided_at"}
    assert "previous" not in body
    org = personas.investigator.organisation
    assert body["organisation"] == {"id": org.pk, "name": org.name, "country": org.country}
    assert body["status"] == "pending" and body["decided_at"] is None
    assert body["criteria_set_version"] == 1 and body["required_agreements"] == 3
    sigs = {s["algorithm"]: s for s in body["signatures"]}
    assert sigs["pdq"]["quality"] == 90 and "quality" not in sigs["md5"]


def test_a_pdq_value_without_quality_is_accepted(personas, api):
    payload = {"media_type": "image", "external_reference": "R",
               "signatures": [{"algorithm": "pdq", "value": fake("pdq")}]}
    assert create(api, personas.investigator, payload).status_code == 201


def test_errors_use_the_nested_field_shape(personas, api):
    payload = {"media_type": "image", "external_reference": "R",
               "signatures": [{"algorithm": "md5", "value": fake("md5")}, {"algorithm": "sha1", "value": "xyz"}]}
    response = create(api, personas.investigator, payload)
    assert response.status_code == 400
    assert response.json() == {"signatures": [{}, {"value": [
        "sha1: expected 40 hexadecimal characters, got 3 characters ('xyz')."]}]}
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "media_type"),
        ({"media_type": "image", "external_reference": "R"}, "signatures"),
        ({"media_type": "image", "external_reference": "R", "signatures": "md5"}, "signatures"),
        ({"media_type": "image", "external_reference": "R", "signatures": [{"value": "x"}]}, "signatures"),
        ({"media_type": "image", "signatures": [{"algorithm": "md5", "value": "0" * 32}]}, "external_reference"),
    ],
)
def test_malformed_bodies_get_400(personas, api, payload, field):
    response = create(api, personas.investigator, payload)
    assert response.status_code == 400 and field in response.json()


def test_more_signatures_than_algorithms_get_a_clear_400(personas, api):
    rows = [{"algorithm": "md5", "value": fake("md5")} for _ in range(7)]
    payload = {"media_type": "image", "external_reference": "R", "signatures": rows}
    response = create(api, personas.investigator, payload)
    assert response.status_code == 400
    assert response.json() == {"signatures": {"non_field_errors": [
        "At most 6 signatures: one per algorithm (md5, sha1, sha256, pdq, photodna, vpdq)."]}}
    many = create(api, personas.investigator, {"media_type": "image", "external_reference": "R",
                                               "signatures": [{"algorithm": "x", "value": "y"}] * 5000})
    assert many.status_code == 400 and list(many.json()["signatures"]) == ["non_field_errors"]  # no row parsed
    assert not Submission.objects.exists()


def test_a_duplicate_gets_409_with_the_existing_items_id_and_status_only(personas, api):
    first = create(api, personas.investigator).json()
    payload = item_payload()
    payload["signatures"] = [{"algorithm": "sha256", "value": first["signatures"][1]["value"]}]
    response = create(api, personas.reviewer, payload)
    assert response.status_code == 403  # reviewers do not submit
    response = create(api, personas.colleague, payload)
    assert response.status_code == 409
    assert response.json() == {"detail": response.json()["detail"], "code": "duplicate",
                               "existing_item": {"id": first["id"], "status": "pending"}, "algorithm": "sha256"}


@pytest.mark.parametrize("user", ["reviewer", "curator", "partner", "admin", "outsider"])
def test_only_investigators_create(personas, api, user):
    response = create(api, getattr(personas, user))
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_list_shows_the_own_organisations_items_to_investigators_and_all_to_curators(personas, api):
    mine = create(api, personas.investigator).json()["id"]
    outsider_org = personas.reviewers[3].organisation
    from accounts.services import role_grant
    from tests.factories import UserFactory

    other = UserFactory(username="other-inv", organisation=outsider_org)
    role_grant(actor=personas.admin, user=other, role="investigator", reason="test")
    theirs = create(api, other).json()["id"]
    assert [i["id"] for i in api(personas.colleague).get("/api/v1/submissions/").json()["results"]] == [mine]
    curator_view = api(personas.curator).get("/api/v1/submissions/").json()
    assert curator_view["count"] == 2 and {i["id"] for i in curator_view["results"]} == {mine, theirs}
    assert api(personas.colleague).get(f"/api/v1/submissions/{theirs}/").status_code == 404
    assert api(personas.curator).get(f"/api/v1/submissions/{theirs}/").status_code == 200


@pytest.mark.parametrize("user", ["partner", "admin", "outsider"])
def test_other_roles_cannot_list_or_see_items(personas, api, user):
    item = create(api, personas.investigator).json()["id"]
    assert api(getattr(personas, user)).get("/api/v1/submissions/").status_code == 403
    assert api(getattr(personas, user)).get(f"/api/v1/submissions/{item}/").status_code == 404


def test_reviewers_see_only_items_queued_for_them_and_cannot_list(personas, api):
    item = create(api, personas.investigator).json()["id"]
    assert api(personas.reviewer).get("/api/v1/submissions/").status_code == 403
    assert api(personas.reviewer).get(f"/api/v1/submissions/{item}/").status_code == 200


def test_list_filters_by_status_and_paginates(personas, api):
    ids = [create(api, personas.investigator).json()["id"] for _ in range(3)]
    api(personas.investigator).post(f"/api/v1/submissions/{ids[0]}/withdraw/")
    client = api(personas.investigator)
    assert client.get("/api/v1/submissions/?status=withdrawn").json()["count"] == 1
    page = client.get("/api/v1/submissions/?status=pending&page_size=1").json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"] and page["previous"] is None
    assert client.get("/api/v1/submissions/?status=nonsense").status_code == 400
    assert client.get("/api/v1/submissions/?page=99").status_code == 404


def test_page_size_is_capped_at_500(personas, api):
    create(api, personas.investigator)
    assert api(personas.investigator).get("/api/v1/submissions/?page_size=100000").status_code == 200


def test_withdraw_through_the_api(personas, api):
    item = create(api, personas.investigator).json()["id"]
    assert api(personas.colleague).post(f"/api/v1/submissions/{item}/withdraw/").status_code == 403
    response = api(personas.investigator).post(f"/api/v1/submissions/{item}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    again = api(personas.investigator).post(f"/api/v1/submissions/{item}/withdraw/")
    assert again.status_code == 409 and again.json()["code"] == "not_pending"
    assert api(personas.curator).post(f"/api/v1/submissions/{item}/withdraw/").status_code == 403
    assert api(personas.partner).post(f"/api/v1/submissions/{item}/withdraw/").status_code == 404


def test_unknown_item_is_404(personas, api):
    response = api(personas.curator).get("/api/v1/submissions/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_curators_see_the_link_to_an_earlier_item(personas, api):
    payload = item_payload()
    first = create(api, personas.investigator, payload).json()["id"]
    api(personas.investigator).post(f"/api/v1/submissions/{first}/withdraw/")
    second = create(api, personas.investigator, payload).json()
    assert "previous" not in second
    assert api(personas.curator).get(f"/api/v1/submissions/{second['id']}/").json()["previous"] == first
