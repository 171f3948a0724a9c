"""Criteria sets: the versioned questions every review answers."""

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

