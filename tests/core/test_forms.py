"""core/forms.py: pages bind forms to the query or the body, and page lists through one form."""

from __future__ import annotations

import pytest
from django import forms

from core.forms import from_body, from_query, page_of


class NoteForm(forms.Form):
    note = forms.CharField(required=False)
    file = forms.FileField(required=False)


@pytest.mark.parametrize(("query", "number"), [("", 1), ("?page=2", 2), ("?page=junk", 1), ("?page=99", 3),
                                               ("?page=-1", 3)])
def test_page_of_answers_any_page_value_as_the_paginator_does(rf, query, number):
    assert page_of(rf.get(f"/x/{query}"), list(range(25)), 10).number == number


def test_forms_bind_to_the_query_or_to_the_body_with_its_files(rf):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert from_query(NoteForm, rf.get("/x/?note=q")).data["note"] == "q"
    request = rf.post("/x/?note=q", {"note": "b", "file": SimpleUploadedFile("f.txt", b"data")})
    form = from_body(NoteForm, request)
    assert form.is_valid()
    assert form.cleaned_data["note"] == "b" and form.cleaned_data["file"].read() == b"data"
