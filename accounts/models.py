from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.countries import COUNTRIES


def validate_country(value: str) -> None:
    if value not in COUNTRIES:
        raise ValidationError(f"{value!r} is not an ISO 3166-1 alpha-2 country code.")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
        HOTLINE = "hotline", "Hotline"
        PARTNER = "partner", "Partner"
        SECRETARIAT = "secretariat", "Secretariat"

    name = models.CharField(max_length=200, unique=True)
    country = models.CharField(max_length=2, validators=[validate_country])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The organisation's members as a group, so django-guardian can hold its object grants (feeds).
    group = models.OneToOneField(Group, on_delete=models.PROTECT, null=True, editable=False, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["law_enforcement", "hotline", "partner", "secretariat"]),
                name="organisation_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class Role(models.TextChoices):
    INVESTIGATOR = "investigator", "Investigator"
    REVIEWER = "reviewer", "Reviewer"
    CURATOR = "curator", "Curator"
    PARTNER = "partner", "Partner"
    ADMINISTRATOR = "administrator", "Administrator"


class User(AbstractUser):
    """Every user belongs to one organisation; roles are RoleGrant rows, changed only by services."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="members", null=True, blank=False
    )
    # Opt-in: the service runs on closed networks where mail may not exist.
    email_digest = models.BooleanField(
        default=False, help_text="Send at most one email an hour when the review queue has new items."
    )
    # Set while the password is one somebody else saw (a generated one-time password): every
    # interactive page but sign-out, two-factor and the password page itself sends the user to change it.
    must_change_password = models.BooleanField(
        default=False, help_text="The user must choose a new password before using the site."
    )

    # Raised to end every session of the user at once (deactivation of the user or of their
    # organisation): it is part of the session's auth hash, so older sessions no longer match.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    def __str__(self) -> str:
        return self.username

    def _get_session_auth_hash(self, secret=None):
        """Django's hash of the password field (which ends sessions on a password change), with the
        session epoch mixed in; `get_session_auth_hash` and its key fallbacks call this."""
        return salted_hmac("accounts.User.get_session_auth_hash", f"{self.password}:{self.session_epoch}",
                           secret=secret, algorithm="sha256").hexdigest()


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="rolegrant_unique_user_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the key is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="The key's first characters, to recognise it.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
