"""Match reports: what partners find flows back (DESIGN.md section 11)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from curation.models.submissions import Submission


class Report(models.Model):
    """A partner's report on a listed item: a `match` found on its network, or a `false_positive`
    (harmless content matching a listed hash). Never media: a reference and words only."""

    class Kind(models.TextChoices):
        MATCH = "match", "Match"
        FALSE_POSITIVE = "false_positive", "False positive"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"  # a match report; a false positive waiting for triage
        DISMISSED = "dismissed", "Dismissed"  # a false positive a curator found unfounded, with a reason

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    reference = models.CharField(max_length=100, help_text="The partner's own case id.")
    details = models.TextField(blank=True, max_length=2000)
    observed_at = models.DateTimeField(null=True, blank=True)
    share_with_submitter = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True, help_text="Why a curator dismissed it; the "
                                                                              "reporting partner sees it.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "created_at"], name="report_org_created"),
                   models.Index(fields=["item", "created_at"], name="report_item_created")]

    def __str__(self) -> str:
        return f"{self.kind} report {self.pk} on {self.item_id}"
