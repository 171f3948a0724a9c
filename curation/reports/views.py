"""Report pages (DESIGN.md section 11): the Reports list — a partner its own and their outcomes, an
investigator the match reports shared on its organisation's items, curators every report with the
false positives to triage — and the curators' Activity page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.forms import from_body, page_of
from curation import permissions
from curation.reports import selectors, services
from curation.reports.forms import DismissForm


@login_required
def report_list(request):
    if not permissions.may_see_reports(request.user):
        raise PermissionDenied("Your role has no reports to see.")
    reports = permissions.reports_visible_to(request.user)
    return render(request, "curation/report_list.html", {
        "page": page_of(request, reports, 50), "may_triage": permissions.may_triage_reports(request.user),
        "max_reason": services.MAX_REASON,
        "sees_reporter": {r.pk for r in reports[:500] if permissions.sees_reporter(request.user, r)},
    })


@login_required
@require_POST
def report_dismiss(request, report_id):
    if not permissions.may_triage_reports(request.user):
        raise PermissionDenied("Only curators triage reports.")
    report = permissions.reports_visible_to(request.user).filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    form = from_body(DismissForm, request)
    if not form.is_valid():
        messages.error(request, "A reason is required to dismiss a report.")
        return redirect("report-list")
    try:
        services.report_dismiss(actor=request.user, report=report, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("report-list")
    messages.success(request, f"Report {report.reference!r} dismissed; the partner sees your reason.")
    return redirect("report-list")


@login_required
def activity(request):
    if not permissions.may_see_sightings(request.user):
        raise PermissionDenied("Only curators see partners' sightings and reports per item.")
    return render(request, "curation/activity.html", {
        "rows": selectors.item_activity(), "factor": selectors.SPIKE_FACTOR, "minimum": selectors.SPIKE_MINIMUM})
