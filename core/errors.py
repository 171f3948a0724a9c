"""The one domain error every service raises, in every app. The API maps it to a status
(core/api.py), the browser to a message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    STATUS = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409, "too_large": 413,
              "throttled": 429}

    def __init__(
        self,
        message: str,
        *,
        code: str,
        kind: str = "invalid",
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        if kind not in self.STATUS:
            raise ValueError(f"unknown error kind {kind!r}")
        self.message = message
        self.code = code
        self.kind = kind
        self.field = field
        self.extra = extra or {}

    @property
    def status(self) -> int:
        return self.STATUS[self.kind]
