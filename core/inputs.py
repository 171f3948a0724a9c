"""Small parsers for raw request values, shared by pages and API views."""

from __future__ import annotations

import re

_WHOLE = re.compile(r"[0-9]{1,18}")

# Every reason a person gives for an act (a retraction, a role change, a deactivation) is this long at most.
REASON_MAX_LENGTH = 500


def whole_number(raw: str | None) -> int | None:
    """The value as a non-negative int if it is plain ASCII digits, else None ("²".isdigit() is True)."""
    return int(raw) if isinstance(raw, str) and _WHOLE.fullmatch(raw.strip()) else None
