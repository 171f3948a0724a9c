import pytest
from django.test import override_settings

from core import audit
from core.errors import DomainError
from core.models import AuditEntry
from curation.models import Signature, Submission
from curation.submissions.services import ItemInput, submission_create, submission_withdraw
from tests.curation.helpers import fake, item_payload

pytestmark = pytest.mark.django_db


def submit(actor, **payload):
    return submission_create(actor=actor, item=ItemInput(**payload))


def test_a_submission_is_pending_with_normalised_signatures_and_audited(personas):
    value = fake("sha256")
    item = submit(personas.investigator, media_type="image", external_reference="  ICSE-42 ",
                  signatures=[{"algorithm": "sha256", "value": f"  {value.upper()}\n"}])
    assert item.status == Submission.Status.PENDING
    assert item.organisation == personas.investigator.organisation
    assert item.criteria_set.version == 1 and item.required_agreements == 3
    assert item.external_reference == "ICSE-42"
    assert list(item.signatures.values_list("algorithm", "value", "active")) == [("sha256", value, True)]
    entry = AuditEntry.objects.get(action="submission.create")
    assert entry.object_id == str(item.pk) and entry.actor == personas.investigator
    assert entry.details["algorithms"] == ["sha256"]
    assert audit.verify()[1] is None


@override_settings(BASELINE_REQUIRED_AGREEMENTS=5)
def test_required_agreements_is_fixed_from_the_setting_when_submitted(personas):
    assert submit(personas.investigator, **item_payload()).required_agreements == 5


@pytest.mark.parametrize(
    ("signatures", "media_type", "field", "message"),
    [
        ([{"algorithm": "md5", "value": "abc"}], "image", "value", "md5: expected 32 hexadecimal characters"),
        ([{"algorithm": "sha1", "value": "z" * 40}], "image", "value", "sha1: expected 40 hexadecimal"),
        ([{"algorithm": "pdq", "value": fake("pdq"), "quality": 49}], "image", "quality", "below 50"),
        ([{"algorithm": "pdq", "value": fake("pdq")}], "video", "value", "pdq: applies to image only"),
        ([{"algorithm": "photodna", "value": "abc="}], "image", "value", "photodna: expected 192 characters"),
        ([{"algorithm": "vpdq", "value": "[]"}], "video", "value", "vpdq: expected a JSON list"),
        ([{"algorithm": "crc32", "value": "00"}], "image", "algorithm", "unknown algorithm 'crc32'"),
        ([{"algorithm": "md5", "value": fake("md5")}, {"algorithm": "md5", "value": fake("md5")}], "image",
         "algorithm", "only one value per algorithm"),
        ([{"algorithm": "md5", "value": fake("md5"), "quality": 80}], "image", "quality", "md5: takes no quality"),
    ],
)
def test_bad_signatures_are_refused_with_a_precise_message_and_nothing_written(
    personas, signatures, media_type, field, message
):
    with pytest.raises(DomainError) as exc:
        submit(personas.investigator, media_type=media_type, signatures=signatures, external_reference="R")
    assert exc.value.status == 400
    rows = exc.value.extra["errors"]["signatures"]
    assert any(message in m for row in rows for m in row.get(field, [])), rows
    assert not Submission.objects.exists() and not Signature.objects.exists()
    assert not AuditEntry.objects.filter(action="submission.create").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"external_reference": "   "}, "external_reference"),
        ({"external_reference": "x" * 201}, "external_reference"),
        ({"note": "n" * 2001}, "note"),
        ({"external_reference": "ICSE\x00-1"}, "external_reference"),
        ({"note": "a\x00b"}, "note"),
        ({"series": "s\x00"}, "series"),
        ({"signatures": []}, "signatures"),
        ({"media_type": "audio"}, "media_type"),
    ],
)
def test_bad_fields_are_refused(personas, overrides, field):
    with pytest.raises(DomainError) as exc:
        submit(personas.investigator, **(item_payload() | overrides))
    assert field in exc.value.extra["errors"]
    assert not Submission.objects.exists()


@pytest.mark.parametrize("user", ["reviewer", "curator", "partner", "admin", "outsider"])
def test_only_investigators_submit(personas, user):
    with pytest.raises(DomainError) as exc:
        submit(getattr(personas, user), **item_payload())
    assert exc.value.status == 403


@pytest.mark.parametrize("status", ["pending", "approved"])
def test_a_signature_in_a_pending_or_approved_item_is_a_conflict(personas, status):
    first = submit(personas.investigator, **item_payload(algorithms=("md5", "sha1")))
    Submission.objects.filter(pk=first.pk).update(status=status)
    md5 = first.signatures.get(algorithm="md5").value
    with pytest.raises(DomainError) as exc:
        submit(personas.colleague, media_type="image", external_reference="R",
               signatures=[{"algorithm": "sha256", "value": fake("sha256")},
                           {"algorithm": "md5", "value": md5.upper()}])
    assert exc.value.status == 409 and exc.value.code == "duplicate"
    assert exc.value.extra == {"existing_item": {"id": str(first.pk), "status": status}, "algorithm": "md5"}
    assert Submission.objects.count() == 1


def test_the_same_value_under_another_algorithm_is_not_a_duplicate(personas):
    value = fake("sha256")
    submit(personas.investigator, media_type="image", external_reference="R",
           signatures=[{"algorithm": "sha256", "value": value}])
    submit(personas.investigator, media_type="image", external_reference="R",
           signatures=[{"algorithm": "pdq", "value": value, "quality": 80}])
    assert Submission.objects.count() == 2


def test_a_withdrawn_items_signature_may_be_submitted_again_linked_to_it(personas):
    first = submit(personas.investigator, **item_payload())
    submission_withdraw(actor=personas.investigator, item=first)
    assert not first.signatures.filter(active=True).exists()
    again = submit(personas.investigator, media_type="image", external_reference="R2",
                   signatures=[{"algorithm": s.algorithm, "value": s.value} for s in first.signatures.all()])
    assert again.previous_id == first.pk
    assert again.status == Submission.Status.PENDING


def test_withdraw_rules(personas):
    item = submit(personas.investigator, **item_payload())
    with pytest.raises(DomainError, match="Only the investigator who submitted") as exc:
        submission_withdraw(actor=personas.colleague, item=item)
    assert exc.value.status == 403
    submission_withdraw(actor=personas.investigator, item=item)
    item.refresh_from_db()
    assert item.status == "withdrawn" and item.closed_at is not None
    with pytest.raises(DomainError, match="Only a pending item") as exc:
        submission_withdraw(actor=personas.investigator, item=item)
    assert exc.value.status == 409
    assert AuditEntry.objects.filter(action="submission.withdraw").count() == 1
