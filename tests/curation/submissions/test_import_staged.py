"""The bulk import's set-based path on PostgreSQL (staging.py): the same outcomes, messages and audit
entries as the ORM path and as `submission_create`, and exactly one item when a submission races it."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from core import audit
from core.errors import DomainError
from core.models import AuditEntry
from curation.models import Signature, Submission
from curation.reviews.services import review_record
from curation.submissions import imports, staging
from curation.submissions.services import ItemInput, submission_create, submission_withdraw
from tests.curation.helpers import NO_UNDER_13, fake, make_item
from tests.curation.submissions.test_import_candidates import run_import
from tests.races import all_at_once

pytestmark = pytest.mark.django_db


def item(*signatures: tuple[str, str], reference: str = "REF", media_type: str = "image", **extra) -> ItemInput:
    return ItemInput(media_type=media_type, external_reference=reference,
                     signatures=[{"algorithm": a, "value": v} for a, v in signatures], **extra)


def test_the_staged_path_runs_on_postgresql():
    assert connection.vendor == "postgresql"  # these tests are about it; SQLite: tests/test_sqlite_smoke.py


def test_a_signature_already_listed_is_refused_with_the_apis_message(personas):
    existing = make_item(personas.investigator, algorithms=("md5", "sha256"))
    taken = existing.signatures.get(algorithm="sha256").value
    with pytest.raises(DomainError) as api_error:
        submission_create(actor=personas.investigator, item=item(("md5", fake("md5")), ("sha256", taken)))
    outcome = imports.submissions_import(actor=personas.investigator, items={
        "new": item(("md5", fake("md5"))),
        "dup": item(("md5", fake("md5")), ("sha256", taken.upper())),  # normalised before the check
        "also-new": item(("sha1", fake("sha1"))),
    })
    assert outcome.errors == {"dup": [(None, api_error.value.message)]}
    assert f"already in item {existing.pk} (pending)" in api_error.value.message
    assert sorted(s.external_reference for s in outcome.created) == ["REF", "REF"]
    assert Signature.objects.filter(value=taken).count() == 1
    assert AuditEntry.objects.filter(action="submission.create").count() == 3  # the existing item, two imported


def test_the_first_clashing_signature_of_an_item_is_named(personas):
    first = make_item(personas.investigator, algorithms=("sha1",))
    second = make_item(personas.investigator, algorithms=("sha256",))
    sha1, sha256 = first.signatures.get().value, second.signatures.get().value
    outcome = imports.submissions_import(actor=personas.investigator, items={
        "both": item(("sha256", sha256), ("sha1", sha1)),
    })
    assert outcome.errors["both"][0][1].startswith(f"The sha256 signature of this item is already in item {second.pk}")


def test_an_item_repeating_an_earlier_item_of_the_file_is_refused_and_claims_nothing(personas):
    a, b = fake("md5"), fake("sha1")
    outcome = imports.submissions_import(actor=personas.investigator, items={
        "first": item(("md5", a), reference="R1"),
        "repeat": item(("md5", a), ("sha1", b), reference="R2"),  # refused: md5 is first's
        "later": item(("sha1", b), reference="R3"),  # repeat was refused, so sha1 is free
    })
    assert outcome.errors == {"repeat": [(None, "a signature repeats item 'first' of this file")]}
    assert sorted(Submission.objects.values_list("external_reference", flat=True)) == ["R1", "R3"]


def test_an_invalid_row_among_valid_ones_is_reported_by_its_line(personas, tmp_path):
    valid = [(f"k{i}", fake("sha256")) for i in range(5)]
    body = "".join(f"{key},image,sha256,{value},REF-{key}\n" for key, value in valid[:3])  # lines 2-4
    body += f"bad,image,sha256,{fake('sha256')},REF-bad\nbad,image,md5,{'z' * 32},REF-bad\n"  # lines 5-6
    body += "".join(f"{key},image,sha256,{value},REF-{key}\n" for key, value in valid[3:])  # lines 7-8
    code, out, err = run_import(tmp_path, body)
    assert code == 1
    assert err.splitlines() == [
        "line 6: item 'bad': md5: expected 32 hexadecimal characters, got 32 characters ('zzzzzzzzzzzzzzzzzzzz…')."]
    assert "Imported 5 items; 1 items with errors not imported." in out
    assert not Submission.objects.filter(external_reference="REF-bad").exists()
    assert Submission.objects.count() == 5 and Signature.objects.count() == 5


def closed_items(personas) -> dict[str, Submission]:
    """A withdrawn item and two rejected ones, whose signatures may be submitted again."""
    withdrawn = make_item(personas.investigator, algorithms=("md5",))
    submission_withdraw(actor=personas.investigator, item=withdrawn)
    rejected = {name: make_item(personas.investigator, algorithms=(algorithm,))
                for name, algorithm in (("rejected", "sha1"), ("rejected too", "sha256"))}
    for earlier in rejected.values():
        review_record(actor=personas.reviewers[0], item=earlier, answers=dict(NO_UNDER_13))
    return {"withdrawn": withdrawn, **rejected}


def import_against(personas, earlier: dict[str, Submission]):
    def value(name):
        return earlier[name].signatures.get().value

    return imports.submissions_import(actor=personas.investigator, items={
        "plain": item(("md5", fake("md5")), ("sha256", fake("sha256")), reference="plain"),
        "video": item(("md5", fake("md5")), reference="video", media_type="video", note="n", series="S1"),
        "after-withdrawn": item(("md5", value("withdrawn")), ("sha256", fake("sha256")), reference="after-withdrawn"),
        "after-rejected": item(("sha1", value("rejected")), reference="after-rejected", reason="New evidence."),
        "rejected-no-reason": item(("md5", fake("md5")), ("sha256", value("rejected too")), reference="x"),
    })


def described(outcome, earlier: dict[str, Submission]) -> dict:
    """Each created item's fields and audit entries, earlier items' ids replaced by their names."""
    names = {str(item.pk): name for name, item in earlier.items()}
    result = {}
    for created in outcome.created:
        created.refresh_from_db()
        entries = AuditEntry.objects.filter(object_type="curation.submission", object_id=str(created.pk))
        result[created.external_reference] = (
            created.status, created.media_type, created.note, created.series, created.hold_reason,
            names.get(str(created.previous_id)), names.get(str(created.chain_root_id)),
            [(s.algorithm, len(s.value), s.active) for s in created.signatures.order_by("pk")],
            [(e.action, e.actor_id, e.actor_username, e.organisation_id,
              {k: names.get(v, v) if isinstance(v, str) else v for k, v in e.details.items()})
             for e in entries.order_by("seq")],
        )
    return result


def test_items_and_audit_entries_are_those_of_the_orm_path(personas, monkeypatch):
    earlier = closed_items(personas)
    staged = import_against(personas, earlier)
    monkeypatch.setattr(imports, "_uses_staging", lambda: False)  # the SQLite path, here
    earlier_again = closed_items(personas)
    orm = import_against(personas, earlier_again)
    assert staged.errors == orm.errors and set(staged.errors) == {"rejected-no-reason"}
    assert "give a reason" in staged.errors["rejected-no-reason"][0][1]
    assert described(staged, earlier) == described(orm, earlier_again)
    mine = described(staged, earlier)
    assert mine["after-withdrawn"][5:7] == ("withdrawn", "withdrawn")
    assert mine["after-rejected"][0] == "held" and [a for a, *_ in mine["after-rejected"][8]] == [
        "submission.create", "submission.hold"]
    assert mine["after-rejected"][8][1][4] == {"reason": "New evidence.", "previous": "rejected"}


def test_many_batches_leave_an_intact_audit_log(personas, monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_BATCH", 150)  # batches written by COPY (audit.COPY_FROM) and one not
    assert imports.IMPORT_BATCH > audit.COPY_FROM
    items = {f"k{i}": item(("md5", fake("md5")), ("sha256", fake("sha256")), reference=f"R{i}") for i in range(350)}
    outcome = imports.submissions_import(actor=personas.investigator, items=items)
    assert len(outcome.created) == 350 and not outcome.errors
    created = AuditEntry.objects.filter(action="submission.create")
    assert created.count() == 350
    assert set(created.values_list("object_id", flat=True)) == {str(s.pk) for s in outcome.created}
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert out.getvalue().startswith("Audit log intact")
    assert not outcome.created[0]._state.adding


def test_the_staging_table_is_gone_after_an_import(personas):
    imports.submissions_import(actor=personas.investigator, items={"a": item(("md5", fake("md5")))})
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pg_temp.import_stage')")
        assert cursor.fetchone() == (None,)


# --- races: the unique index decides --------------------------------------------------------------

def submit_meanwhile(user, value: str) -> None:
    """Another investigator's submission of `value`, committed on its own connection."""
    def submit():
        try:
            submission_create(actor=user, item=item(("sha256", value), reference="API"))
        finally:
            connection.close()

    thread = threading.Thread(target=submit)
    thread.start()
    thread.join()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_submission_committed_between_the_check_and_the_insert_wins(personas, monkeypatch):
    contested = fake("sha256")
    checked = staging.matches

    def matches_then_someone_submits(cursor):
        found = checked(cursor)
        if not Signature.objects.filter(value=contested).exists():
            submit_meanwhile(personas.colleague, contested)
        return found

    monkeypatch.setattr(staging, "matches", matches_then_someone_submits)
    items = {f"k{i}": item(("md5", fake("md5")), reference=f"R{i}") for i in range(5)}
    items["contested"] = item(("md5", fake("md5")), ("sha256", contested), reference="IMPORT")
    outcome = imports.submissions_import(actor=personas.investigator, items=items)
    winner = Submission.objects.get(signatures__value=contested)
    assert winner.external_reference == "API"
    assert outcome.errors == {"contested": [(None, f"The sha256 signature of this item is already in item "
                                                   f"{winner.pk} (pending).")]}
    assert len(outcome.created) == 5 and Submission.objects.count() == 6
    assert audit.verify()[1] is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_racing_a_submission_of_the_same_signature_makes_one_item(personas):
    for round_ in range(6):
        contested = fake("sha256")
        items = {f"r{round_}-{i}": item(("md5", fake("md5")), ("sha1", fake("sha1")), reference=f"R{round_}")
                 for i in range(300)}
        items[f"r{round_}-contested"] = item(("sha256", contested), reference=f"R{round_}")

        def run(kind, items=items, contested=contested):
            if kind == "import":
                outcome = imports.submissions_import(actor=personas.investigator, items=items)
                return ("import", len(outcome.created), outcome.errors)
            return ("api", submission_create(actor=personas.colleague, item=item(("sha256", contested))).pk)

        outcomes = all_at_once(run, [("import",), ("api",)])
        assert Signature.objects.filter(value=contested, active=True).count() == 1, outcomes
        assert Submission.objects.filter(signatures__value=contested).count() == 1, outcomes
        (imported,) = [o for o in outcomes if isinstance(o, tuple) and o[0] == "import"]
        api_won = any(isinstance(o, tuple) and o[0] == "api" for o in outcomes)
        assert api_won != (imported[1] == 301), outcomes  # exactly one of them made the item
        if api_won:
            assert list(imported[2]) == [f"r{round_}-contested"] and "already in item" in str(imported[2])
        else:
            assert "409 duplicate" in outcomes
    assert audit.verify()[1] is None
