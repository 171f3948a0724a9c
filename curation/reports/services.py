"""Match reports (DESIGN.md section 11): a partner reports a `match` found on its network or a
`false_positive`, one at a time or up to 500 at once; every report of a call is checked before
any is written, and each is audited in the same transaction. A `match` report shared with the
submitter reaches the submitting organisation's investigators as a notice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import audit
from core.actions import AuditAction
from core.actors import SYSTEM
from core.errors import DomainError
from curation import permissions
from curation.models import Download, FeedName, Listing, Release, Report, Signature
from curation.notices import services as notices

MAX_BATCH = 500
MAX_REFERENCE = Report._meta.get_field("reference").max_length
MAX_DETAILS = Report._meta.get_field("details").max_length
MAX_REASON = Report._meta.get_field("decision_reason").max_length


@dataclass(frozen=True)
class ReportInput:
    item_id: str
    kind: str
    reference: str
    details: str = ""
    observed_at: datetime | None = None
    share_with_submitter: bool = False


def _invalid(number: int, field: str, message: str) -> dict:
    return {str(number): {field: [f"report {number}: {message}"]}}


def _checked(number: int, row: ReportInput) -> dict:
    errors: dict = {}
    if row.kind not in Report.Kind.values:
        errors |= _invalid(number, "kind", f"kind must be one of {', '.join(Report.Kind.values)}.")
    reference = (row.reference or "").strip()
    if not reference:
        errors |= _invalid(number, "reference", "your own case reference is required.")
    elif len(reference) > MAX_REFERENCE:
        errors |= _invalid(number, "reference", f"at most {MAX_REFERENCE} characters.")
    if len(row.details or "") > MAX_DETAILS:
        errors |= _invalid(number, "details", f"at most {MAX_DETAILS:,} characters (words only, never media).")
    for name in ("reference", "details"):
        if "\x00" in (getattr(row, name) or ""):
            errors |= _invalid(number, name, "null characters are not allowed.")
    if row.observed_at is not None and row.observed_at > timezone.now() + timedelta(minutes=5):
        errors |= _invalid(number, "observed_at", "observed_at lies in the future.")
    try:
        uuid.UUID(str(row.item_id))
    except ValueError:
        errors |= _invalid(number, "item_id", "not an item id.")
    return errors


def reportable_item_ids(user, item_ids: set[str]) -> set[str]:
    """The items a partner may report: listed in a published release of a feed it holds."""
    latest = (Release.objects.filter(list="baseline", status=Release.Status.PUBLISHED)
              .order_by("-version").values_list("version", flat=True).first())
    if latest is None:
        return set()
    listed = {str(pk) for pk in Listing.objects.filter(list="baseline", submission_id__in=item_ids,
                                                        entered_version__lte=latest)
              .values_list("submission_id", flat=True)}
    feeds = permissions.entitled_feeds(user)
    signatures = Signature.objects.filter(submission_id__in=listed)
    if FeedName.STANDARD not in feeds:
        signatures = signatures.filter(algorithm="photodna")
    if FeedName.PHOTODNA not in feeds:
        signatures = signatures.exclude(algorithm="photodna")
    return {str(pk) for pk in signatures.values_list("submission_id", flat=True)}


def reports_create(*, actor, rows: list[ReportInput]) -> list[Report]:
    """Write the reports, all or none: 400 naming each malformed report's index, 404 naming the
    first whose item is not listed in a release the caller's feeds hold."""
    if not permissions.may_report(actor):
        raise DomainError("Only partners file match reports.", code="forbidden", kind="forbidden")
    if not 1 <= len(rows) <= MAX_BATCH:
        raise DomainError(f"Send 1 to {MAX_BATCH} reports a call.", code="invalid",
                          extra={"errors": {"reports": [f"1 to {MAX_BATCH} reports a call"]}})
    errors: dict = {}
    for number, row in enumerate(rows):
        errors |= _checked(number, row)
    if errors:
        raise DomainError("Some reports are malformed.", code="invalid", extra={"errors": errors})
    allowed = reportable_item_ids(actor, {str(row.item_id) for row in rows})
    for number, row in enumerate(rows):
        if str(row.item_id) not in allowed:
            raise DomainError(f"Report {number}: item {row.item_id} is not listed in a release your feeds hold.",
                              code="not_found", kind="not_found")
    now = timezone.now()
    reports = [Report(item_id=row.item_id, reporter=actor, organisation_id=actor.organisation_id, kind=row.kind,
                      reference=row.reference.strip(), details=(row.details or "").strip(),
                      observed_at=row.observed_at, share_with_submitter=row.share_with_submitter, created_at=now)
               for row in rows]
    with transaction.atomic():
        Report.objects.bulk_create(reports)
        audit.record_many(actor=actor, changes=[
            audit.Change(AuditAction.REPORT_CREATE, "curation.report", report.pk, {
                "item": str(report.item_id), "kind": report.kind, "shared": report.share_with_submitter})
            for report in reports])
        notices.match_reports_shared([r for r in reports if r.kind == Report.Kind.MATCH and r.share_with_submitter])
    return reports


def report_dismiss(*, actor, report: Report, reason: str) -> Report:
    """A curator dismisses a false-positive report with a reason the reporting partner sees; the
    item stays listed. 409 unless it is a false positive still waiting for triage."""
    if not permissions.may_triage_reports(actor):
        raise DomainError("Only curators triage reports.", code="forbidden", kind="forbidden")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON or "\x00" in reason:
        raise DomainError(f"A reason of 1 to {MAX_REASON} characters is required.", code="invalid", field="reason")
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.kind != Report.Kind.FALSE_POSITIVE or report.status != Report.Status.RECEIVED:
            raise DomainError(f"Only a false-positive report waiting for triage can be dismissed; this one is a "
                              f"{report.kind} report, {report.status}.", code="not_triageable", kind="conflict")
        report.status, report.decided_at, report.decision_reason = Report.Status.DISMISSED, timezone.now(), reason
        report.save(update_fields=["status", "decided_at", "decision_reason"])
        audit.record(actor=actor, action=AuditAction.REPORT_DISMISS, obj=report, details={"reason": reason})
        notices.report_decided(report)
    return report


def retention_purge() -> dict:
    """Delete reports and download log rows older than their retention periods (a periodic task),
    each purge audited; the numbers deleted."""
    today = timezone.now()
    done = {}
    for model, days, action, name in (
            (Report, settings.BASELINE_REPORT_RETENTION_DAYS, AuditAction.REPORT_PURGE, "curation.report"),
            (Download, settings.BASELINE_DOWNLOAD_LOG_RETENTION_DAYS, AuditAction.DOWNLOAD_LOG_PURGE,
             "curation.download")):
        cutoff = today - timedelta(days=days)
        with transaction.atomic():
            deleted, _ = model.objects.filter(created_at__lt=cutoff).delete()
            if deleted:
                audit.record(actor=SYSTEM, action=action, object_type=name,
                             details={"before": cutoff.isoformat(), "deleted": deleted})
        done[name] = deleted
    return done
