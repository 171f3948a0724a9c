"""Demo data for `make run`: organisations of every kind, one user per role. Development only."""

import hashlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Organisation, Role, User
from accounts.services import organisation_create, user_create
from curation import services
from curation.models import Submission

DEMO_PASSWORD = "baseline-demo"  # noqa: S105 - development-only demo accounts

ORGANISATIONS = [
    ("Baseline Secretariat", "FR", Organisation.Kind.SECRETARIAT),
    ("Northshire Police", "GB", Organisation.Kind.LAW_ENFORCEMENT),
    ("Rhineland Investigations", "DE", Organisation.Kind.LAW_ENFORCEMENT),
    ("Maple Child Protection Unit", "CA", Organisation.Kind.LAW_ENFORCEMENT),
    ("SafeLine Hotline", "NL", Organisation.Kind.HOTLINE),
    ("Example Networks", "SE", Organisation.Kind.PARTNER),
]

USERS = [
    ("investigator", "Northshire Police", [Role.INVESTIGATOR]),
    ("reviewer1", "Rhineland Investigations", [Role.REVIEWER]),
    ("reviewer2", "Maple Child Protection Unit", [Role.REVIEWER]),
    ("reviewer3", "SafeLine Hotline", [Role.REVIEWER]),
    ("reviewer4", "Rhineland Investigations", [Role.REVIEWER]),
    ("curator", "Baseline Secretariat", [Role.CURATOR]),
    ("partner", "Example Networks", [Role.PARTNER]),
    ("admin", "Baseline Secretariat", [Role.ADMINISTRATOR]),
]


class Command(BaseCommand):
    help = "Fill a development database with demo organisations and users (DEBUG=true only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo runs only in development (DEBUG=true).")
        with transaction.atomic():
            for name, country, kind in ORGANISATIONS:
                if not Organisation.objects.filter(name=name).exists():
                    organisation_create(actor=None, name=name, country=country, kind=kind)
            for username, org_name, roles in USERS:
                if not User.objects.filter(username=username).exists():
                    org = Organisation.objects.get(name=org_name)
                    user_create(
                        actor=None, username=username, organisation=org, roles=roles, password=DEMO_PASSWORD
                    )
            if not Submission.objects.exists():
                self.seed_items()
        self.stdout.write(f"Demo users (password for each: {DEMO_PASSWORD}):")
        for username, org_name, roles in USERS:
            self.stdout.write(f"  {username:<13} {', '.join(roles):<14} {org_name}")

    def seed_items(self) -> None:
        """A few pending items with synthetic signatures, so reviewers have a queue."""
        investigator = User.objects.get(username="investigator")
        for n in range(1, 6):
            seed = f"baseline-demo-item-{n}".encode()
            signatures = [
                {"algorithm": "md5", "value": hashlib.md5(seed).hexdigest()},  # noqa: S324 - synthetic
                {"algorithm": "sha256", "value": hashlib.sha256(seed).hexdigest()},
            ]
            services.submission_create(actor=investigator, item=services.ItemInput(
                media_type="image", signatures=signatures, external_reference=f"DEMO-ICSE-{n:04d}",
                note="Synthetic demo item: these hashes belong to no material.",
            ))
