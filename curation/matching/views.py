"""The Check page (DESIGN.md section 9): partners paste hashes; curators and investigators may also
choose a file, hashed in memory. The same services as `POST match/`, HTML out."""

from __future__ import annotations

from baseline_client.hashing import media
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from core.errors import DomainError
from core.forms import from_body
from curation import permissions
from curation.hashing import slots
from curation.hashing.uploads import max_upload_bytes, too_large_message, upload_too_large
from curation.matching import services
from curation.matching.forms import CheckForm


def _render(request, *, errors=None, queries=None, answer=None, hashed=None, status=200, typed=""):
    pairs = list(zip(queries or [], (answer or {}).get("results", []), strict=False))
    return render(request, "curation/check.html", {
        "errors": errors or [], "pairs": pairs, "releases": (answer or {}).get("releases"), "hashed": hashed,
        "typed": typed, "may_send_files": permissions.may_match_files(request.user),
        "max_mb": max_upload_bytes() // 2**20, "checked": answer is not None,
    }, status=status)


@login_required
def check(request):
    if not permissions.may_match(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _render(request)
    form = from_body(CheckForm, request)
    form.is_valid()  # both fields take anything; the rows are checked below
    typed = form.cleaned_data.get("hashes", "")
    if upload_too_large(request):
        return _render(request, errors=[too_large_message()], status=413, typed=typed)
    upload, hashed = form.cleaned_data.get("file"), None
    if upload is not None:
        if not permissions.may_match_files(request.user):
            raise PermissionDenied
        try:
            result = slots.hash_upload(request.user, upload.read())
        except media.MediaError as exc:
            return _render(request, errors=[exc.message], status=exc.status, typed=typed)
        finally:
            upload.close()
        allowed = services.matchable_algorithms(request.user)
        hashed = [s for s in result.signatures if s["algorithm"] in allowed]
        rows, errors = [{"algorithm": s["algorithm"], "value": s["value"]} for s in hashed], []
    else:
        rows, errors = form.queries()
    if errors or not rows:
        return _render(request, errors=errors or ["Paste at least one hash, or choose a file."], status=400,
                       typed=typed)
    try:
        queries = services.parse(rows, request.user)
    except DomainError as exc:
        details = exc.extra.get("errors", {}).get("signatures")
        messages = ([m for row in details.values() for ms in row.values() for m in ms]
                    if isinstance(details, dict) else [exc.message])
        return _render(request, errors=messages, status=exc.status, typed=typed)
    answer = services.match(request.user, queries)
    return _render(request, queries=queries, answer=answer, hashed=hashed, typed=typed)
