"""The input of the curators' decision on a held item (sign off or refuse, with a reason)."""

from __future__ import annotations

from django import forms

from accounts.forms import InputForm
from curation.models import Submission

MAX_REASON = Submission._meta.get_field("retraction_reason").max_length


class HeldDecisionForm(InputForm):
    reason = forms.CharField(
        max_length=MAX_REASON, strip=True,
        error_messages={"required": "A reason is required.", "max_length": f"At most {MAX_REASON} characters."},
    )
