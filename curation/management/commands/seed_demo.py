"""Demo data for `make run`: a living system with organisations of every kind, one user per role,
items in every state and published releases. Development only; running it again changes nothing."""

import hashlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Organisation, Role, User
from accounts.services import organisation_create, user_create
from curation import releases, services
from curation.models import Release, Submission

DEMO_PASSWORD = "baseline-demo"  # noqa: S105 - development-only demo accounts
YES = {"real_child": True, "under_13": True, "sexual_abuse": True}
NOT_UNDER_13 = {"real_child": True, "under_13": False, "sexual_abuse": True}

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


def synthetic(n: int) -> list[dict]:
    """Signatures of no material at all: hashes of a counter."""
    seed = f"baseline-demo-item-{n}".encode()
    return [{"algorithm": "md5", "value": hashlib.md5(seed).hexdigest()},  # noqa: S324 - synthetic
            {"algorithm": "sha1", "value": hashlib.sha1(seed).hexdigest()},  # noqa: S324
            {"algorithm": "sha256", "value": hashlib.sha256(seed).hexdigest()},
            {"algorithm": "pdq", "value": hashlib.sha256(b"pdq" + seed).hexdigest(), "quality": 92}]


class Command(BaseCommand):
    help = "Fill a development database with demo data (DEBUG=true only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo runs only in development (DEBUG=true).")
        with transaction.atomic():
            for name, country, kind in ORGANISATIONS:
                if not Organisation.objects.filter(name=name).exists():
                    organisation_create(actor=None, name=name, country=country, kind=kind)
            for username, org_name, roles in USERS:
                if not User.objects.filter(username=username).exists():
                    user_create(actor=None, username=username, organisation=Organisation.objects.get(name=org_name),
                                roles=roles, password=DEMO_PASSWORD, email=f"{username}@example.org")
        if not Submission.objects.exists():
            self.seed_items()
        self.stdout.write(f"Demo users (password for each: {DEMO_PASSWORD}):")
        for username, org_name, roles in USERS:
            self.stdout.write(f"  {username:<13} {', '.join(roles):<14} {org_name}")

    def submit(self, n: int, note: str) -> Submission:
        return services.submission_create(actor=User.objects.get(username="investigator"), item=services.ItemInput(
            media_type="image", signatures=synthetic(n), external_reference=f"DEMO-ICSE-{n:04d}", note=note))

    def review(self, item: Submission, *usernames: str, answers=YES) -> None:
        for username in usernames:
            services.review_record(actor=User.objects.get(username=username), item=item, answers=dict(answers))

    def seed_items(self) -> None:
        curator = User.objects.get(username="curator")
        # Release 1: three approved items.
        first = [self.submit(n, "Synthetic demo item.") for n in (1, 2, 3)]
        for item in first:
            self.review(item, "reviewer1", "reviewer2", "reviewer3")
        self.publish(curator, "First demo release")
        # Release 2: one retracted, two more approved, one rejected, one withdrawn.
        services.item_retract(actor=curator, item=first[2], reason="Demo: the hash was of a different file.")
        for n in (4, 5):
            self.review(self.submit(n, "Synthetic demo item."), "reviewer2", "reviewer3", "reviewer4")
        rejected = self.submit(6, "Synthetic demo item: reviewers judged it outside the criteria.")
        self.review(rejected, "reviewer1", answers=NOT_UNDER_13)
        withdrawn = self.submit(7, "Synthetic demo item, withdrawn by its submitter.")
        services.submission_withdraw(actor=User.objects.get(username="investigator"), item=withdrawn)
        self.publish(curator, "Second demo release")
        # Waiting for review: some untouched, one with a review already (blind to everyone else).
        for n in range(8, 13):
            self.submit(n, "Synthetic demo item waiting for review.")
        self.review(Submission.objects.get(external_reference="DEMO-ICSE-0008"), "reviewer2")
        services.feed_grant(actor=None, organisation=Organisation.objects.get(name="Example Networks"),
                            feed_name="standard")

    def publish(self, curator: User, note: str) -> None:
        release = releases.release_request(actor=curator, note=note)
        if Release.objects.get(pk=release.pk).status == Release.Status.BUILDING:
            releases.release_build(release.pk)  # tasks run in process; build now if not yet built
