import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from curation.models import Submission
from tests.curation.helpers import TESTDATA, fake

pytestmark = pytest.mark.django_db


def form(**values):
    data = {"action": "submit", "media_type": "image", "external_reference": "ICSE-9", "note": ""}
    data.update(values)
    return data


def test_submit_through_the_form(personas, client):
    client.force_login(personas.investigator)
    md5 = fake("md5")
    response = client.post("/submit/", form(sig_md5=md5.upper(), sig_pdq=fake("pdq"), pdq_quality="77"), follow=True)
    item = Submission.objects.get()
    assert response.redirect_chain[-1][0] == f"/submissions/{item.pk}/"
    page = response.content.decode()
    assert md5 in page and "three independent reviews" in page
    assert item.signatures.get(algorithm="pdq").quality == 77


def test_field_errors_are_shown_next_to_their_fields_and_nothing_is_written(personas, client):
    client.force_login(personas.investigator)
    response = client.post("/submit/", form(sig_sha1="nothex", external_reference="", pdq_quality="", note="x"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_sig_sha1-error"' in page and "sha1: expected 40 hexadecimal characters" in page
    assert 'id="id_external_reference-error"' in page
    assert 'value="nothex"' in page  # the input is kept for correction
    assert not Submission.objects.exists()


def test_no_signature_at_all_is_explained(personas, client):
    client.force_login(personas.investigator)
    response = client.post("/submit/", form())
    assert "at least one signature" in response.content.decode()


def test_a_low_quality_pdq_is_refused_on_the_form(personas, client):
    client.force_login(personas.investigator)
    page = client.post("/submit/", form(sig_pdq=fake("pdq"), pdq_quality="12")).content.decode()
    assert "quality 12 is below 50" in page


def test_a_duplicate_is_explained(personas, client):
    client.force_login(personas.investigator)
    md5 = fake("md5")
    client.post("/submit/", form(sig_md5=md5))
    response = client.post("/submit/", form(sig_md5=md5))
    assert response.status_code == 409
    assert f"The MD5 signature {md5} is already in a pending item" in response.content.decode()
    assert Submission.objects.count() == 1


def test_hashing_a_file_fills_the_form_for_confirmation(personas, client):
    client.force_login(personas.investigator)
    data = (TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg").read_bytes()
    response = client.post("/submit/", {"action": "hash", "file": SimpleUploadedFile("x.jpg", data)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "The file was not kept" in page
    form_values = response.context["form"]
    assert form_values["media_type"] == "image" and len(form_values["sig_pdq"]) == 64
    assert int(form_values["pdq_quality"]) >= 50
    assert not Submission.objects.exists()


def test_hashing_a_non_media_file_is_explained(personas, client):
    client.force_login(personas.investigator)
    response = client.post("/submit/", {"action": "hash", "file": SimpleUploadedFile("x.txt", b"hello world")})
    assert response.status_code == 415
    assert "neither an image nor a video" in response.content.decode()


def test_our_submissions_lists_and_filters(personas, client):
    client.force_login(personas.investigator)
    client.post("/submit/", form(sig_md5=fake("md5"), external_reference="FIRST"))
    client.post("/submit/", form(sig_md5=fake("md5"), external_reference="SECOND"))
    first = Submission.objects.get(external_reference="FIRST")
    client.force_login(personas.colleague)
    page = client.get("/submissions/").content.decode()
    assert "FIRST" in page and "SECOND" in page
    client.force_login(personas.investigator)
    client.post(f"/submissions/{first.pk}/withdraw/")
    filtered = client.get("/submissions/?status=withdrawn").content.decode()
    assert "FIRST" in filtered and "SECOND" not in filtered
    empty = client.get("/submissions/?status=approved").content.decode()
    assert "No items with status approved yet" in empty


def test_item_page_offers_withdraw_only_to_the_submitter(personas, client):
    client.force_login(personas.investigator)
    client.post("/submit/", form(sig_md5=fake("md5")))
    item = Submission.objects.get()
    assert "Withdraw this item" in client.get(f"/submissions/{item.pk}/").content.decode()
    client.force_login(personas.colleague)
    assert "Withdraw this item" not in client.get(f"/submissions/{item.pk}/").content.decode()
    client.post(f"/submissions/{item.pk}/withdraw/")
    item.refresh_from_db()
    assert item.status == "pending"


@pytest.mark.parametrize("user", ["partner", "admin", "outsider"])
def test_other_roles_get_403_or_404_on_item_pages(personas, client, user):
    client.force_login(personas.investigator)
    client.post("/submit/", form(sig_md5=fake("md5")))
    item = Submission.objects.get()
    client.force_login(getattr(personas, user))
    assert client.get("/submit/").status_code == 403
    assert client.get("/submissions/").status_code == 403
    assert client.get(f"/submissions/{item.pk}/").status_code == 404


def test_the_submit_form_names_each_algorithm_as_people_write_it(personas, client):
    client.force_login(personas.investigator)
    page = client.get("/submit/").content.decode()
    for name, label in (("md5", "MD5"), ("sha1", "SHA-1"), ("sha256", "SHA-256"), ("pdq", "PDQ"),
                        ("photodna", "PhotoDNA"), ("vpdq", "vPDQ")):
        assert f'<label for="id_sig_{name}">{label} <span' in page
