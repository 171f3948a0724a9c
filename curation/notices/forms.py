"""Input of the notices page."""

from __future__ import annotations

from django import forms


class NoticesForm(forms.Form):
    """"Mark all as read", or the email digest preference (which also marks them read)."""

    email_digest = forms.CharField(required=False, strip=False)

    def clean_email_digest(self) -> bool | None:
        """Whether the digest is wanted; None when the preference was not part of the post."""
        if "email_digest" not in self.data:
            return None
        return self.cleaned_data["email_digest"] == "on"
