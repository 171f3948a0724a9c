"""Feeds, signing keys, releases, their membership, files, deltas and downloads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from curation.models.submissions import Submission


class FeedName(models.TextChoices):
    """The feeds (DESIGN.md section 3): which release files a partner organisation may fetch."""

    STANDARD = "standard", "Standard"  # every format without PhotoDNA
    PHOTODNA = "photodna", "PhotoDNA"  # the photodna and vics files, for PhotoDNA licensees


class Feed(models.Model):
    """A set of release files a partner organisation may be entitled to (django-guardian grants)."""

    STANDARD, PHOTODNA = FeedName.STANDARD, FeedName.PHOTODNA

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


BASELINE_LIST = "baseline"


class Release(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"

    # Versions run 1, 2, 3… per list; one build at a time per list (DESIGN.md section 5).
    list = models.CharField(max_length=20, default=BASELINE_LIST)
    version = models.PositiveIntegerField()
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
    # The matching index of this version (curation/matching/index.py), written beside its files.
    match_index_path = models.CharField(max_length=300, blank=True)
    match_index_sha256 = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # the newest attempt owns the build (releases.py)
    progress = models.CharField(max_length=100, blank=True, help_text="The build step under way.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["list", "version"], name="release_unique_list_version"),
            # One build at a time per list, enforced by the database.
            models.UniqueConstraint(
                fields=["list"], condition=models.Q(status="building"), name="release_one_building_per_list"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="release_version_positive"),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.status})"

    def listings(self) -> ListingQuerySet:
        """The stays this release holds (its membership)."""
        return Listing.objects.members(self.version, self.list)


class BuildHeartbeat(models.Model):
    """The newest sign of life of a release's build: which attempt, and when. Kept apart from the
    release's row, which a build holds locked for minutes at a time (the snapshot), so beating
    never waits on the build and the watchdog never mistakes a long step for a dead worker."""

    release_id = models.BigIntegerField(primary_key=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"release {self.release_id} attempt {self.attempt} at {self.beat_at:%H:%M:%S}"


class ListingQuerySet(models.QuerySet):
    def members(self, version: int, list_name: str = BASELINE_LIST) -> ListingQuerySet:
        """The listings release `version` of the list holds: entered at or before it, not left by it."""
        return self.filter(list=list_name, entered_version__lte=version).filter(
            models.Q(left_version__isnull=True) | models.Q(left_version__gt=version))


class Listing(models.Model):
    """An item's stay on a list: recorded once, with the version it entered and the version it left
    (empty while it is listed), never copied per release (DESIGN.md section 5). Release V holds the
    listings with `entered_version <= V < left_version`. An item that leaves and comes back has a
    second listing; `added_in_version` is what the files print (the start of the current stay).

    Once published, only `left_version` may change, from empty to the version being built, inside
    that build (PostgreSQL triggers, migration 0013)."""

    list = models.CharField(max_length=20, default=BASELINE_LIST)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    entered_version = models.PositiveIntegerField()
    left_version = models.PositiveIntegerField(null=True, blank=True)
    added_in_version = models.PositiveIntegerField()

    objects = ListingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["list", "submission"], condition=models.Q(left_version__isnull=True),
                                    name="listing_one_open_per_item"),
            models.UniqueConstraint(fields=["list", "submission", "entered_version"], name="listing_unique_entry"),
            models.CheckConstraint(condition=models.Q(left_version__isnull=True)
                                   | models.Q(left_version__gt=models.F("entered_version")),
                                   name="listing_leaves_after_entering"),
        ]
        indexes = [
            models.Index(fields=["list", "entered_version"], name="listing_entered"),
            models.Index(fields=["list", "left_version"], name="listing_left"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} in {self.list} v{self.entered_version}–{self.left_version or ''}"


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
