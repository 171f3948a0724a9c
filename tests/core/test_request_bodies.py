"""API request bodies (issue 11, items 6 and 11): JSON nested too deep is a 400, a body over
Django's size limit the JSON 413, and no API body is read before the caller is authenticated; the
API's own parsers refuse NUL characters in form fields instead (core/parsers.py)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from rest_framework.test import APIClient

from core.parsers import MAX_JSON_DEPTH, JSONParser, TooDeep, json_depth
from curation.models import Submission
from tests.clients import VerifiedClient

pytestmark = pytest.mark.django_db

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
BOUNDARY = "BoUnDaRyStRiNg"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def _client(**kwargs) -> APIClient:
    return APIClient(raise_request_exception=False, **kwargs)


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, "[" * 1000])
def test_json_nested_a_thousand_deep_is_a_400_in_the_error_shape(personas, api, body):
    client = api(personas.investigator)
    client.raise_request_exception = False
    response = client.post("/api/v1/submissions/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.",
                               "code": "too_deep"}
    assert not Submission.objects.exists()


def test_deep_json_is_refused_before_the_csrf_check_of_a_session_without_recursing(personas):
    # DRF's SessionAuthentication reads request.POST for its CSRF check (once a CSRF cookie is
    # there, which anyone can get), and that parses the JSON body.
    browser = VerifiedClient(enforce_csrf_checks=True, raise_request_exception=False)
    browser.force_login(personas.investigator)
    browser.cookies["csrftoken"] = "a" * 32
    response = browser.post("/api/v1/submissions/", data=DEEP_ARRAY, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "too_deep"
    # A shallow body without the token is still a CSRF 403.
    response = browser.post("/api/v1/submissions/", data="{}", content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_the_depth_limit_counts_structure_not_brackets_in_strings():
    parse = JSONParser().parse
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_depth(at_limit) == MAX_JSON_DEPTH
    assert parse(io.BytesIO(at_limit.encode())) is not None
    with pytest.raises(TooDeep):
        parse(io.BytesIO(("[" + at_limit + "]").encode()))
    in_strings = '{"a": "' + "[" * 5000 + '", "b": ["\\"[[[[", "\\\\"]}'
    assert json_depth(in_strings) == 2
    assert parse(io.BytesIO(in_strings.encode()))["b"] == ['"[[[[', "\\"]
    # Quotes and backslashes arranged against the scan stay linear (this returns at once).
    assert json_depth('"' + '\\"' * 200_000 + "\\") == 0


def test_a_json_body_over_djangos_limit_is_the_json_413(personas, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    client = api(personas.investigator)
    client.raise_request_exception = False
    body = '{"note": "' + "a" * 5000 + '"}'
    response = client.post("/api/v1/submissions/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than the 4 KB limit for form and JSON data.",
        "code": "request_too_large",
    }


def test_a_form_body_over_djangos_limit_is_the_json_413_too(personas, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    client = api(personas.investigator)
    client.raise_request_exception = False
    response = client.post("/api/v1/submissions/", data="note=" + "a" * 5000,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_too_many_form_fields_is_a_json_400(personas, api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    client = api(personas.investigator)
    client.raise_request_exception = False
    body = "&".join(f"f{i}=x" for i in range(10))
    response = client.post("/api/v1/submissions/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def _nul_multipart() -> bytes:
    upload = SimpleUploadedFile("a.jpg", b"\xff\xd8\xff" + b"0" * 1000, content_type="image/jpeg")
    return encode_multipart(BOUNDARY, {"note": "a\x00b", "file": upload})


def test_an_anonymous_multipart_post_is_refused_before_its_body_is_read():
    response = _client().post("/api/v1/hash/", data=_nul_multipart(),
                              content_type=MULTIPART)
    assert response.status_code == 401  # not the 400 that parsing the NUL field would give
    assert response.json()["code"] == "not_authenticated"
    assert response.wsgi_request._read_started is False


def test_an_anonymous_form_post_to_the_api_is_not_parsed_either():
    response = _client().post("/api/v1/submissions/", data="note=a%00b",
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401
    assert response.wsgi_request._read_started is False


@pytest.mark.parametrize("path", ["/api/v1/hash/", "/api/v1/submissions/"])
def test_nul_characters_in_api_form_bodies_are_refused_after_authentication(personas, api, path):
    anonymous = _client().post(path, data=_nul_multipart(), content_type=MULTIPART)
    assert anonymous.status_code == 401
    client = api(personas.investigator)
    client.raise_request_exception = False
    response = client.post(path, data=_nul_multipart(), content_type=MULTIPART)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Null characters are not allowed."]}
    if path == "/api/v1/submissions/":  # (hash/ takes multipart only)
        response = client.post(path, data="note=a%00b", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Null characters are not allowed."]}
    assert not Submission.objects.exists()


def test_page_forms_are_still_checked_for_nul_characters_by_the_middleware(personas, client):
    client.force_login(personas.investigator)
    response = client.post("/submit/", {"note": "a\x00b"})
    assert response.status_code == 400
    assert response.content == b"Null characters are not allowed."
