"""The review and criteria forms: an answer per criterion, criteria as "key | question" lines."""

from __future__ import annotations

from types import SimpleNamespace

from curation.reviews.forms import CriteriaForm, ReviewForm

CRITERIA = [SimpleNamespace(key="csam"), SimpleNamespace(key="under_13")]


def test_every_criterion_needs_a_yes_or_a_no():
    form = ReviewForm({"csam": "yes", "under_13": "maybe"}, criteria=CRITERIA)
    assert not form.is_valid()
    assert form.error_lists() == {"under_13": ["Answer yes or no."]}
    form = ReviewForm({}, criteria=CRITERIA)
    assert not form.is_valid()
    assert form.error_lists() == {"csam": ["Answer yes or no."], "under_13": ["Answer yes or no."]}


def test_answers_become_booleans_and_the_comment_is_kept_as_typed():
    form = ReviewForm({"csam": "yes", "under_13": "no", "comment": " seen \n"}, criteria=CRITERIA)
    assert form.is_valid()
    assert form.answers() == {"csam": True, "under_13": False}
    assert form.cleaned_data["comment"] == " seen \n"


def test_criteria_lines_are_parsed_and_blank_lines_skipped():
    form = CriteriaForm({"criteria": "csam | Is it CSAM? \n\n under_13 |Is the child under 13?"})
    assert form.is_valid()
    assert form.cleaned_data["pairs"] == [("csam", "Is it CSAM?"), ("under_13", "Is the child under 13?")]


def test_a_line_without_the_bar_names_its_number_and_the_text_is_kept():
    text = "csam | Is it CSAM?\n\nno bar here\nalso none"
    form = CriteriaForm({"criteria": text})
    assert not form.is_valid()
    assert list(form.non_field_errors()) == ["Line 3: write 'key | question'.", "Line 4: write 'key | question'."]
    assert form.cleaned_data["criteria"] == text and "pairs" not in form.cleaned_data
