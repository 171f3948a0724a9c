from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core import audit
from core.models import AuditEntry
from curation.models import Submission
from curation.submissions import imports
from tests.curation.helpers import fake

pytestmark = pytest.mark.django_db
HEADER = "item_key,media_type,algorithm,value,external_reference\n"


def run_import(tmp_path, body: str, submitter="investigator"):
    path = tmp_path / "candidates.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("import_candidates", str(path), "--submitter", submitter, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_rows_sharing_a_key_form_one_item(personas, tmp_path):
    md5, sha1, other = fake("md5"), fake("sha1"), fake("sha256")
    body = f"a,image,md5,{md5.upper()},REF-A\na,image,sha1,{sha1},REF-A\nb,video,sha256,{other},REF-B\n"
    code, out, err = run_import(tmp_path, body)
    assert (code, err) == (0, "")
    assert "Imported 2 items; 0 items with errors" in out
    a = Submission.objects.get(external_reference="REF-A")
    assert dict(a.signatures.values_list("algorithm", "value")) == {"md5": md5, "sha1": sha1}
    assert a.submitter == personas.investigator and a.status == "pending"
    assert AuditEntry.objects.filter(action="submission.create").count() == 2
    assert audit.verify()[1] is None


def test_bad_items_are_reported_by_line_and_not_written(personas, tmp_path):
    existing = fake("md5")
    call_command("import_candidates", str(_write(tmp_path, f"x,image,md5,{existing},R\n")),
                 "--submitter", "investigator", stdout=StringIO())
    good = fake("sha256")
    dup_in_file = fake("sha1")
    body = (
        f"good,image,sha256,{good},R1\n"            # line 2
        "bad,image,md5,nothex,R2\n"                 # line 3
        f"bad,image,sha1,{fake('sha1')},R2\n"        # line 4
        f"dup,image,md5,{existing},R3\n"            # line 5: already pending
        f"f1,image,sha1,{dup_in_file},R4\n"         # line 6
        f"f2,image,sha1,{dup_in_file},R5\n"         # line 7: repeats f1
        f"mix,image,md5,{fake('md5')},R6\n"         # line 8
        f"mix,video,sha1,{fake('sha1')},R6\n"       # line 9: media type differs
        f"pdqv,video,pdq,{fake('pdq')},R7\n"        # line 10: pdq is for images
        "short,image,md5\n"                         # line 11
    )
    code, out, err = run_import(tmp_path, body)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("line 3: item 'bad': md5: expected 32 hexadecimal")
    assert any(line.startswith("line 5: item 'dup':") and "already in item" in line for line in lines)
    assert any(line.startswith("line 7: item 'f2': a signature repeats item 'f1'") for line in lines)
    assert any(line.startswith("line 9: item 'mix': media_type and external_reference") for line in lines)
    assert any(line.startswith("line 10: item 'pdqv': pdq: applies to image only") for line in lines)
    assert any(line.startswith("line 11: expected 5 columns") for line in lines)
    assert set(Submission.objects.values_list("external_reference", flat=True)) == {"R", "R1", "R4"}
    assert "Imported 2 items" in out


def _write(tmp_path, body):
    path = tmp_path / "first.csv"
    path.write_text(HEADER + body)
    return path


def test_a_wrong_header_is_refused(personas, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("key,type,algo,value,ref\n")
    with pytest.raises(CommandError, match="header must be exactly"):
        call_command("import_candidates", str(path), "--submitter", "investigator")


def test_only_investigators_import(personas, tmp_path):
    path = _write(tmp_path, f"a,image,md5,{fake('md5')},R\n")
    with pytest.raises(CommandError, match="Only investigators"):
        call_command("import_candidates", str(path), "--submitter", "curator")
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("import_candidates", str(path), "--submitter", "ghost")
    assert not Submission.objects.exists()


def test_a_missing_or_non_utf8_file_is_refused(personas, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_candidates", str(tmp_path / "missing.csv"), "--submitter", "investigator")
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + b"a,image,md5,\xff\xfe,R\n")
    with pytest.raises(CommandError, match="not valid UTF-8"):
        call_command("import_candidates", str(path), "--submitter", "investigator")


def test_an_import_plans_reviewers_digests_once_a_batch_after_commit(
        personas, tmp_path, monkeypatch, settings, django_capture_on_commit_callbacks):
    from django.core import mail

    from config.celery import app


    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    personas.reviewer.email, personas.reviewer.email_digest = "r1@example.org", True
    personas.reviewer.save()
    monkeypatch.setattr(imports, "IMPORT_BATCH", 2)
    body = "".join(f"k{i},image,md5,{fake('md5')},R{i}\n" for i in range(3))
    with django_capture_on_commit_callbacks() as callbacks:
        assert run_import(tmp_path, body)[0] == 0
    assert len(callbacks) == 2  # two batches: one digest plan each, as the API plans one per submission
    assert mail.outbox == []  # nothing before commit
    app.conf.task_always_eager = True  # run the planning tasks in process, as `make run` does
    try:
        for callback in callbacks:
            callback()
    finally:
        app.conf.task_always_eager = False
    assert len(mail.outbox) == 1 and "3 items in your review queue" in mail.outbox[0].subject
