"""Input of the release and entitlement pages, parsed and shaped; the services decide what is valid."""

from __future__ import annotations

from django import forms

from core.inputs import whole_number


class ReleaseRequestForm(forms.Form):
    note = forms.CharField(required=False, strip=False)  # the service trims and checks its length


class ReleaseListForm(forms.Form):
    """`?built=N`: the page the build's progress display opens when release N stops building."""

    built = forms.CharField(required=False, strip=False)

    def clean_built(self) -> int | None:
        return whole_number(self.cleaned_data["built"])


class FeedGrantForm(forms.Form):
    """One button of the entitlements table: grant (or revoke) a feed to a partner organisation."""

    organisation = forms.CharField(required=False, strip=False)
    feed = forms.CharField(required=False, strip=False)
    action = forms.CharField(required=False, strip=False)

    def clean_organisation(self) -> int | None:
        """The organisation's id, or None when it is not one (the page then asks to choose one)."""
        return whole_number(self.cleaned_data["organisation"])

    def clean_action(self) -> bool:
        """Whether to revoke; anything else grants."""
        return self.cleaned_data["action"] == "revoke"
