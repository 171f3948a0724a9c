"""Items (submissions) and their signatures."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.inputs import REASON_MAX_LENGTH
from curation.models.criteria import CriteriaSet


class MediaType(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"


class Submission(models.Model):
    """An item: one piece of known material, described by one or more signatures."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        RETRACTED = "retracted", "Retracted"

    # Statuses whose signatures block a resubmission of the same value.
    ACTIVE_STATUSES = (Status.HELD, Status.PENDING, Status.APPROVED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    media_type = models.CharField(max_length=8, choices=MediaType.choices)
    external_reference = models.CharField(max_length=200)
    note = models.TextField(blank=True, max_length=2000)
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="+")
    required_agreements = models.PositiveSmallIntegerField()
    # Fixed when submitted, like required_agreements: a later settings change never alters the rule.
    min_reviewer_organisations = models.PositiveSmallIntegerField(default=2, db_default=2)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="resubmissions",
        help_text="An earlier rejected, withdrawn or retracted item with a signature in common.",
    )
    # The first item of the chain of linked items this one belongs to (None: it starts one, or
    # stands alone). "Earlier items of the chain" are the root and its members created before.
    chain_root = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The first item of the chain of linked items (earlier item, its earlier item, ...).",
    )
    hold_reason = models.CharField(
        max_length=REASON_MAX_LENGTH, blank=True,
        help_text="The submitter's reason for resubmitting a signature of a rejected item (held items).",
    )
    # Optional VICS-compatible descriptors.
    series = models.CharField(max_length=200, blank=True)
    victim_identified = models.BooleanField(null=True, blank=True)
    offender_identified = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was withdrawn or retracted.")
    retraction_reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"], name="submission_org_status"),
            models.Index(fields=["status", "created_at"], name="submission_status_created"),
            # The review queue's order over pending items only: a queue page or a capped count reads
            # its first rows in order and stops (README, "The review queue at depth").
            models.Index(fields=["created_at", "id"], condition=models.Q(status="pending"),
                         name="submission_pending_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(required_agreements__gte=3), name="submission_required_agreements_min_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.media_type} item {self.pk} ({self.status})"


class Signature(models.Model):
    """One hash of an item. `active` is true while the item is pending or approved, and a partial
    unique index on (algorithm, value_digest) where active makes duplicates impossible, even
    between simultaneous submissions."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="signatures")
    algorithm = models.CharField(max_length=16)
    value = models.TextField()
    # SHA-256 of the value: a fixed-size key for lookups and uniqueness (vPDQ values can be long).
    value_digest = models.CharField(max_length=64)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["submission", "algorithm"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "algorithm"], name="signature_one_per_algorithm"),
            models.UniqueConstraint(
                fields=["algorithm", "value_digest"], condition=models.Q(active=True),
                name="signature_unique_active_value",
            ),
        ]
        indexes = [models.Index(fields=["algorithm", "value_digest"], name="signature_lookup")]

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.value[:16]}"

