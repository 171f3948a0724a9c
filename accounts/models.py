from __future__ import annotations

from datetime import timedelta

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
    # Who asked for the account (the requester of an approved request; None: the operator). Such a
    # person may never approve the requests of the one who created them (two-person rule).
    created_by = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, editable=False,
                                   related_name="+")

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
    # The second administrator who approved the grant (two-person rule); None for the operator's
    # grants (granted_by None too) and for roles that need no second person.
    approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

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


REQUEST_LIFETIME_DAYS = 7


def _request_expiry():
    return timezone.now() + timedelta(days=REQUEST_LIFETIME_DAYS)


class RoleRequest(models.Model):
    """A two-person act (DESIGN.md section 3) asked for by one administrator, performed only when an
    eligible administrator of another organisation approves it (accounts/requests.py)."""

    class Kind(models.TextChoices):
        ORGANISATION_CREATE = "organisation_create", "Create an organisation"
        USER_CREATE = "user_create", "Create an account"
        ROLE_GRANT = "role_grant", "Grant a role"
        PASSWORD_ISSUE = "password_issue", "Issue a one-time password"
        MFA_RESET = "mfa_reset", "Reset the second factor"
        CRITERIA_PUBLISH = "criteria_publish", "Publish a criteria set"  # performed by curation (registered)

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"
        EXPIRED = "expired", "Expired"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    payload = models.JSONField(default=dict)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_request_expiry)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_by__isnull=True)
                | models.Q(status="expired") | models.Q(decided_by__isnull=False),
                name="rolerequest_decided_has_decider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.EXPIRED or (
            self.status == self.Status.PENDING and self.expires_at <= timezone.now())

    @property
    def shown_status(self) -> str:
        return self.Status.EXPIRED if self.is_expired else self.status


class OperatorActAcknowledgement(models.Model):
    """A second administrator has seen an act the operator performed from the command line (an
    audit entry by `operator`); until then the act is listed on the requests page."""

    entry = models.OneToOneField("core.AuditEntry", on_delete=models.PROTECT, related_name="+")
    acknowledged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"audit entry {self.entry_id} acknowledged by {self.acknowledged_by}"
