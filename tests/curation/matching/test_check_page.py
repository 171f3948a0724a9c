"""The Check page: partners paste hashes, curators and investigators may also choose a file; matches
shown with their evidence; bad lines named; the same feed rules as the API."""

from __future__ import annotations

import re

import pytest
from baseline_client.hashing.media import pdq_from_image_bytes
from django.core.files.uploadedfile import SimpleUploadedFile

from curation.releases.services import feed_grant
from tests.clients import VerifiedClient
from tests.curation.helpers import TESTDATA, approved_item, fake, publish

pytestmark = pytest.mark.django_db
BRIDGE = TESTDATA / "pdq" / "bridge-mods"


def browser(user):
    client = VerifiedClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post(client, **fields):
    page = client.get("/check/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    return client.post("/check/", {"csrfmiddlewaretoken": token, **fields})


@pytest.fixture
def listed(personas):
    original, _ = pdq_from_image_bytes((BRIDGE / "aaa-orig.jpg").read_bytes())
    md5 = fake("md5")
    item = approved_item(personas, algorithms=(), signatures=[
        {"algorithm": "md5", "value": md5}, {"algorithm": "pdq", "value": original, "quality": 100}])
    publish()
    return item, md5, original


def test_a_partner_pastes_hashes_and_sees_matches_with_their_evidence(personas, listed):
    item, md5, _ = listed
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    edit, _ = pdq_from_image_bytes((BRIDGE / "blur-a-lot.jpg").read_bytes())
    client = browser(personas.partner)
    assert b'name="file"' not in client.get("/check/").content  # partners send hashes only
    response = post(client, hashes=f"{md5.upper()}\npdq {edit}\nmd5: {fake('md5')}\n")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count(str(item.pk)) == 2 and "the same md5 value" in page
    assert re.search(r"PDQ distance \d+ of 256 bits", page) and page.count("No match.") == 1
    assert "Matched against the baseline list, release 1." in page


def test_bad_lines_are_named_and_nothing_is_matched(personas, listed):
    response = post(browser(personas.investigator), hashes="md5 abc\nnonsense line here\n")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 2: write the algorithm, then the value" in page and "Results" not in page
    assert "md5 abc" in page  # what was typed is kept


def test_a_value_the_algorithm_refuses_is_named(personas, listed):
    response = post(browser(personas.investigator), hashes="sha256 xyz")
    assert response.status_code == 400 and "query 0: sha256: expected 64" in response.content.decode()


def test_an_investigator_may_choose_a_file_hashed_in_memory(personas, listed):
    item, _, _ = listed
    chosen = SimpleUploadedFile("x", (BRIDGE / "high-contrast.jpg").read_bytes())
    response = post(browser(personas.investigator), file=chosen)
    assert response.status_code == 200 and str(item.pk) in response.content.decode()


def test_a_partner_without_the_feed_is_told_which_feed(personas, listed):
    _, md5, _ = listed
    response = post(browser(personas.partner), hashes=md5)
    assert response.status_code == 403 and "standard feed" in response.content.decode()


def test_reviewers_cannot_open_the_page(personas):
    assert browser(personas.reviewers[0]).get("/check/").status_code == 403
