from __future__ import annotations

import uuid

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


class MediaType(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"


class Submission(models.Model):
    """An item: one piece of known material, described by one or more signatures."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        RETRACTED = "retracted", "Retracted"

    # Statuses whose signatures block a resubmission of the same value.
    ACTIVE_STATUSES = (Status.PENDING, Status.APPROVED)

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
    # Optional VICS-compatible descriptors.
    series = models.CharField(max_length=200, blank=True)
    victim_identified = models.BooleanField(null=True, blank=True)
    offender_identified = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was withdrawn or retracted.")
    retraction_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"], name="submission_org_status"),
            models.Index(fields=["status", "created_at"], name="submission_status_created"),
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


class Feed(models.Model):
    """A set of release files a partner organisation may be entitled to (django-guardian grants)."""

    STANDARD, PHOTODNA = "standard", "photodna"

    name = models.CharField(max_length=20, unique=True)
    description = models.CharField(max_length=200)

    class Meta:
        permissions = [("download_feed", "Download the files of this feed")]

    def __str__(self) -> str:
        return self.name


class SigningKey(models.Model):
    """A public key releases were signed with. The private key lives only in its file."""

    key_id = models.CharField(max_length=16, unique=True)
    public_key = models.CharField(max_length=44, help_text="Raw 32-byte Ed25519 public key, base64.")
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="signingkey_one_active"),
        ]

    def __str__(self) -> str:
        return self.key_id


class Release(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    previous_version = models.PositiveIntegerField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    signature_counts = models.JSONField(default=dict)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    manifest = models.BinaryField(null=True, editable=False, help_text="The exact signed bytes.")
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    signature = models.CharField(max_length=100, blank=True)
    key_id = models.CharField(max_length=16, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # the newest attempt owns the build (releases.py)
    progress = models.CharField(max_length=100, blank=True, help_text="The build step under way.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            # One build at a time, enforced by the database.
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="building"), name="release_one_building"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="release_version_positive"),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.status})"


class ReleaseMember(models.Model):
    """The snapshot of approved items a release was rendered from: one row per item."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="members")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    added_in_version = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "submission"], name="releasemember_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} in {self.release_id}"


class ReleaseFile(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="files")
    format = models.CharField(max_length=20)
    feed = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    path = models.CharField(max_length=300, help_text="Name in the export storage.")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["release", "id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "format"], name="releasefile_unique_format"),
        ]

    def __str__(self) -> str:
        return self.name


class ReleaseDelta(models.Model):
    """A delta from an earlier published version, made on request and then kept."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="deltas")
    since_version = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    path = models.CharField(max_length=300)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "since_version"], name="releasedelta_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Download(models.Model):
    """Every download of release material (who, which release and file, when, from where)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, null=True, related_name="+")
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="downloads")
    file = models.CharField(max_length=40, help_text="A format, or manifest, signature, delta-since-M.")
    address = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.release_id} {self.file}"
