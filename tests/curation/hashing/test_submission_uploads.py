"""The Submit page's "Hash a file" form with CSRF checks on, as a browser meets it."""

import hashlib
import json
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from curation.models import Submission
from tests.clients import VerifiedClient
from tests.curation.helpers import files_holding, large_png, large_video, no_file_writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(personas):
    client = VerifiedClient(enforce_csrf_checks=True)
    client.force_login(personas.investigator)
    return client


def hash_form(browser, data: bytes, *, token: bool = True):
    page = browser.get("/submit/").content.decode()
    fields = {"action": "hash", "file": SimpleUploadedFile("upload.bin", data)}
    if token:
        fields = {"csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1], **fields}
    return browser.post("/submit/", fields)


@override_settings(BASELINE_MAX_UPLOAD_MB=1)
@pytest.mark.parametrize("size", [2 * 1024 * 1024, 5 * 1024 * 1024], ids=["within-drain", "far-over"])
def test_a_file_far_over_the_limit_gets_the_413_page_not_a_csrf_failure(browser, size):
    with no_file_writes():
        response = hash_form(browser, b"\xff\xd8\xff" + b"0" * size)
    assert response.status_code == 413
    page = response.content.decode()
    assert "The file is larger than the 1 MB limit." in page and "CSRF" not in page
    assert not Submission.objects.exists()


@override_settings(BASELINE_MAX_UPLOAD_MB=1)
def test_a_file_just_over_the_limit_gets_the_submit_page_with_the_error(browser):
    response = hash_form(browser, b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 10))
    assert response.status_code == 413
    assert "The file is larger than the 1 MB limit." in response.content.decode()
    assert response.context["form"]["sig_md5"] == ""


def test_a_form_without_its_csrf_token_is_still_refused(browser):
    response = hash_form(browser, b"\xff\xd8\xff" + b"0" * 100, token=False)
    assert response.status_code == 403
    assert "CSRF verification failed" in response.content.decode()


def test_a_large_file_is_hashed_in_memory_through_the_browser_form(browser):
    data = large_png()
    with no_file_writes():
        response = hash_form(browser, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["media_type"] == "image" and form["sig_sha256"] == hashlib.sha256(data).hexdigest()
    assert len(form["sig_pdq"]) == 64
    assert not Submission.objects.exists()


def test_the_csrf_failure_view_answers_json_under_the_api_and_otherwise_defers_to_django(rf, settings):
    from curation.hashing.uploads import TOO_LARGE_ATTR
    from curation.hashing.views import csrf_failure

    request = rf.post("/api/v1/anything/")
    setattr(request, TOO_LARGE_ATTR, True)
    response = csrf_failure(request, reason="CSRF token missing.")
    assert response.status_code == 413
    limit = settings.BASELINE_MAX_UPLOAD_MB
    assert json.loads(response.content) == {"detail": f"The file is larger than the {limit} MB limit.",
                                            "code": "too_large"}
    assert csrf_failure(rf.post("/submit/"), reason="CSRF token missing.").status_code == 403


def test_a_video_over_the_spill_size_is_hashed_through_the_browser_form_without_touching_the_disk(browser):
    data = large_video()
    chunk, started = data[-64:], time.time()
    with no_file_writes() as tried:
        response = hash_form(browser, data)
    assert response.status_code == 200 and tried == []
    assert response.context["video"]["frame_count"] >= 30 and response.context["video"]["seconds_per_hash"] == 0
    assert json.loads(response.context["form"]["sig_vpdq"])
    assert files_holding(chunk, started) == []
