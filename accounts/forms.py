"""The inputs of the account pages, as Django forms: sign-in's second factor, the password and token
pages, and the administrators' user and organisation pages.

Forms parse and shape what was sent, within the limits the models define (lengths from the model
fields, choices from Role, Organisation.Kind and accounts/countries.py). The rules stay in
accounts/services.py; where a form refuses a value first it says what the service would say
(tests/accounts/test_forms.py holds them to that), and `cleaned_or_raise()` turns its first error
into the same DomainError a page already shows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.http import QueryDict

from accounts.countries import COUNTRIES
from accounts.models import ApiToken, Organisation, Role, User
from core.errors import DomainError
from core.inputs import REASON_MAX_LENGTH, whole_number

UNKNOWN_ROLE = f"Unknown role %(value)r; roles are {', '.join(Role.values)}."


def _max_length(model: type[models.Model], field: str) -> int:
    return model._meta.get_field(field).max_length


def _text(label: str, max_length: int, **kwargs: Any) -> forms.CharField:
    """Free text, trimmed, at most `max_length` characters. Whether it may be empty is the service's
    rule, so the form accepts an empty value and the service names what is missing."""
    return forms.CharField(required=False, max_length=max_length, error_messages={
        "max_length": f"{label} is at most %(limit_value)d characters (got %(show_value)d).",
    }, **kwargs)


def _reason(action: str) -> forms.CharField:
    return _text(f"A reason for {action}", REASON_MAX_LENGTH)


class WholeNumberField(forms.Field):
    """Plain ASCII digits (core/inputs.py whole_number: "²" and "٥" are not numbers); None if empty."""

    default_error_messages = {"invalid": "Enter a whole number."}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        number = whole_number(str(value))
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class OnOffField(forms.Field):
    """A hidden on/off switch: True for "on", False for any other value, None when it was not sent."""

    widget = forms.HiddenInput

    def to_python(self, value: Any) -> bool | None:
        return None if value is None else value == "on"


class CountryField(forms.ChoiceField):
    """An ISO 3166-1 alpha-2 code, in either case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=sorted(COUNTRIES.items()), required=False, error_messages={
            "invalid_choice": "%(value)r is not an ISO 3166-1 alpha-2 country code."}, **kwargs)

    def to_python(self, value: Any) -> str:
        return super().to_python(value).strip().upper()


class OrganisationChoiceField(forms.ModelChoiceField):
    """An organisation by id: plain digits only, so a crafted value is "not found", never an error."""

    def to_python(self, value: Any) -> Organisation | None:
        if value not in self.empty_values and whole_number(str(value)) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class InputForm(forms.Form):
    """A form whose first error (in field order, then the form's own) is a DomainError."""

    def cleaned_or_raise(self) -> dict[str, Any]:
        """`cleaned_data` if the input is valid, else DomainError with the first error's words."""
        if not self.is_valid():
            for name in [*self.fields, NON_FIELD_ERRORS]:
                if name in self.errors:
                    raise DomainError(self.errors[name][0], code="invalid",
                                      field=None if name == NON_FIELD_ERRORS else name)
        return self.cleaned_data

    def echo(self) -> dict[str, Any]:
        """The values as sent (or the initial ones), for a page that shows the form again."""
        values = {name: self[name].value() for name in self.fields}
        return {name: "" if value is None else value for name, value in values.items()}


class SearchForm(InputForm):
    """A list page's filters: a value that does not parse is left out, never an error page."""

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return {name: self.cleaned_data.get(name, field.initial) for name, field in self.fields.items()}


# Signing in, the second factor, one's own password and tokens -----------------------------------

class NextForm(forms.Form):
    next = forms.CharField(required=False, strip=False)


def next_target(*bound: NextForm) -> str:
    """The first `next` sent among the bound forms (the body's, then the address's), unchecked; ""
    if none."""
    for form in bound:
        if form.is_valid() and form.cleaned_data["next"]:
            return form.cleaned_data["next"]
    return ""


class SecondFactorForm(InputForm):
    """A code from the authenticator or a recovery code (the service trims and compares it)."""

    token = forms.CharField(required=False)
    current_password = forms.CharField(required=False, strip=False)  # asked when replacing one


class PasswordChangeForm(InputForm):
    current_password = forms.CharField(required=False, strip=False)
    new_password = forms.CharField(required=False, strip=False)
    new_password_again = forms.CharField(required=False, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "new_password" in data and data["new_password"] != data.get("new_password_again"):
            self.add_error("new_password_again", "The two new passwords differ.")
        return data


class TokenCreateForm(InputForm):
    days = WholeNumberField(required=False, error_messages={"invalid": "Days must be a whole number."})
    name = _text("A token's name", _max_length(ApiToken, "name"))
    current_password = forms.CharField(required=False, strip=False)  # for tokens over BASELINE_TOKEN_DAYS

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        return settings.BASELINE_TOKEN_DAYS if days is None else days  # what the page offers


class PageForm(SearchForm):
    page = forms.CharField(required=False)  # Paginator.get_page makes sense of any value


# Administrators' pages ------------------------------------------------------------------------

class UserSearchForm(PageForm):
    q = forms.CharField(required=False, initial="")
    role = forms.CharField(required=False, initial="")
    org = WholeNumberField(required=False)

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        return role if role in Role.values else ""


class BackForm(forms.Form):
    """The users list's search, carried through a user's page and the actions taken there, so that
    "Back to users" returns to the list as it was searched. Only the list's own filters survive."""

    back = forms.CharField(required=False, max_length=1000, strip=False)

    def query(self) -> str:
        if not self.is_valid():
            return ""
        values = UserSearchForm(QueryDict(self.cleaned_data["back"])).values()
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


class OrganisationSearchForm(PageForm):
    q = forms.CharField(required=False, initial="")

    def clean_q(self) -> str:
        return self.cleaned_data["q"][:_max_length(Organisation, "name")]  # longer matches nothing


class UserCreateForm(InputForm):
    organisation = OrganisationChoiceField(queryset=Organisation.objects.all(), initial="", error_messages={
        "required": "Choose an organisation.", "invalid_choice": "Choose an organisation."})
    username = _text("A username", _max_length(User, "username"), initial="")
    email = _text("An email address", _max_length(User, "email"), initial="")
    roles = forms.MultipleChoiceField(choices=Role.choices, required=False, initial=[],
                                      error_messages={"invalid_choice": UNKNOWN_ROLE})


def _role() -> forms.ChoiceField:
    return forms.ChoiceField(choices=Role.choices, required=False, error_messages={"invalid_choice": UNKNOWN_ROLE})


class RoleGrantForm(InputForm):
    role = _role()
    reason = _reason("granting a role")

    def clean_role(self) -> str:
        if not self.cleaned_data["role"]:  # the page's select starts on "Choose…" (no risky default)
            raise forms.ValidationError("Choose a role to grant.")
        return self.cleaned_data["role"]


class RoleRevokeForm(InputForm):
    role = _role()
    reason = _reason("revoking a role")


class UserActiveForm(InputForm):
    active = OnOffField(required=False)
    reason = _reason("deactivating an account")

    def clean_active(self) -> bool:
        return bool(self.cleaned_data["active"])  # not sent counts as "off"


class OrganisationForm(InputForm):
    name = _text("An organisation's name", _max_length(Organisation, "name"))
    country = CountryField()
    kind = forms.ChoiceField(choices=Organisation.Kind.choices, required=False, error_messages={
        "invalid_choice": f"Kind must be one of {', '.join(Organisation.Kind.values)}."})

    def clean_country(self) -> str:
        if not self.cleaned_data["country"]:  # the page's select starts on "Choose…"
            raise forms.ValidationError("Choose the organisation's country.")
        return self.cleaned_data["country"]


class OrganisationEditForm(OrganisationForm):
    """The edit page posts either the fields (`active` not sent) or the on/off switch with a reason."""

    active = OnOffField(required=False)
    reason = _reason("deactivating an organisation")

    def clean_country(self) -> str:
        if "active" in self.data:  # the on/off switch posts no fields at all
            return self.cleaned_data["country"]
        return super().clean_country()


class RoleRequestRefuseForm(InputForm):
    reason = _reason("refusing a request")
