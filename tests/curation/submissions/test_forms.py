"""The item pages' forms: they shape input for the services and decide nothing themselves."""

from __future__ import annotations

from baseline_client.hashing.signatures import ALGORITHMS

from curation.submissions.forms import VALUE_SEARCH_MAX_LENGTH, SubmissionFilterForm, SubmitForm


def cleaned(form_class, data):
    form = form_class(data)
    assert form.is_valid(), form.errors
    return form


def test_the_submit_form_has_an_input_for_every_algorithm_of_the_table():
    blank = SubmitForm.blank()
    assert [name for name in blank if name.startswith("sig_")] == [f"sig_{a}" for a in ALGORITHMS]
    assert blank["media_type"] == "image" and blank["frames"] == "every"
    assert set(blank.values()) == {"image", "every", ""}


def test_only_filled_signature_inputs_reach_the_service_as_typed():
    form = cleaned(SubmitForm, {"media_type": "image", "sig_md5": " ABC ", "sig_sha1": "  ",
                                "external_reference": " ref ", "victim_identified": "yes",
                                "offender_identified": "maybe"})
    item = form.item()
    assert form.used_algorithms() == ["md5"]
    assert item.signatures == [{"algorithm": "md5", "value": " ABC "}]  # the service normalises
    assert item.external_reference == " ref " and item.note == ""
    assert (item.victim_identified, item.offender_identified) == (True, None)
    assert form.values()["sig_md5"] == " ABC " and not form.wants_hashing()


def test_pdq_quality_is_a_number_when_it_is_one_and_otherwise_left_to_the_service():
    def quality(raw):
        return cleaned(SubmitForm, {"sig_pdq": "f" * 64, "pdq_quality": raw}).item().signatures[0]["quality"]

    assert quality(" 87 ") == 87
    assert quality("") is None
    assert quality("²") == "²"  # not a plain number: the service explains what it wants


def test_the_hash_button_or_a_file_asks_for_hashing():
    assert cleaned(SubmitForm, {"action": "hash"}).wants_hashing()
    assert not cleaned(SubmitForm, {"action": "submit"}).wants_hashing()


def test_an_unknown_status_lists_every_status_and_a_long_value_is_cut():
    form = cleaned(SubmissionFilterForm, {"status": "bogus", "value": " " + "a" * (VALUE_SEARCH_MAX_LENGTH + 5)})
    assert form.cleaned_data == {"status": "", "value": "a" * VALUE_SEARCH_MAX_LENGTH}
    assert cleaned(SubmissionFilterForm, {"status": "approved"}).cleaned_data["status"] == "approved"
    assert cleaned(SubmissionFilterForm, {}).cleaned_data == {"status": "", "value": ""}
