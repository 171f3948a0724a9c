"""CSV for people: cells a spreadsheet would run as a formula are written as text.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (`=HYPERLINK(...)` in an organisation name becomes a link that leaks
data when clicked). Such a cell gets a leading `'`, which every one of them shows as "text follows"
(OWASP, "CSV Injection"). Only for files people open: release files hold hash values for programs
and are written exactly (curation/releases/exports.py).
"""

from __future__ import annotations

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """The value as a spreadsheet shows it, never run: `'` before a formula's first character."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


class Writer:
    """`csv.writer` whose rows are returned as strings (for a streamed response), every cell
    passed through `cell`."""

    def __init__(self) -> None:
        self._writer = csv.writer(_Echo(), lineterminator="\n")

    def row(self, values) -> str:
        return self._writer.writerow([cell(value) for value in values])
