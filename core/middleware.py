"""Refuse NUL characters in paths, query strings and page form fields with a 400 before any view runs.

PostgreSQL cannot store U+0000 in text, so such a value would otherwise reach the database and
fail there (a 500). No legitimate field of this service contains one.

API bodies (`/api/`) are not read here: parsing a form or multipart body before the caller is known
would let anonymous clients tie up a worker with slow or large uploads, so the API's parsers
(core/parsers.py) refuse NUL characters in form and multipart fields themselves, after DRF has
authenticated the caller, and JSON bodies are checked by DRF's fields.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse

from core.parsers import NUL_MESSAGE as MESSAGE

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(query_dict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query_dict.lists())


class RejectNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        form = request.method == "POST" and request.content_type in FORM_TYPES
        if "\x00" in request.path or _has_nul(request.GET) or (form and not api and _has_nul(request.POST)):
            if api:
                return JsonResponse({"non_field_errors": [MESSAGE]}, status=400)
            return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
