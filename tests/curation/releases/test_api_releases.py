import base64
import contextlib
import hashlib
import json
import threading

import pytest
from django.db import connection

from core.errors import DomainError
from curation.models import Download, Release, ReleaseDelta
from curation.releases import signing
from curation.releases.services import feed_grant, release_request
from curation.releases.storage import export_storage
from curation.submissions.services import item_retract
from tests.curation.helpers import approved_item, publish
from tests.races import all_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(personas):
    approved_item(personas, algorithms=("md5", "sha256", "photodna"))
    approved_item(personas, algorithms=("sha1",))
    return publish(personas.curator)


@pytest.fixture
def standard_partner(personas):
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    return personas.partner


def test_curators_request_a_build_with_202(personas, api):
    approved_item(personas)
    response = api(personas.curator).post("/api/v1/releases/", {"note": "weekly"}, format="json")
    assert response.status_code == 202
    assert response.json() == {"version": 1, "status": "building"}
    again = api(personas.curator).post("/api/v1/releases/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "build_running"


@pytest.mark.parametrize("user", ["investigator", "reviewer", "partner", "admin", "outsider"])
def test_only_curators_publish_through_the_api(personas, api, user):
    assert api(getattr(personas, user)).post("/api/v1/releases/", {}, format="json").status_code == 403


@pytest.mark.parametrize("user", ["investigator", "reviewer", "admin", "outsider"])
def test_everyone_else_gets_403_on_releases(personas, api, published, user):
    client = api(getattr(personas, user))
    for path in ("/api/v1/releases/", "/api/v1/releases/latest/", "/api/v1/releases/1/",
                 "/api/v1/releases/1/files/csv/", "/api/v1/releases/1/manifest/", "/api/v1/releases/1/signature/",
                 "/api/v1/releases/1/delta/?since=1", "/api/v1/signing-keys/"):
        assert client.get(path).status_code == 403, path


def test_a_partner_sees_published_releases_and_only_its_feeds_files(personas, api, published, standard_partner):
    body = api(standard_partner).get("/api/v1/releases/1/").json()
    assert set(body) == {"version", "status", "created_at", "published_at", "item_count", "signature_counts",
                         "added", "removed", "previous_version", "files"}
    assert body["status"] == "published" and body["item_count"] == 2
    formats = {f["format"] for f in body["files"]}
    assert "photodna" not in formats and "vics" not in formats and "csv" in formats
    csv_file = next(f for f in body["files"] if f["format"] == "csv")
    assert csv_file["url"] == "http://testserver/api/v1/releases/1/files/csv/"
    assert api(standard_partner).get("/api/v1/releases/latest/").json()["version"] == 1


def test_partners_download_only_their_feeds(personas, api, published, standard_partner):
    client = api(standard_partner)
    response = client.get("/api/v1/releases/1/files/csv/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    record = published.files.get(format="csv")
    assert hashlib.sha256(data).hexdigest() == record.sha256
    assert response["ETag"] == f'"{record.sha256}"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="baseline-v1.csv"' in response["Content-Disposition"]
    denied = client.get("/api/v1/releases/1/files/photodna/")
    assert denied.status_code == 403 and "photodna feed" in denied.json()["detail"]
    assert client.get("/api/v1/releases/1/files/nonsense/").status_code == 404
    not_modified = client.get("/api/v1/releases/1/files/csv/", HTTP_IF_NONE_MATCH=f'"{record.sha256}"')
    assert not_modified.status_code == 304


def test_a_partner_without_entitlement_gets_no_files(personas, api, published):
    client = api(personas.partner)
    assert client.get("/api/v1/releases/1/").json()["files"] == []
    assert client.get("/api/v1/releases/1/files/csv/").status_code == 403


def test_every_download_is_logged(personas, api, published, standard_partner):
    client = api(standard_partner)
    client.get("/api/v1/releases/1/files/md5/")
    client.get("/api/v1/releases/1/manifest/")
    client.get("/api/v1/releases/1/signature/")
    logged = list(Download.objects.order_by("created_at").values_list("file", "user__username", "address"))
    assert logged == [("md5", "partner", "127.0.0.1"), ("manifest", "partner", "127.0.0.1"),
                      ("signature", "partner", "127.0.0.1")]
    from core.models import AuditEntry

    assert AuditEntry.objects.filter(action="release.download").count() == 3


def test_manifest_signature_and_keys_verify_offline(personas, api, published, standard_partner):
    client = api(standard_partner)
    manifest = client.get("/api/v1/releases/1/manifest/").content
    assert manifest == bytes(published.manifest)
    sig = client.get("/api/v1/releases/1/signature/").json()
    keys = client.get("/api/v1/signing-keys/").json()
    key = next(k for k in keys if k["key_id"] == sig["key_id"])
    assert sig["algorithm"] == "ed25519" and key["active"] is True and key["algorithm"] == "ed25519"
    assert signing.verify(base64.b64decode(key["public_key"]), manifest, sig["signature"])
    entries = {f["format"]: f for f in json.loads(manifest)["files"]}
    data = b"".join(client.get("/api/v1/releases/1/files/sha1/").streaming_content)
    assert (len(data), hashlib.sha256(data).hexdigest()) == (entries["sha1"]["size"], entries["sha1"]["sha256"])


def test_partners_see_nothing_unpublished(personas, api, published, standard_partner):
    release_request(actor=personas.curator)  # v2 building
    client = api(standard_partner)
    assert client.get("/api/v1/releases/2/").status_code == 404
    assert [r["version"] for r in client.get("/api/v1/releases/").json()["results"]] == [1]
    curator = api(personas.curator).get("/api/v1/releases/").json()["results"]
    assert [(r["version"], r["status"]) for r in curator] == [(2, "building"), (1, "published")]
    assert api(personas.curator).get("/api/v1/releases/2/files/csv/").status_code == 404


def test_delta_since_an_earlier_version(personas, api, published, standard_partner):
    item = approved_item(personas, algorithms=("md5",))
    publish(personas.curator)
    item_retract(actor=personas.curator, item=item, reason="r")
    publish(personas.curator)
    client = api(standard_partner)
    response = client.get("/api/v1/releases/3/delta/?since=1")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text == "change,item_id,media_type,algorithm,value\n"  # added in 2, removed in 3: no net change
    text = b"".join(client.get("/api/v1/releases/2/delta/?since=1").streaming_content).decode()
    assert f"added,{item.pk},image,md5," in text
    client.get("/api/v1/releases/3/delta/?since=1")
    assert ReleaseDelta.objects.count() == 2  # made on request, then kept
    for bad in ("", "?since=3", "?since=4", "?since=0", "?since=x"):
        assert client.get(f"/api/v1/releases/3/delta/{bad}").status_code == 400, bad


def test_retract_through_the_api(personas, api, published):
    item = published.listings().first().submission
    assert api(personas.partner).post(f"/api/v1/submissions/{item.pk}/retract/", {"reason": "x"},
                                      format="json").status_code == 403
    assert api(personas.curator).post(f"/api/v1/submissions/{item.pk}/retract/", {}, format="json").status_code == 400
    response = api(personas.curator).post(f"/api/v1/submissions/{item.pk}/retract/", {"reason": "wrong hash"},
                                          format="json")
    assert response.status_code == 200 and response.json()["status"] == "retracted"
    again = api(personas.curator).post(f"/api/v1/submissions/{item.pk}/retract/", {"reason": "x"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "not_approved"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_publish_requests_give_one_build(personas):
    for _ in range(5):
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def request(barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait()
                release_request(actor=personas.curator)
                outcomes.append("requested")
            except DomainError as exc:
                outcomes.append(exc.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=request) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["build_running", "requested"], outcomes
        assert Release.objects.filter(status="building").count() == 1
        building = Release.objects.get(status="building")
        from curation import tasks

        assert tasks.release_build(building.pk) == "published"
    assert list(Release.objects.order_by("version").values_list("version", flat=True)) == [1, 2, 3, 4, 5]


def test_the_delta_needs_the_standard_feed(personas, api, published):
    publish(personas.curator)
    client = api(personas.partner)
    assert client.get("/api/v1/releases/2/delta/?since=1").status_code == 403
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="photodna")
    assert client.get("/api/v1/releases/2/delta/?since=1").status_code == 403
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    assert client.get("/api/v1/releases/2/delta/?since=1").status_code == 200


def _build_now(actor) -> Release:
    """Request a release and build it here, in process as without a broker: transactional tests
    commit for real, so the build runs on commit and no task is queued."""
    from config.celery import app

    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        release = release_request(actor=actor)
    finally:
        app.conf.task_always_eager = eager
    release.refresh_from_db()
    assert release.status == "published"
    return release


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_request_answers_building_even_when_the_build_runs_in_process(personas, api):
    """Without a broker the build runs on commit, inside the request; the answer is still the
    status the release was requested in (DESIGN.md: 202 {version, status: building})."""
    from config.celery import app

    approved_item(personas)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        response = api(personas.curator).post("/api/v1/releases/", {"note": "weekly"}, format="json")
    finally:
        app.conf.task_always_eager = eager
    assert response.status_code == 202
    assert response.json() == {"version": 1, "status": "building"}
    assert Release.objects.get(version=1).status == "published"  # it did run in process


def test_not_modified_answers_are_not_downloads(personas, api, published, standard_partner):
    from core.models import AuditEntry

    publish(personas.curator)
    client = api(standard_partner)
    record = published.files.get(format="csv")
    delta = client.get("/api/v1/releases/2/delta/?since=1")  # made on this first request, and logged
    assert delta.status_code == 200
    assert Download.objects.count() == 1
    for path, etag in (("/api/v1/releases/1/files/csv/", record.sha256),
                       ("/api/v1/releases/1/manifest/", published.manifest_sha256),
                       ("/api/v1/releases/2/delta/?since=1", delta["ETag"].strip('"'))):
        response = client.get(path, HTTP_IF_NONE_MATCH=f'W/"0", "{etag}"')
        assert response.status_code == 304, path
        assert response["ETag"] == f'"{etag}"'
    assert Download.objects.count() == 1
    assert AuditEntry.objects.filter(action="release.download").count() == 1
    assert client.get("/api/v1/releases/1/manifest/").status_code == 200  # a real download is still logged
    assert Download.objects.count() == 2


def test_downloads_behind_a_trusted_proxy_record_the_forwarded_client(personas, api, published, standard_partner,
                                                                      settings):
    """BASELINE_TRUSTED_PROXIES=1: the address our proxy saw (rightmost X-Forwarded-For entry) is
    logged, never the proxy's REMOTE_ADDR nor what the client wrote further left; the lockout sees
    the same address (django-axes calls the same function)."""
    from axes.helpers import get_client_ip_address
    from django.test import RequestFactory

    settings.BASELINE_TRUSTED_PROXIES = 1
    headers = {"HTTP_X_FORWARDED_FOR": "198.51.100.9, 203.0.113.7", "REMOTE_ADDR": "10.0.0.1"}
    api(standard_partner).get("/api/v1/releases/1/files/md5/", **headers)
    assert Download.objects.get().address == "203.0.113.7"
    assert get_client_ip_address(RequestFactory().get("/", **headers)) == "203.0.113.7"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_first_requests_for_a_delta_make_it_once(personas, api, monkeypatch):
    """Every request answers 200 with the same bytes; one file is written and kept. To make the
    requests overlap for sure, each one about to store the delta waits (up to half a second) for the
    others to be about to store it too: with the claim under a lock only one ever gets there."""
    storing = {"barrier": None}
    storage = export_storage()
    save = storage.save

    def save_together(name, content, *args, **kwargs):
        if storing["barrier"] is not None and "delta-since" in name:
            with contextlib.suppress(threading.BrokenBarrierError):
                storing["barrier"].wait(0.5)
        return save(name, content, *args, **kwargs)

    monkeypatch.setattr(storage, "save", save_together)
    first = approved_item(personas, algorithms=("md5",))
    _build_now(personas.curator)
    for n in range(3):  # versions 2 to 4, each adding an item; version 3 also removes the first
        approved_item(personas, algorithms=("md5", "sha1"))
        if n == 1:
            item_retract(actor=personas.curator, item=first, reason="not the file it claimed")
        _build_now(personas.curator)
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    clients = [api(personas.partner) for _ in range(4)]
    for version, since in ((4, 1), (4, 3), (3, 1)):
        storing["barrier"] = threading.Barrier(len(clients))

        def fetch(client, url=f"/api/v1/releases/{version}/delta/?since={since}"):
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.status_code == 200 else response.content
            return response.status_code, body

        answers = all_at_once(fetch, [(client,) for client in clients])
        assert all(isinstance(a, tuple) and a[0] == 200 for a in answers), answers
        assert len({body for _, body in answers}) == 1
        delta = ReleaseDelta.objects.get(release__version=version, since_version=since)
        assert hashlib.sha256(answers[0][1]).hexdigest() == delta.sha256
        _, names = export_storage().listdir(f"releases/v{version}")
        assert [n for n in names if f"delta-since-v{since}" in n] == [delta.name], names
