"""The Submit page's server side (issue 12 item 1): hashing keeps what was typed, a refused form
has an error summary linking its fields, a duplicate names the signature and links the existing
item only where the user may see it, and pasted `sha256sum`-style lines are taken."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import pytest
from baseline_client.hashing.signatures import from_checksum_line
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from curation.models import Submission
from tests.curation.helpers import TESTDATA, approved_item, fake, make_item
from tests.curation.submissions.test_held import rejected_item, resubmit
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

SAMPLE = TESTDATA / "pdq" / "bridge-mods" / "aaa-orig.jpg"
TYPED = {
    "external_reference": "ICSE-TYPED-42", "note": "Seen in case 7.\nSecond line.", "reason": "New evidence.",
    "series": "Series K", "victim_identified": "yes", "offender_identified": "no",
    "sig_photodna": fake("photodna"), "media_type": "image",
}


def submit(**values) -> dict:
    return {"action": "submit", "media_type": "image", "external_reference": "ICSE-9", **values}


def shown(response) -> str:
    return response.content.decode()


def assert_typed_values_kept(response) -> None:
    values = response.context["form"]
    for name, value in TYPED.items():
        assert values[name] == value, name
    page = shown(response)
    assert 'value="ICSE-TYPED-42"' in page and ">Seen in case 7.\nSecond line.</textarea>" in page
    assert ">New evidence.</textarea>" in page and 'value="Series K"' in page
    assert '<option value="yes" selected>Yes</option>' in page  # victim identified
    assert '<option value="no" selected>No</option>' in page  # offender identified


# --- 1. nothing typed is lost -------------------------------------------------------------------

class _FormOwners(HTMLParser):
    """The id of the <form> each control (by id, or button by its text) sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.form: str | None = None
        self.owner: dict[str, str | None] = {}
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form = attrs.get("id", "?")
        elif tag in ("input", "select", "textarea") and attrs.get("id"):
            self.owner[attrs["id"]] = attrs.get("form", self.form)
        elif tag == "button":
            self._button = {"form": attrs.get("form", self.form), "text": ""}

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "button" and self._button is not None:
            self.owner.setdefault(self._button["text"].strip(), self._button["form"])
            self._button = None


def test_the_file_and_every_typed_field_are_sent_by_one_form(personas, client):
    """"Compute signatures" sends what was typed: the file input, its button and every field of the
    item belong to one form (two forms lost the typed fields on hashing)."""
    client.force_login(personas.investigator)
    owners = _FormOwners()
    owners.feed(shown(client.get("/submit/")))
    fields = ["id_file", "Compute signatures", "Submit for review", "id_media_type", "id_pdq_quality",
              *(f"id_sig_{a}" for a in ("md5", "sha1", "sha256", "pdq", "photodna", "vpdq")),
              "id_external_reference", "id_note", "id_reason", "id_series", "id_victim_identified"]
    assert {owners.owner.get(name) for name in fields} == {"submit-form"}, owners.owner


def test_hashing_a_file_keeps_everything_typed_and_fills_the_signatures(personas, client):
    client.force_login(personas.investigator)
    data = SAMPLE.read_bytes()
    response = client.post("/submit/", {"action": "hash", "file": SimpleUploadedFile("x.jpg", data), **TYPED})
    assert response.status_code == 200
    assert_typed_values_kept(response)
    values = response.context["form"]
    assert values["sig_sha256"] == hashlib.sha256(data).hexdigest() and len(values["sig_pdq"]) == 64
    assert not Submission.objects.exists()


def test_hashing_without_a_file_or_with_a_bad_one_keeps_everything_typed(personas, client):
    client.force_login(personas.investigator)
    response = client.post("/submit/", {"action": "hash", **TYPED})
    assert response.status_code == 400 and "Choose a file to hash." in shown(response)
    assert_typed_values_kept(response)
    response = client.post("/submit/", {"action": "hash", "file": SimpleUploadedFile("x.txt", b"text"), **TYPED})
    assert response.status_code == 415
    assert_typed_values_kept(response)


def test_a_file_sent_with_submit_is_hashed_for_confirmation_not_submitted(personas, client):
    client.force_login(personas.investigator)
    response = client.post("/submit/", submit(file=SimpleUploadedFile("x.jpg", SAMPLE.read_bytes()),
                                              **TYPED))
    assert response.status_code == 200 and "Signatures computed" in shown(response)
    assert_typed_values_kept(response)
    assert not Submission.objects.exists()


def test_a_refused_submission_keeps_everything_typed(personas, client):
    client.force_login(personas.investigator)
    response = client.post("/submit/", submit(**TYPED, sig_md5="not-a-hash"))
    assert response.status_code == 400
    assert_typed_values_kept(response)
    assert 'value="not-a-hash"' in shown(response)
    assert not Submission.objects.exists()


# --- 2. the error summary -----------------------------------------------------------------------

def summary_links(page: str) -> list[tuple[str, str]]:
    match = re.search(r'<div class="error-summary" role="alert" data-error-summary[^>]*>(.*?)</div>', page, re.S)
    assert match, "no error summary"
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', match[1])


def test_a_refused_form_has_a_summary_linking_each_error_to_its_field_in_page_order(personas, client):
    client.force_login(personas.investigator)
    response = client.post("/submit/", submit(sig_sha1="nothex", external_reference="", series="s" * 201))
    page = shown(response)
    links = summary_links(page)
    assert [field for field, _ in links] == ["id_sig_sha1", "id_external_reference", "id_series"]
    assert links[0][1].startswith("sha1: expected 40 hexadecimal characters")
    for field, _ in links:  # each message is also beside its field, and the field points to it
        assert f'id="{field}-error"' in page and f'id="{field}"' in page
    assert "<details open>" in page  # the VICS fields, where the series error is, are shown


def test_no_signature_at_all_links_to_the_first_signature_input(personas, client):
    client.force_login(personas.investigator)
    links = summary_links(shown(client.post("/submit/", submit())))
    assert links == [("id_sig_md5", "An item needs at least one signature.")]


def test_a_form_without_errors_has_no_summary(personas, client):
    client.force_login(personas.investigator)
    assert "data-error-summary" not in shown(client.get("/submit/"))


# --- 3. duplicates ------------------------------------------------------------------------------

def test_a_duplicate_of_a_colleagues_item_names_the_signature_and_links_the_item(personas, client):
    existing = make_item(personas.colleague, algorithms=("md5", "sha256"), external_reference="ICSE-COLLEAGUE")
    sha256 = existing.signatures.get(algorithm="sha256").value
    client.force_login(personas.investigator)
    response = client.post("/submit/", submit(sig_sha256=sha256.upper(), **{"note": "mine"}))
    assert response.status_code == 409
    page = shown(response)
    message = f"The SHA-256 signature {sha256} is already in a pending item: it is waiting for review."
    assert summary_links(page) == [("id_sig_sha256", message + " Nothing was submitted.")]
    assert f'<a href="/submissions/{existing.pk}/">Open the existing item' in page
    assert "ICSE-COLLEAGUE" in page
    assert client.get(f"/submissions/{existing.pk}/").status_code == 200  # the link opens
    assert Submission.objects.count() == 1
    assert response.context["form"]["note"] == "mine"


def test_a_duplicate_of_another_organisations_item_says_so_without_a_link_or_its_details(personas, client):
    elsewhere = UserFactory(organisation=OrganisationFactory(name="Distant Agency", country="IE"),
                            roles=[Role.INVESTIGATOR])
    existing = approved_item(personas, algorithms=("md5",), external_reference="ICSE-SECRET-77")
    Submission.objects.filter(pk=existing.pk).update(submitter=elsewhere, organisation=elsewhere.organisation)
    md5 = existing.signatures.get().value
    client.force_login(personas.investigator)
    response = client.post("/submit/", submit(sig_md5=f"{md5}  photo.jpg"))
    assert response.status_code == 409
    page = shown(response)
    assert (f"The MD5 signature {md5} is already in an approved item: it is on the list already (submitted by "
            "another organisation, so it is not shown to you). Nothing was submitted.") in page
    assert str(existing.pk) not in page and str(existing.pk)[:8] not in page
    assert "ICSE-SECRET-77" not in page and "Distant Agency" not in page and "Open the existing item" not in page
    assert client.get(f"/submissions/{existing.pk}/").status_code == 404


def test_the_api_duplicate_answer_is_unchanged(personas, api):
    existing = make_item(personas.colleague, algorithms=("md5",))
    md5 = existing.signatures.get().value
    response = api(personas.investigator).post(
        "/api/v1/submissions/", {"media_type": "image", "signatures": [{"algorithm": "md5", "value": md5}],
                                 "external_reference": "X"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate" and body["algorithm"] == "md5"
    assert body["existing_item"] == {"id": str(existing.pk), "status": "pending"}


# --- 4. pasted sha256sum-style lines -------------------------------------------------------------

CHECKSUM_LINES = ["{h}  photo one.jpg", "{h} *photo.jpg", "{h} photo.jpg", "\\{h}  dir\\\\photo.jpg",
                  "{tag} (photo one.jpg) = {h}", "  {h}  photo.jpg\n"]
TAGS = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256"}


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256"])
@pytest.mark.parametrize("line", CHECKSUM_LINES)
def test_a_pasted_checksum_line_is_taken_without_its_file_name(personas, client, algorithm, line):
    value = fake(algorithm)
    client.force_login(personas.investigator)
    pasted = line.format(h=value.upper() if "*" in line else value, tag=TAGS[algorithm])
    response = client.post("/submit/", submit(**{f"sig_{algorithm}": pasted}))
    assert response.status_code == 302, shown(response)
    assert Submission.objects.get().signatures.get().value == value


@pytest.mark.parametrize(("algorithm", "pasted", "expected"), [
    ("sha256", "not-a-hash  photo.jpg", "sha256: expected 64 hexadecimal characters, got 21 characters"),
    ("sha256", f"{fake('md5')}  photo.jpg", "sha256: expected 64 hexadecimal characters, got 43 characters"),
    ("md5", f"{fake('sha256')}  photo.jpg", "md5: expected 32 hexadecimal characters, got 75 characters"),
    ("sha1", f"{fake('sha1')}  a.jpg\n{fake('sha1')}  b.jpg", "sha1: expected 40 hexadecimal characters"),
    ("sha1", f"SHA256 (a.jpg) = {fake('sha1')}", "sha1: expected 40 hexadecimal characters"),
    ("pdq", f"{fake('pdq')}  photo.jpg", "pdq: expected 64 hexadecimal characters"),  # no pdqsum tool
])
def test_junk_or_a_line_of_another_kind_still_gets_a_clear_error(personas, client, algorithm, pasted, expected):
    client.force_login(personas.investigator)
    response = client.post("/submit/", submit(**{f"sig_{algorithm}": pasted}))
    assert response.status_code == 400
    assert expected in shown(response)
    assert not Submission.objects.exists()


def test_a_line_pasted_into_another_algorithms_box_is_pointed_to_the_right_box(personas, client):
    client.force_login(personas.investigator)
    response = client.post("/submit/", submit(sig_md5=f"{fake('sha256')}  photo.jpg"))
    assert response.status_code == 400
    page = shown(response)
    assert "md5: expected 32 hexadecimal characters" in page
    assert "This is a line of sha256sum output, a SHA-256 value: paste it in the SHA-256 box." in page
    assert not Submission.objects.exists()


def test_from_checksum_line_keeps_anything_else_as_it_is():
    sha256 = fake("sha256")
    assert from_checksum_line("sha256", sha256) == sha256
    assert from_checksum_line("sha256", f"{sha256}  ") == f"{sha256}  "  # no file name: normalise trims
    assert from_checksum_line("md5", "MD5 (x) = zz") == "MD5 (x) = zz"
    assert from_checksum_line("photodna", f"{sha256}  x") == f"{sha256}  x"


# --- 5. withdrawing asks first (static/js/baseline.js reads data-confirm) -------------------------

def test_the_withdraw_forms_ask_for_confirmation(personas, client):
    pending = make_item(personas.investigator)
    client.force_login(personas.investigator)
    page = shown(client.get(f"/submissions/{pending.pk}/"))
    assert re.search(rf'<form method="post" action="/submissions/{pending.pk}/withdraw/" class="card" '
                     r'data-confirm="Withdraw this item\?', page)
    held = resubmit(personas.investigator, rejected_item(personas))
    assert held.status == Submission.Status.HELD
    page = shown(client.get(f"/submissions/{held.pk}/"))
    assert re.search(rf'<form method="post" action="/submissions/{held.pk}/withdraw/" class="card" '
                     r'data-confirm="Withdraw this held item\?', page)
