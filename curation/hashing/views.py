"""Page-side answers about uploads: an over-limit body is a 413, not a CSRF failure."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.views.csrf import csrf_failure as django_csrf_failure

from curation.hashing.uploads import too_large_message, upload_too_large


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW. A body declared too large is never parsed (curation/uploads.py), so its CSRF
    token is never read: answer what really went wrong, 413, and run no view. Else Django's 403."""
    if upload_too_large(request):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": too_large_message(), "code": "too_large"}, status=413)
        return render(request, "413.html", {"message": too_large_message()}, status=413)
    return django_csrf_failure(request, reason=reason)
