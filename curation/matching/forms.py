"""The Check page's form: pasted hashes, one a line, and (curators, investigators) a file."""

from __future__ import annotations

import re

from baseline_client.hashing import signatures
from django import forms

MAX_LINES = 1000
_LINE = re.compile(r"\s*(?P<algorithm>[A-Za-z0-9_-]+)\s*[:=\s]\s*(?P<value>.+?)\s*")
_BY_LENGTH = {32: "md5", 40: "sha1"}  # a bare hex value of these lengths can only be one algorithm


class CheckForm(forms.Form):
    hashes = forms.CharField(required=False, widget=forms.Textarea)
    file = forms.FileField(required=False, allow_empty_file=True)

    def queries(self) -> tuple[list[dict], list[str]]:
        """([{"algorithm", "value"}], errors naming the line) from `algorithm value` lines; a bare
        32- or 40-hex value is taken as MD5 or SHA-1."""
        rows, errors = [], []
        lines = [line for line in self.cleaned_data.get("hashes", "").splitlines() if line.strip()]
        if len(lines) > MAX_LINES:
            return [], [f"At most {MAX_LINES:,} hashes at a time; this has {len(lines):,}."]
        for number, line in enumerate(lines, start=1):
            bare = line.strip()
            if re.fullmatch(r"[0-9A-Fa-f]+", bare) and len(bare) in _BY_LENGTH:
                rows.append({"algorithm": _BY_LENGTH[len(bare)], "value": bare})
                continue
            match = _LINE.fullmatch(line)
            algorithm = match["algorithm"].lower().replace("-", "") if match else ""
            if not match or algorithm not in signatures.ALGORITHMS:
                errors.append(f"Line {number}: write the algorithm, then the value (for example "
                              f"\"pdq 3c3c…\"); algorithms: {', '.join(signatures.ALGORITHMS)}.")
                continue
            rows.append({"algorithm": algorithm, "value": match["value"]})
        return rows, errors
