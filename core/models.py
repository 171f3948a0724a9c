"""The hash-chained audit log's rows. They moved here from the curation app; their tables keep
the names they were created with (`curation_audithead`, `curation_auditentry`), so the chain and
its append-only trigger are untouched (migration core 0001 is state-only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditHead(models.Model):
    """The single row that serialises appends to the audit chain (locked by every writer)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        db_table = "curation_audithead"

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
        db_table = "curation_auditentry"
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        # The audit page finds an item's history by its short id: a prefix, which PostgreSQL's
        # default btree cannot search outside the C locale (opclasses are ignored elsewhere).
        indexes = [models.Index(fields=["object_id"], opclasses=["varchar_pattern_ops"],
                                name="core_audit_object_id_prefix")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

