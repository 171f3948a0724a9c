"""Input of the item pages, parsed and shaped. The services decide what is valid (and say why), so
these fields take any text: an item with errors comes back with the service's messages."""

from __future__ import annotations

from baseline_client.hashing.signatures import ALGORITHMS, CRYPTOGRAPHIC, from_checksum_line
from django import forms

from core.inputs import whole_number
from curation.models import Submission
from curation.submissions.services import ItemInput

TRISTATE = {"": None, "yes": True, "no": False}
# Longer than any signature a search could match; a longer value is cut, not refused.
VALUE_SEARCH_MAX_LENGTH = 20_000


def _text() -> forms.CharField:
    """Taken as typed: the service trims and checks it (and the page shows it again as typed)."""
    return forms.CharField(required=False, strip=False)


class SubmitForm(forms.Form):
    """The submit page's two forms: "hash a file" (action=hash, file) and the item itself."""

    action = _text()
    file = forms.FileField(required=False, allow_empty_file=True)
    frames = _text()  # a video's frames to hash: "every" (the default) or "second"
    media_type = _text()
    pdq_quality = _text()
    external_reference = _text()
    note = _text()
    series = _text()
    victim_identified = _text()
    offender_identified = _text()
    reason = _text()  # required (by the service) to resubmit a rejected item's signature: held

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for algorithm in ALGORITHMS:
            self.fields[f"sig_{algorithm}"] = _text()

    def clean(self) -> dict:
        """A pasted line of `sha256sum` (md5sum, sha1sum) output keeps its hash, not the file name."""
        data = super().clean()
        for algorithm in CRYPTOGRAPHIC:
            name = f"sig_{algorithm}"
            data[name] = from_checksum_line(algorithm, data.get(name, ""))
        return data

    @staticmethod
    def blank() -> dict[str, str]:
        """The values of an empty submit form (as the template shows them)."""
        return {"media_type": "image", "frames": "every", **{
            name: "" for name in SubmitForm().fields if name not in ("action", "file", "media_type", "frames")}}

    def values(self) -> dict[str, str]:
        """What was posted, to show again."""
        return {name: self.cleaned_data.get(name, "") for name in self.blank()}

    def seconds_per_hash(self) -> float:
        """Every frame unless "one a second" was chosen (README: listed videos are hashed densely)."""
        return 1.0 if self.cleaned_data.get("frames") == "second" else 0.0

    def wants_hashing(self) -> bool:
        """"Compute signatures", or any send with a file chosen: a file's values are shown for
        confirmation before anything is submitted."""
        return self.cleaned_data.get("action") == "hash" or self.cleaned_data.get("file") is not None

    def used_algorithms(self) -> list[str]:
        """The algorithms whose input holds a value, in the table's order."""
        return [a for a in ALGORITHMS if self.cleaned_data.get(f"sig_{a}", "").strip()]

    def item(self) -> ItemInput:
        data = self.cleaned_data
        rows = []
        for algorithm in self.used_algorithms():
            row = {"algorithm": algorithm, "value": data[f"sig_{algorithm}"]}
            if algorithm == "pdq":  # the one algorithm with a quality input
                row["quality"] = _quality(data["pdq_quality"])
            rows.append(row)
        return ItemInput(
            media_type=data["media_type"], signatures=rows, external_reference=data["external_reference"],
            note=data["note"], series=data["series"], victim_identified=TRISTATE.get(data["victim_identified"]),
            offender_identified=TRISTATE.get(data["offender_identified"]), reason=data["reason"],
        )


def _quality(raw: str) -> int | str | None:
    """A whole number as such; other text goes on to the service, which explains what it wants."""
    raw = raw.strip()
    if not raw:
        return None
    number = whole_number(raw)
    return raw if number is None else number


class SubmissionFilterForm(forms.Form):
    """The item list's filters: an unknown status lists every status, as "All" does."""

    status = forms.CharField(required=False, strip=False)
    value = forms.CharField(required=False)

    def clean_status(self) -> str:
        wanted = self.cleaned_data["status"]
        return wanted if wanted in Submission.Status.values else ""

    def clean_value(self) -> str:
        return self.cleaned_data["value"][:VALUE_SEARCH_MAX_LENGTH]


class RetractForm(forms.Form):
    reason = _text()
