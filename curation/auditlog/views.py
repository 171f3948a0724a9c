"""The audit log for administrators: filter, page through, export as CSV (blind review respected)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import render

from core import audit, spreadsheet
from core.actions import AuditAction
from core.forms import from_query, page_of
from curation import permissions
from curation.auditlog import selectors
from curation.auditlog.forms import AuditLogFilterForm


def _filters(request) -> tuple[dict, dict]:
    """The selector's arguments, and what the page shows of the filters: as typed, and their errors."""
    form = from_query(AuditLogFilterForm, request)
    return form.filters(), {"raw": form.raw(), "errors": form.messages()}


def _require_admin(request) -> None:
    if not permissions.may_read_audit_log(request.user):
        raise PermissionDenied


@login_required
def audit_log(request):
    _require_admin(request)
    filters, form = _filters(request)
    entries = selectors.audit_entries_visible(**filters)
    page = page_of(request, entries, 100)
    query = urlencode({k: v for k, v in form["raw"].items() if v})
    kinds = AuditLogFilterForm.base_fields["object_type"].choices
    return render(request, "curation/audit_log.html", {
        "page": page, "rows": selectors.describe(page.object_list), "form": form, "query": query, "kinds": kinds,
    }, status=400 if form["errors"] else 200)


@login_required
def audit_export(request):
    _require_admin(request)
    filters, form = _filters(request)
    if form["errors"]:
        return audit_log(request)
    # A GET that writes, on purpose: the log leaving the service is itself an act to account for.
    # One audit entry, no other state; a repeat records another export (README, "Audit log").
    with transaction.atomic():
        audit.record(actor=request.user, action=AuditAction.AUDIT_EXPORT, object_type="curation.auditentry",
                     object_id="", details={k: v for k, v in form["raw"].items() if v})
    writer = spreadsheet.Writer()  # cells that would run as formulas are written as text
    # No sequence numbers or hashes: while review entries of undecided items are hidden, gaps in the
    # sequence would count them and a neighbour's prev_hash would let a guessed verdict be confirmed.
    # The chain itself is checked on the server with `manage.py verify_audit_log`.
    header = ["created_at", "actor", "organisation", "action", "object_type", "object_id", "details"]

    def rows():
        yield writer.row(header)
        for e in selectors.audit_entries_visible(**filters).iterator(chunk_size=2000):
            yield writer.row([
                e.created_at.isoformat(), e.actor_username, e.organisation.name if e.organisation else "",
                e.action, e.object_type, e.object_id, json.dumps(e.details, sort_keys=True),
            ])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="baseline-audit-log.csv"'
    return response
