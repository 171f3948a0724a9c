"""Small parsers for raw request values, shared by pages and API views."""

from __future__ import annotations

import re

_WHOLE = re.compile(r"[0-9]{1,18}")


def whole_number(raw: str | None) -> int | None:
    """The value as a non-negative int if it is plain ASCII digits, else None ("²".isdigit() is True)."""
    return int(raw) if isinstance(raw, str) and _WHOLE.fullmatch(raw.strip()) else None
