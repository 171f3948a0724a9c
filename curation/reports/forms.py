"""The reports page's form: a curator's dismissal of a false-positive report."""

from __future__ import annotations

from django import forms

from curation.reports.services import MAX_REASON


class DismissForm(forms.Form):
    reason = forms.CharField(max_length=MAX_REASON, strip=True)
