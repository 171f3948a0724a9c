"""The service computes exactly the signatures in the shared test-vector file
(client/tests/vectors.json), which the partner client's `baseline hash` is held to as well."""

from __future__ import annotations

import pytest

from client.tests.vectors import TESTDATA, VECTORS, comparable

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["file"])
def test_post_hash_computes_the_shared_vectors(personas, api, vector):
    path = TESTDATA / vector["file"]
    with path.open("rb") as handle:
        response = api(personas.investigator).post(
            "/api/v1/hash/", {"file": handle, "seconds_per_hash": VECTORS["seconds_per_hash"]}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["media_type"], comparable(body["signatures"])) == (vector["media_type"], vector["signatures"])
