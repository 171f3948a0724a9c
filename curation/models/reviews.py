"""Reviews and recusals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from curation.models.submissions import Submission


class Review(models.Model):
    """One reviewer's judgement of one item. Invisible to everyone while the item is pending."""

    class Verdict(models.TextChoices):
        AGREE = "agree", "Meets the criteria"
        DISAGREE = "disagree", "Does not meet the criteria"

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    answers = models.JSONField()
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "reviewer"], name="review_one_per_reviewer"),
        ]

    def __str__(self) -> str:
        return f"review of {self.submission_id} by {self.reviewer_id}"


class Recusal(models.Model):
    """A reviewer steps aside from an item. Never counted as a "no"."""

    class Reason(models.TextChoices):
        CONFLICT_OF_INTEREST = "conflict_of_interest", "Conflict of interest"
        CANNOT_ACCESS_MATERIAL = "cannot_access_material", "Cannot access the material"
        OTHER = "other", "Other"

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="recusals")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "reviewer"], name="recusal_one_per_reviewer"),
        ]

    def __str__(self) -> str:
        return f"recusal from {self.submission_id} by {self.reviewer_id}"

