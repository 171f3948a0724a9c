"""The audit log's filters, parsed. Each filter in error has a message in words that names it (by
its label, never its field name) and filters nothing; the page still shows the entries the other
filters select.

"Item or object id" takes what people have: the 8-character short id the pages show (or any longer
start of an item's id), a whole id, or a number (users, organisations, releases…: exact).
"Actor" takes a username; `system` and `operator` name the service's own acts and the command line's.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms

from core.audit import OPERATOR_NAME
from curation.auditlog.selectors import TYPE_LABELS

SYSTEM_NAME = "system"  # how the log shows an entry with no actor
MIN_PREFIX = 8
LABELS = {"action": "Action starts with", "actor": "Actor", "object_id": "Item or object id",
          "object_type": "Kind", "since": "From", "until": "To"}
_HEX_ID = re.compile(r"[0-9a-f-]+")


class IsoDateField(forms.CharField):
    def to_python(self, value) -> date | None:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise forms.ValidationError("must be a date written YYYY-MM-DD, such as 2026-01-31.",
                                        code="invalid") from None


class ObjectIdField(forms.CharField):
    """(text, is_prefix): a short number matched exactly, else the start of an id (8 characters or more)."""

    def to_python(self, value) -> tuple[str, bool] | None:
        text = (super().to_python(value) or "").lower()
        if not text:
            return None
        if text.isdigit() and len(text) < MIN_PREFIX:
            return text, False  # a user's, an organisation's, a release's… id
        if not _HEX_ID.fullmatch(text) or len(text) < MIN_PREFIX:
            raise forms.ValidationError(
                f"must be a number, or at least the first {MIN_PREFIX} characters of an item's id "
                "(letters a–f and digits, as the item pages show it).", code="invalid")
        return text, True  # a short id (which may be all digits) or a whole id: the start matches


class AuditLogFilterForm(forms.Form):
    action = forms.CharField(required=False)
    actor = forms.CharField(required=False)
    object_id = ObjectIdField(required=False)
    object_type = forms.ChoiceField(required=False, choices=[("", "Any kind"), *TYPE_LABELS.items()],
                                    error_messages={"invalid_choice": "must be one of the kinds listed."})
    since = IsoDateField(required=False)
    until = IsoDateField(required=False)

    def clean_actor(self) -> dict | None:
        """The actor as the selector filters it: a user's id, the operator, or the system."""
        from accounts.selectors import user_id_by_username

        name = self.cleaned_data["actor"]
        if not name:
            return None
        if name == SYSTEM_NAME:
            return {"actor__isnull": True, "actor_username": ""}
        if name == OPERATOR_NAME:
            return {"actor__isnull": True, "actor_username": OPERATOR_NAME}
        user_id = user_id_by_username(name)
        if user_id is None:
            raise forms.ValidationError(f"No user is called “{name}”. Usernames are matched exactly.",
                                        code="unknown")
        return {"actor_id": user_id}

    def clean(self):
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        if since and until and since > until:
            self.add_error("until", forms.ValidationError("must not be before “From”.", code="order"))
        return self.cleaned_data

    def raw(self) -> dict[str, str]:
        """The filters as typed (trimmed): shown again, kept in the page links and the export's audit entry."""
        return {name: (self[name].value() or "").strip() for name in self.fields}

    def filters(self) -> dict:
        """The selector's arguments; a filter in error filters nothing."""
        self.is_valid()
        valid = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return {"action": "", "actor": None, "object_id": None, "object_type": "", "since": None,
                "until": None} | valid

    def messages(self) -> list[tuple[str, str]]:
        """(input id, message) per filter in error, in the form's order, each naming its filter."""
        pairs = []
        for name in self.fields:
            if name in self.errors:
                error = self.errors[name][0]
                # Messages that start with a verb follow the filter's label; whole sentences stand alone.
                text = error if error[:1].isupper() else f"“{LABELS[name]}” {error}"
                pairs.append((f"id_{name}", text))
        return pairs
