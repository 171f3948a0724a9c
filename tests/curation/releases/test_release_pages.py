import pytest

from curation.models import Release
from curation.releases.services import feed_grant
from tests.curation.helpers import approved_item, publish

pytestmark = pytest.mark.django_db


def test_a_curator_publishes_from_the_browser(personas, client, django_capture_on_commit_callbacks):
    approved_item(personas)
    client.force_login(personas.curator)
    page = client.get("/releases/").content.decode()
    assert "adds <strong>1</strong> item (approved" in page and "Publish the next release" in page
    assert "data-confirm" not in page  # a change: no question
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/releases/publish/", {"note": "first"}, follow=True)
    assert "Release 1 requested" in response.content.decode()
    assert len(callbacks) == 1  # the build task is queued after commit
    building = client.get("/releases/").content.decode()
    assert "Building release 1" in building
    assert 'data-follow="/api/v1/releases/1/" data-done="/releases/?built=1"' in building
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in building  # only without scripts
    assert '<script src="/static/js/release-progress.js" defer>' in building
    from curation import tasks

    tasks.release_build(Release.objects.get().pk)
    done = client.get("/releases/").content.decode()
    assert "status-published" in done and 'http-equiv="refresh"' not in done and "release-progress.js" not in done


def test_a_partner_sees_download_buttons_for_its_feeds_only(personas, client):
    approved_item(personas, algorithms=("md5", "photodna"))
    publish(personas.curator)
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    client.force_login(personas.partner)
    page = client.get("/releases/1/").content.decode()
    assert "/api/v1/releases/1/files/csv/" in page and "/api/v1/releases/1/files/photodna/" not in page
    assert "Verify offline" in page and "Publish the next release" not in page
    response = client.get("/api/v1/releases/1/files/csv/")  # the button works with the browser session
    assert response.status_code == 200


def test_partners_do_not_see_building_releases_in_the_browser(personas, client):
    from curation.releases.services import release_request

    release_request(actor=personas.curator)
    client.force_login(personas.partner)
    assert client.get("/releases/1/").status_code == 404
    assert "No release has been published yet" in client.get("/releases/").content.decode()


@pytest.mark.parametrize("user", ["investigator", "reviewer", "admin"])
def test_release_pages_are_for_curators_and_partners(personas, client, user):
    client.force_login(getattr(personas, user))
    assert client.get("/releases/").status_code == 403
    assert client.post("/releases/publish/").status_code == 403


def test_curators_retract_from_the_item_page(personas, client):
    item = approved_item(personas)
    client.force_login(personas.curator)
    assert "Retract this item" in client.get(f"/submissions/{item.pk}/").content.decode()
    client.post(f"/submissions/{item.pk}/retract/", {"reason": ""})
    item.refresh_from_db()
    assert item.status == "approved"
    client.post(f"/submissions/{item.pk}/retract/", {"reason": "wrong file"})
    item.refresh_from_db()
    assert item.status == "retracted"


def test_administrators_manage_entitlements_on_a_page(personas, client):
    client.force_login(personas.admin)
    org = personas.partner.organisation
    page = client.get("/entitlements/").content.decode()
    assert "Example Networks" in page and "Grant photodna to Example Networks" in page
    client.post("/entitlements/", {"organisation": org.pk, "feed": "photodna", "action": "grant"})
    from curation.releases.selectors import feeds_of

    assert feeds_of(org) == {"photodna"}
    client.post("/entitlements/", {"organisation": org.pk, "feed": "photodna", "action": "revoke"})
    assert feeds_of(org) == set()
    client.force_login(personas.curator)
    assert client.get("/entitlements/").status_code == 403


def test_the_release_note_is_shown_to_curators_only(personas, client):
    """The curators' note (why a release was made, names of cases) is internal, as in the API."""
    approved_item(personas)
    publish(personas.curator, note="cleanup after case OP-ORCHID")
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    client.force_login(personas.partner)
    partner_page = client.get("/releases/1/").content.decode()
    assert "OP-ORCHID" not in partner_page and "/api/v1/releases/1/files/csv/" in partner_page
    client.force_login(personas.curator)
    assert "OP-ORCHID" in client.get("/releases/1/").content.decode()


def test_the_publish_box_counts_what_the_next_release_adds_and_removes(personas, client):
    """The counts come from the snapshot's rule, so they match the release that is then built; with
    nothing to change, publishing asks first."""
    from curation.submissions.services import item_retract

    kept, retracted = approved_item(personas), approved_item(personas)
    publish(personas.curator)
    client.force_login(personas.curator)
    page = client.get("/releases/").content.decode()
    assert "adds <strong>0</strong> items" in page and "removes <strong>0</strong> items" in page
    assert 'data-confirm="Nothing has changed since the last release' in page

    item_retract(actor=personas.curator, item=retracted, reason="another file's hash")
    approved_item(personas), approved_item(personas)
    page = client.get("/releases/").content.decode()
    assert "adds <strong>2</strong> items" in page and "removes <strong>1</strong> item " in page
    assert "data-confirm" not in page
    release = publish(personas.curator)
    assert (release.added, release.removed) == (2, 1)
    assert kept.pk in set(release.listings().values_list("submission_id", flat=True))


def test_the_page_the_progress_display_opens_says_published_or_failed(personas, client, settings, tmp_path):
    from curation import tasks
    from curation.releases.services import release_request

    approved_item(personas)
    client.force_login(personas.curator)
    release = release_request(actor=personas.curator)
    page = client.get("/releases/?built=1").content.decode()
    assert "Building release 1" in page and "build-outcome" not in page  # still building: nothing to say yet
    good = settings.STORAGES["exports"]
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the export directory should be")
    settings.STORAGES = {**settings.STORAGES, "exports": {**good, "OPTIONS": {"location": str(blocker)}}}
    assert tasks.release_build(release.pk) == "failed"
    page = client.get("/releases/?built=1").content.decode()
    assert "Release 1 failed" in page and "Nothing was published. Publishing again retries it" in page
    assert Release.objects.get().error in page.replace("&#x27;", "'")
    settings.STORAGES = {**settings.STORAGES, "exports": good}
    publish(personas.curator)
    page = client.get("/releases/?built=1").content.decode()
    assert "Release 1 is published" in page and "1 item (+1 / −0)" in page and 'href="/releases/1/"' in page
    for odd in ("", "x", "-1", "99", "1.0"):
        response = client.get("/releases/", {"built": odd})
        assert response.status_code == 200 and "build-outcome" not in response.content.decode(), odd
    client.force_login(personas.partner)
    assert "build-outcome" not in client.get("/releases/?built=1").content.decode()


def test_the_publish_box_and_the_table_come_from_one_read(personas, client):
    """The box said "being built" beside a published row when it and the table were two queries and
    the build published between them; page 1 reads the releases once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from curation.releases.services import release_request

    publish(personas.curator)
    release_request(actor=personas.curator)
    client.force_login(personas.curator)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/releases/").content.decode()
    reads = [q["sql"] for q in queries if 'FROM "curation_release"' in q["sql"] and "COUNT(" not in q["sql"]]
    assert len(reads) == 1, reads
    assert "Building release 2" in page and page.count("status-building") == 1


def test_the_api_tells_curators_the_build_attempts(personas, client):
    from curation.releases.services import release_request

    release_request(actor=personas.curator)
    client.force_login(personas.curator)
    body = client.get("/api/v1/releases/1/").json()
    assert (body["status"], body["attempts"], body["progress"]) == ("building", 0, "")
