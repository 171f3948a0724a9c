"""Refuse NUL characters in query strings and form fields with a 400 before any view runs.

PostgreSQL cannot store U+0000 in text, so such a value would otherwise reach the database and
fail there (a 500). No legitimate field of this service contains one. JSON bodies are checked by
DRF's fields.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse

MESSAGE = "Null characters are not allowed."


def _has_nul(query_dict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query_dict.lists())


class RejectNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        form = request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        if "\x00" in request.path or _has_nul(request.GET) or (request.method == "POST" and form and _has_nul(
                request.POST)):
            if request.path.startswith("/api/"):
                return JsonResponse({"non_field_errors": [MESSAGE]}, status=400)
            return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
