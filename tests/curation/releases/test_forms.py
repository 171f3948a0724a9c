"""The entitlements form: which organisation, which feed, grant or revoke."""

from __future__ import annotations

import pytest

from curation.releases.forms import FeedGrantForm


@pytest.mark.parametrize(("raw", "expected"), [("12", 12), (" 7 ", 7), ("", None), ("x", None), ("²", None),
                                              ("-3", None)])
def test_the_organisation_is_a_plain_whole_number_or_none(raw, expected):
    form = FeedGrantForm({"organisation": raw, "feed": "standard", "action": "grant"})
    assert form.is_valid()
    assert form.cleaned_data["organisation"] == expected


def test_only_revoke_revokes():
    revoke, grant = FeedGrantForm({"action": "revoke"}), FeedGrantForm({"action": "Revoke"})
    assert revoke.is_valid() and grant.is_valid()
    assert revoke.cleaned_data["action"] is True and grant.cleaned_data["action"] is False
