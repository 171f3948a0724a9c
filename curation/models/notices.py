"""In-app notices and the review-queue email digest state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from curation.models.submissions import Submission


class Notice(models.Model):
    """An in-app notification. Written only about decided items, so it can never reveal a vote."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, null=True, related_name="+")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_unread")]

    def __str__(self) -> str:
        return self.message


class DigestState(models.Model):
    """When a reviewer's last review-queue email went out, and whether one is scheduled."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"digest state of {self.user_id}"

