"""The API's request parsers (REST_FRAMEWORK DEFAULT_PARSER_CLASSES): DRF's, with two refusals.

- JSON nested deeper than `MAX_JSON_DEPTH` is a 400 before it is decoded. Python's decoder recurses
  once per level, so `[` × 1000 would otherwise end in a RecursionError (a 500), and DRF's
  SessionAuthentication decodes the body for its CSRF check, so that would happen before the CSRF
  check too. The depth is counted by scanning the bytes, never by recursing.
- NUL characters in form and multipart fields are a 400 (PostgreSQL cannot store them). The
  NUL-character middleware (core/middleware.py) does not read API bodies, so that an anonymous
  caller's body is not parsed before authentication; these parsers do it when a view reads the data.

Bodies over Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` raise `RequestDataTooBig` (DRF reads JSON and
form bodies through `request.body`), which core/api.py answers with the JSON 413.
"""

from __future__ import annotations

import itertools
import re

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils import json

MAX_JSON_DEPTH = 64
NUL_MESSAGE = "Null characters are not allowed."

# A JSON string: a quote, then anything but quotes and backslashes, or an escape, up to the closing
# quote, or to the end of the body when it is unterminated (so a match never fails and the scan stays
# linear however the quotes and backslashes are arranged).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class TooDeep(ParseError):
    default_code = "too_deep"


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, brackets inside strings left out. Linear
    and without recursion. For invalid JSON it is at least the depth a decoder reaches before failing."""
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (strict: no NaN or Infinity), refusing deep nesting before decoding.

    Being a subclass of DRF's, it is handed `request.body`, which Django bounds by
    DATA_UPLOAD_MAX_MEMORY_SIZE."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth(text) > MAX_JSON_DEPTH:
            raise TooDeep(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _refuse_nul(data, files=None) -> None:
    fields = list(data.lists()) if hasattr(data, "lists") else []
    if any("\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values) for key, values in fields):
        raise ValidationError({"non_field_errors": [NUL_MESSAGE]})
    if files is not None and any(
        "\x00" in key or any("\x00" in (upload.name or "") for upload in uploads) for key, uploads in files.lists()
    ):
        raise ValidationError({"non_field_errors": [NUL_MESSAGE]})


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_nul(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_nul(parsed.data, parsed.files)
        return parsed
