from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class CriteriaSet(models.Model):
    """A versioned set of severity criteria. An item keeps the version it was submitted under."""

    version = models.PositiveIntegerField(unique=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="criteriaset_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"Criteria v{self.version}"


class Criterion(models.Model):
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="criteria")
    key = models.SlugField(max_length=50)
    question = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["criteria_set", "position"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "key"], name="criterion_unique_key"),
        ]

    def __str__(self) -> str:
        return self.key


class AuditHead(models.Model):
    """The single row that serialises appends to the audit chain (locked by every writer)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class AuditEntry(models.Model):
    """An append-only, hash-chained record of a state change (DESIGN.md invariant 6)."""

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, db_index=True)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
