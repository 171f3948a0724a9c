"""The notices form: a post without the preference only marks notices read."""

from __future__ import annotations

import pytest

from curation.notices.forms import NoticesForm


@pytest.mark.parametrize(("data", "expected"), [({}, None), ({"email_digest": "on"}, True),
                                                ({"email_digest": "off"}, False), ({"email_digest": ""}, False)])
def test_the_digest_preference_is_on_off_or_not_given(data, expected):
    form = NoticesForm(data)
    assert form.is_valid()
    assert form.cleaned_data["email_digest"] is expected
