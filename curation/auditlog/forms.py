"""The audit log's filters, parsed. A date not in the form YYYY-MM-DD is an error of its field;
the page still shows the entries the other filters select."""

from __future__ import annotations

from datetime import date

from django import forms

DATE_FORMAT_MESSAGE = "Use the form YYYY-MM-DD."


class IsoDateField(forms.CharField):
    def to_python(self, value) -> date | None:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise forms.ValidationError(DATE_FORMAT_MESSAGE, code="invalid") from None


class AuditLogFilterForm(forms.Form):
    action = forms.CharField(required=False)
    actor = forms.CharField(required=False)
    object_id = forms.CharField(required=False)
    since = IsoDateField(required=False)
    until = IsoDateField(required=False)

    def raw(self) -> dict[str, str]:
        """The filters as typed (trimmed): shown again, kept in the page links and the export's audit entry."""
        return {name: (self[name].value() or "").strip() for name in self.fields}

    def filters(self) -> dict:
        """The selector's arguments; a date in error filters nothing."""
        self.is_valid()
        return {"since": None, "until": None} | self.cleaned_data

    def messages(self) -> dict[str, str]:
        """One message per filter in error."""
        return {name: errors[0] for name, errors in self.errors.items()}
