"""Input of the reviewers' and criteria pages, parsed and shaped; the services decide what is valid."""

from __future__ import annotations

from django import forms

ANSWERS = {"yes": True, "no": False}
ANSWER_MISSING = "Answer yes or no."


class ReviewForm(forms.Form):
    """One yes/no answer per criterion of the item's set (named by the criterion's key), and a comment."""

    comment = forms.CharField(required=False, strip=False)

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        errors = {"required": ANSWER_MISSING, "invalid_choice": ANSWER_MISSING}
        for criterion in criteria:
            self.fields[criterion.key] = forms.ChoiceField(choices=[(a, a) for a in ANSWERS], error_messages=errors)
        self.criteria = list(criteria)

    def answers(self) -> dict[str, bool]:
        return {c.key: ANSWERS[self.cleaned_data[c.key]] for c in self.criteria}

    def error_lists(self) -> dict[str, list[str]]:
        return {name: list(messages) for name, messages in self.errors.items()}


class RecuseForm(forms.Form):
    reason = forms.CharField(required=False, strip=False)


class CriteriaForm(forms.Form):
    """The criteria as text, one "key | question" a line; `pairs` holds them parsed. A line without
    the bar is an error of the form; what a key or question may be is the service's to say."""

    criteria = forms.CharField(required=False, strip=False)

    def clean(self):
        data = super().clean()
        pairs, errors = [], []
        for number, line in enumerate(data.get("criteria", "").splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, question = line.partition("|")
            if not sep:
                errors.append(f"Line {number}: write 'key | question'.")
            pairs.append((key.strip(), question.strip()))
        if errors:
            raise forms.ValidationError(errors)
        data["pairs"] = pairs
        return data
