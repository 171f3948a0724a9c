import pytest

pytestmark = pytest.mark.django_db


def test_me_describes_the_caller(personas, api):
    response = api(personas.curator).get("/api/v1/me/")
    assert response.status_code == 200
    org = personas.curator.organisation
    assert response.json() == {
        "username": "curator",
        "organisation": {"id": org.pk, "name": "Secretariat", "country": "FR", "kind": "secretariat"},
        "roles": ["curator"],
    }


def test_me_lists_every_role_sorted(personas, api):
    from accounts.services import role_grant

    role_grant(actor=personas.admin, user=personas.curator, role="partner", reason="also a partner")
    assert api(personas.curator).get("/api/v1/me/").json()["roles"] == ["curator", "partner"]


def test_algorithms_lists_the_table(personas, api):
    response = api(personas.partner).get("/api/v1/algorithms/")
    assert response.status_code == 200
    rows = {row["algorithm"]: row for row in response.json()}
    assert list(rows) == ["md5", "sha1", "sha256", "pdq", "photodna", "vpdq"]
    assert rows["pdq"]["media_types"] == ["image"]
    assert rows["photodna"]["computed_from_file"] is False
    assert rows["sha256"]["canonical_form"] == "64 lowercase hex"


def test_criteria_returns_the_default_set(personas, api):
    response = api(personas.reviewer).get("/api/v1/criteria/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert [c["key"] for c in body["criteria"]] == ["real_child", "under_13", "sexual_abuse"]
    assert all(c["question"].endswith("?") for c in body["criteria"])


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/algorithms/", "/api/v1/criteria/"])
def test_every_endpoint_needs_authentication(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unknown_api_path_is_404(personas, api):
    assert api(personas.curator).get("/api/v1/nothing-here/").status_code == 404


def test_write_to_a_read_only_endpoint_is_405_in_the_error_shape(personas, api):
    response = api(personas.curator).post("/api/v1/me/", {})
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.', "code": "method_not_allowed"}


def test_openapi_schema_and_docs_are_served_with_local_assets(personas, api, client):
    response = api(personas.curator).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/me/" in response.json()["paths"]
    client.force_login(personas.curator)
    page = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()


def test_docs_page_has_no_inline_script_or_style(personas, client):
    import re

    client.force_login(personas.curator)
    response = client.get("/api/v1/docs/")
    page = response.content.decode()
    assert "<style" not in page and " style=" not in page
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", page))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    script = client.get(re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1).replace("&amp;", "&"))
    assert script["Content-Type"].startswith("application/javascript")
    assert '"validatorUrl": null' in script.content.decode()
