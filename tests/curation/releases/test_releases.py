import base64
import csv
import hashlib
import io
import json

import pytest
from django.core.management import call_command

from accounts.models import Organisation
from core.errors import DomainError
from core.models import AuditEntry
from curation import tasks
from curation.models import Release, ReleaseFile, SigningKey, Submission
from curation.releases import exports, signing
from curation.releases.build import attempt_start, render_file, snapshot
from curation.releases.services import release_request
from curation.releases.storage import export_storage, open_file
from curation.submissions.services import item_retract
from tests.curation.helpers import approved_item, publish

pytestmark = pytest.mark.django_db
ROW_FORMATS = ["csv", "json", "md5", "sha1", "sha256", "pdq", "photodna", "vpdq", "threatexchange", "vics", "delta"]
# In the manifest's order: each full file followed by its gzip copy; the delta has none.
FORMATS = [f for row_format in ROW_FORMATS for f in ((row_format,) if row_format == "delta"
                                                      else (row_format, f"{row_format}.gz"))]


def read(release: Release, file_format: str) -> bytes:
    record = release.files.get(format=file_format)
    with open_file(record.path) as handle:
        return handle.read()


def image(personas, *algorithms):
    return approved_item(personas, algorithms=algorithms)


@pytest.fixture
def listed(personas):
    """Approved items with every algorithm, plus ones that must not be listed."""
    items = [
        image(personas, "md5", "sha1", "sha256", "pdq", "photodna"),
        image(personas, "sha256"),
        approved_item(personas, media_type="video", algorithms=("md5", "vpdq")),
    ]
    from tests.curation.helpers import make_item

    make_item(personas.investigator)  # pending: not listed
    return items


def expected_signatures(*, photodna: bool) -> set[tuple[str, str, str, str]]:
    rows = set()
    for item in Submission.objects.filter(status="approved"):
        for sig in item.signatures.all():
            if photodna or sig.algorithm != "photodna":
                rows.add((str(item.pk), item.media_type, sig.algorithm, sig.value))
    return rows


def test_a_release_lists_exactly_the_approved_items_in_every_format(personas, listed):
    release = publish(personas.curator, note="first")
    assert release.status == "published" and release.version == 1
    assert release.item_count == 3 and release.added == 3 and release.removed == 0
    assert release.signature_counts == {"md5": 2, "pdq": 1, "photodna": 1, "sha1": 1, "sha256": 2, "vpdq": 1}
    assert sorted(release.files.values_list("format", flat=True)) == sorted(FORMATS)
    standard = expected_signatures(photodna=False)

    rows = list(csv.reader(io.StringIO(read(release, "csv").decode())))
    assert rows[0] == ["item_id", "media_type", "algorithm", "value", "added_in_version"]
    assert {tuple(r[:4]) for r in rows[1:]} == standard and {r[4] for r in rows[1:]} == {"1"}

    document = json.loads(read(release, "json"))
    assert document["version"] == 1
    from_json = set()
    for entry in document["items"]:
        for algorithm, value in entry["signatures"].items():
            value = json.dumps(value, separators=(",", ":")) if algorithm == "vpdq" else value
            from_json.add((entry["item_id"], entry["media_type"], algorithm, value))
    assert from_json == standard

    for algorithm in ("md5", "sha1", "sha256", "pdq", "photodna", "vpdq"):
        lines = read(release, algorithm).decode().splitlines()
        expected = sorted(v for (_, _, a, v) in expected_signatures(photodna=True) if a == algorithm)
        assert lines == expected, algorithm

    delta = list(csv.reader(io.StringIO(read(release, "delta").decode())))
    assert {tuple(r[1:]) for r in delta[1:]} == standard and {r[0] for r in delta[1:]} == {"added"}
    vics = json.loads(read(release, "vics"))
    assert {m["MediaID"] for m in vics["value"]} == {str(listed[0].pk), str(listed[2].pk)}


def test_files_follow_the_byte_rules(personas, listed):
    release = publish(personas.curator)
    for record in release.files.exclude(format__endswith=".gz"):
        data = read(release, record.format)
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
        data.decode("utf-8")
        assert (len(data), hashlib.sha256(data).hexdigest()) == (record.size, record.sha256)
    for file_format in ("md5", "sha1", "sha256", "pdq", "photodna", "vpdq", "threatexchange"):
        lines = read(release, file_format).split(b"\n")[:-1]
        assert lines == sorted(lines), file_format
    for file_format in ("csv", "delta"):
        lines = read(release, file_format).split(b"\n")[1:-1]
        assert lines == sorted(lines), file_format


def test_the_manifest_is_canonical_signed_and_complete(personas, listed):
    release = publish(personas.curator)
    body = bytes(release.manifest)
    manifest = json.loads(body)
    assert body == signing.canonical_manifest(manifest)
    assert set(manifest) == {"list", "version", "previous_version", "previous_manifest_sha256", "created_at",
                             "item_count", "signature_counts", "added", "removed", "audit_head", "key_id", "files"}
    assert (manifest["list"], manifest["version"], manifest["previous_version"]) == ("baseline", 1, None)
    assert manifest["previous_manifest_sha256"] is None
    assert [f["format"] for f in manifest["files"]] == FORMATS
    assert {f["feed"] for f in manifest["files"] if f["format"] in ("photodna", "vics")} == {"photodna"}
    key = SigningKey.objects.get(active=True)
    assert manifest["key_id"] == key.key_id == release.key_id
    assert key.key_id == hashlib.sha256(base64.b64decode(key.public_key)).hexdigest()[:16]
    assert signing.verify(base64.b64decode(key.public_key), body, release.signature)
    assert not signing.verify(base64.b64decode(key.public_key), body + b" ", release.signature)
    # The newest entry when the manifest was written is the one the publication entry chains to.
    assert manifest["audit_head"] == AuditEntry.objects.get(action="release.publish").prev_hash


def test_a_second_release_chains_to_the_first_and_its_delta_is_right(personas, listed):
    first = publish(personas.curator)
    item_retract(actor=personas.curator, item=listed[1], reason="hash of a non-qualifying copy")
    new = image(personas, "md5")
    second = publish(personas.curator)
    manifest = json.loads(bytes(second.manifest))
    assert manifest["previous_version"] == 1
    assert manifest["previous_manifest_sha256"] == hashlib.sha256(bytes(first.manifest)).hexdigest()
    assert (second.item_count, second.added, second.removed) == (3, 1, 1)
    delta = list(csv.reader(io.StringIO(read(second, "delta").decode())))
    assert delta[0] == ["change", "item_id", "media_type", "algorithm", "value"]
    assert sorted(r[0:3] for r in delta[1:]) == [["added", str(new.pk), "image"],
                                                ["removed", str(listed[1].pk), "image"]]
    rows = list(csv.reader(io.StringIO(read(second, "csv").decode())))[1:]
    added_in = {r[0]: r[4] for r in rows}
    assert added_in[str(listed[0].pk)] == "1" and added_in[str(new.pk)] == "2"
    assert str(listed[1].pk) not in added_in


def test_published_releases_never_change(personas, listed):
    first = publish(personas.curator)
    before = {f.format: (f.sha256, read(first, f.format)) for f in first.files.all()}
    manifest = bytes(first.manifest)
    item_retract(actor=personas.curator, item=listed[0], reason="r")
    image(personas, "sha1")
    publish(personas.curator)
    first.refresh_from_db()
    assert bytes(first.manifest) == manifest
    for f in first.files.all():
        assert (f.sha256, read(first, f.format)) == before[f.format]
    assert tasks.release_build(first.pk) == "published"  # a stray redelivery changes nothing
    first.refresh_from_db()
    assert bytes(first.manifest) == manifest


def test_publishing_with_no_changes_is_allowed_and_deterministic(personas, listed):
    first = publish(personas.curator)
    second = publish(personas.curator)
    assert (second.version, second.added, second.removed, second.item_count) == (2, 0, 0, 3)
    for file_format in ("csv", "md5", "sha1", "sha256", "pdq", "photodna", "vpdq", "threatexchange", "vics"):
        assert read(first, file_format) == read(second, file_format), file_format
    assert read(second, "delta") == b"change,item_id,media_type,algorithm,value\n"


def test_an_empty_list_can_be_published(personas):
    release = publish(personas.curator)
    assert release.item_count == 0 and read(release, "md5") == b""


def test_a_build_that_fails_midway_publishes_nothing_and_its_retry_keeps_the_version(personas, listed, settings,
                                                                                     tmp_path):
    good = settings.STORAGES["exports"]
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the export directory should be")
    settings.STORAGES = {**settings.STORAGES, "exports": {**good, "OPTIONS": {"location": str(blocker)}}}
    release = release_request(actor=personas.curator)
    assert tasks.release_build(release.pk) == "failed"
    release.refresh_from_db()
    assert release.status == "failed" and release.published_at is None and not release.manifest
    assert "Error" in release.error
    assert AuditEntry.objects.filter(action="release.fail").count() == 1
    settings.STORAGES = {**settings.STORAGES, "exports": good}
    retried = publish(personas.curator)
    assert (retried.pk, retried.version, retried.status, retried.attempts) == (release.pk, 1, "published", 2)
    assert Release.objects.count() == 1


def test_an_interrupted_build_resumes_under_the_same_version(personas, listed):
    """A worker killed mid-build leaves the release building with partial output; the broker's
    redelivery runs the task again, which redoes every step and publishes."""
    release = release_request(actor=personas.curator)
    attempt = attempt_start(release.pk)
    snapshot(release, attempt)
    first_csv, first_gz = render_file(release, attempt, exports.FILES[0])  # then the worker dies
    assert Release.objects.get(pk=release.pk).status == "building"
    assert tasks.release_build(release.pk) == "published"
    release.refresh_from_db()
    assert (release.version, release.attempts) == (1, 2) and release.files.count() == len(FORMATS)
    assert first_gz.path == "releases/v1/attempt-1/baseline-v1.csv.gz" and not export_storage().exists(first_gz.path)
    assert ReleaseFile.objects.filter(release=release, format="csv").count() == 1
    assert {f.path.rsplit("/", 1)[0] for f in release.files.all()} == {"releases/v1/attempt-2"}
    assert first_csv.path == "releases/v1/attempt-1/baseline-v1.csv"  # never overwritten by the retry...
    assert not export_storage().exists(first_csv.path)  # ...and swept once the retry published


def test_a_second_request_while_building_is_a_conflict(personas, listed):
    release_request(actor=personas.curator)
    with pytest.raises(DomainError, match="is being built") as exc:
        release_request(actor=personas.curator)
    assert exc.value.status == 409


@pytest.mark.parametrize("user", ["investigator", "reviewer", "partner", "admin"])
def test_only_curators_publish(personas, user):
    with pytest.raises(DomainError) as exc:
        release_request(actor=getattr(personas, user))
    assert exc.value.status == 403
    assert not Release.objects.exists()


def test_retraction_rules(personas, listed):
    from tests.curation.helpers import make_item

    with pytest.raises(DomainError, match="reason is required"):
        item_retract(actor=personas.curator, item=listed[0], reason=" ")
    with pytest.raises(DomainError) as exc:
        item_retract(actor=personas.reviewer, item=listed[0], reason="x")
    assert exc.value.status == 403
    pending = make_item(personas.investigator)
    with pytest.raises(DomainError, match="Only an approved item") as exc:
        item_retract(actor=personas.curator, item=pending, reason="x")
    assert exc.value.status == 409
    item = item_retract(actor=personas.curator, item=listed[0], reason="duplicate of another list")
    assert item.status == "retracted" and item.retraction_reason == "duplicate of another list"
    assert not item.signatures.filter(active=True).exists()
    assert AuditEntry.objects.get(action="submission.retract").details == {"reason": "duplicate of another list"}


def test_verify_release_checks_files_and_signature(personas, listed, capsys):
    release = publish(personas.curator)
    call_command("verify_release", "1")
    assert "Release 1 verified" in capsys.readouterr().out
    record = release.files.get(format="md5")
    storage = export_storage()
    storage.delete(record.path)
    storage.save(record.path, io.BytesIO(b"0" * 32 + b"\n"))
    with pytest.raises(SystemExit) as exc:
        call_command("verify_release", "1")
    assert exc.value.code == 1
    assert "baseline-v1.md5.txt does not match the manifest" in capsys.readouterr().err


def test_verify_release_needs_a_published_version(personas):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not published"):
        call_command("verify_release", "7")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_publish_release_command_waits_for_the_build(personas, listed, capsys):
    """Committed for real, with tasks run in process (as `make run` does), so --wait sees the end."""
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        call_command("publish_release", "--note", "from cron", "--wait", "--timeout", "60")
    finally:
        app.conf.task_always_eager = False
    assert "Release 1 published: 3 items, 3 added, 0 removed." in capsys.readouterr().out
    assert Release.objects.get().note == "from cron"


def test_grant_feed_command(personas, capsys):
    call_command("grant_feed", "Example Networks", "photodna")
    from curation.releases.selectors import feeds_of

    org = Organisation.objects.get(name="Example Networks")
    assert feeds_of(org) == {"photodna"}
    call_command("grant_feed", "Example Networks", "photodna", "--revoke")
    assert feeds_of(org) == set()
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not a partner organisation"):
        call_command("grant_feed", "Secretariat", "standard")
    with pytest.raises(CommandError, match="Unknown feed 'gold'"):
        call_command("grant_feed", "Example Networks", "gold")
    assert AuditEntry.objects.filter(action__in=["feed.grant", "feed.revoke"]).count() == 2


def test_key_rotation_keeps_old_releases_verifiable(personas, listed, settings, tmp_path):
    first = publish(personas.curator)
    new_key = tmp_path / "rotated.pem"
    signing.generate_private_key_file(new_key)
    settings.BASELINE_SIGNING_KEY_FILE = str(new_key)
    second = publish(personas.curator)
    assert first.key_id != second.key_id
    keys = {k.key_id: k for k in SigningKey.objects.all()}
    assert keys[second.key_id].active and not keys[first.key_id].active
    for release in (first, second):
        public = base64.b64decode(keys[release.key_id].public_key)
        assert signing.verify(public, bytes(release.manifest), release.signature)


def test_releases_carry_signatures_only(personas):
    """Invariant 5: no case reference, note, submitter, organisation or victim information leaves."""
    approved_item(personas, algorithms=("md5", "sha1", "photodna"), external_reference="ICSE-SECRET-REF",
                  note="NOTE-SECRET", series="SERIES-SECRET", victim_identified=True, offender_identified=False)
    release = publish(personas.curator)
    secrets = [b"ICSE-SECRET-REF", b"NOTE-SECRET", b"SERIES-SECRET", b"investigator", b"Northshire",
               b"Victim", b"Offender", b"Series", b"reviewer"]
    for record in release.files.all():
        data = read(release, record.format)
        assert not [s for s in secrets if s in data], record.format
    assert not [s for s in secrets if s in bytes(release.manifest)]


def test_threatexchange_matches_a_near_duplicate_photo_against_a_release(personas, threatexchange_signal_types,
                                                                         tmp_path):
    """What `threatexchange match photo x.jpg` does with our file as a local_file collaboration:
    read the list with its own parser, hash a photo with its own PDQ hasher, look it up in its index."""
    from baseline_client.hashing import media
    from threatexchange.exchanges.impl.file_api import FileCollaborationConfig, LocalFileSignalExchangeAPI
    from threatexchange.signal_type.pdq.signal import PdqSignal

    from tests.curation.helpers import TESTDATA

    original = (TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg").read_bytes()
    pdq, quality = media.pdq_from_image_bytes(original)
    item = approved_item(personas, algorithms=("md5",))
    from baseline_client.hashing.signatures import value_digest

    from curation.models import Signature

    Signature.objects.create(submission=item, algorithm="pdq", value=pdq, value_digest=value_digest(pdq),
                             quality=quality)
    approved_item(personas, algorithms=("pdq",))  # an unrelated listed hash
    release = publish(personas.curator)
    path = tmp_path / "baseline.threatexchange.txt"
    path.write_bytes(read(release, "threatexchange"))

    collab = FileCollaborationConfig(name="baseline", filename=str(path))
    api = LocalFileSignalExchangeAPI.for_collab(collab)
    updates: dict = {}
    for delta in api.fetch_iter(threatexchange_signal_types, None):
        updates.update(delta.updates)
    listed = api.naive_convert_to_signal_type(threatexchange_signal_types, collab, updates)[PdqSignal]
    index = PdqSignal.get_index_cls().build([(value, value) for value in listed])

    for edited in ("blur-a-lot.jpg", "shrink-a-lot.jpg", "high-contrast.jpg"):
        query = PdqSignal.hash_from_file(TESTDATA / "pdq" / "bridge-mods" / edited)
        assert [match.metadata for match in index.query(query)] == [pdq], edited
    assert index.query(PdqSignal.hash_from_file(TESTDATA / "pdq" / "reference" / "q0746.jpg")) == []


def test_an_item_approved_behind_the_services_back_stops_the_build(personas, listed):
    """Defence in depth for invariant 2: a status set by SQL, without the reviews, publishes nothing."""
    from tests.curation.helpers import make_item

    forged = make_item(personas.investigator)
    Submission.objects.filter(pk=forged.pk).update(status="approved")
    release = release_request(actor=personas.curator)
    assert tasks.release_build(release.pk) == "failed"
    release.refresh_from_db()
    assert "lack the recorded agreements" in release.error and not release.manifest


def test_a_rewritten_audit_chain_is_caught_by_the_heads_signed_into_releases(personas, listed, capsys):
    """Someone with database access rewrites the chain consistently from some entry on: the chain
    verifies by itself, but a signed manifest remembers the head it saw."""
    from django.db import connection

    from core import audit

    publish(personas.curator)
    entries = list(AuditEntry.objects.order_by("seq"))
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        prev = audit.GENESIS
        for entry in entries:
            details = {**entry.details, "rewritten": True} if entry.seq == 2 else entry.details
            content = audit.entry_content(seq=entry.seq, created_at=entry.created_at, actor_id=entry.actor_id,
                                          actor_username=entry.actor_username, organisation_id=entry.organisation_id,
                                          action=entry.action, object_type=entry.object_type,
                                          object_id=entry.object_id, details=details)
            new_hash = audit.chain_hash(prev, content)
            cursor.execute("UPDATE curation_auditentry SET details = %s, prev_hash = %s, hash = %s WHERE id = %s",
                           [json.dumps(details), prev, new_hash, entry.pk])
            prev = new_hash
        cursor.execute("UPDATE curation_audithead SET hash = %s", [prev])
        cursor.execute("SET session_replication_role = DEFAULT")
    assert audit.verify()[1] is None  # consistent by itself
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit_log")
    assert exc.value.code == 1
    assert "audit_head signed into release(s) 1 is no longer in the chain" in capsys.readouterr().err


def test_every_full_file_has_a_deterministic_standard_gzip_copy(personas, listed):
    """DESIGN.md section 5: `<name>.gz` beside each full file (not the delta), in the manifest with
    its own size and SHA-256, standard gzip with no file name and mtime 0, the same bytes for the
    same content whichever build made it."""
    import gzip

    from curation.releases.exports import gzip_bytes

    release = publish(personas.curator)
    manifest = {f["format"]: f for f in json.loads(bytes(release.manifest))["files"]}
    assert "delta.gz" not in manifest
    for row_format in ROW_FORMATS[:-1]:
        raw, copy = read(release, row_format), read(release, f"{row_format}.gz")
        entry = manifest[f"{row_format}.gz"]
        assert entry["name"] == manifest[row_format]["name"] + ".gz" and entry["feed"] == manifest[row_format]["feed"]
        assert (len(copy), hashlib.sha256(copy).hexdigest()) == (entry["size"], entry["sha256"])
        assert gzip.decompress(copy) == raw, row_format
        assert copy[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, OS unknown
        assert copy == gzip_bytes(raw), row_format  # fed in chunks or whole: the same bytes
    with gzip.open(io.BytesIO(read(release, "csv.gz"))) as handle:
        assert handle.read().startswith(b"item_id,media_type,algorithm,value,added_in_version\n")
    assert gzip.decompress(gzip_bytes(b"")) == b""


def test_a_gzip_copy_downloads_by_its_dotted_format(personas, listed, api):
    from core.actors import SYSTEM
    from curation.releases.services import feed_grant

    release = publish(personas.curator)
    feed_grant(actor=SYSTEM, organisation=personas.partner.organisation, feed_name="standard")
    response = api(personas.partner).get("/api/v1/releases/1/files/csv.gz/")
    assert response.status_code == 200 and response["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in response  # the file itself, not a transfer coding
    body = b"".join(response.streaming_content)
    assert body == read(release, "csv.gz")
    assert response["Content-Disposition"] == 'attachment; filename="baseline-v1.csv.gz"'
    assert api(personas.partner).get("/api/v1/releases/1/files/photodna.gz/").status_code == 403
    assert api(personas.partner).get("/api/v1/releases/1/files/delta.gz/").status_code == 404
