"""Demo data for `make run`: a living system with organisations of every kind, one user per role,
items in every state, ten weeks of history and several published releases. Development only;
running it again changes nothing."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Role, User
from accounts.services import organisation_create, user_create
from core.actors import Operator
from curation.models import FeedName, Release, Submission
from curation.releases.build import release_build
from curation.releases.services import feed_grant, release_request
from curation.reviews.services import review_record
from curation.submissions.services import ItemInput, item_retract, submission_create, submission_withdraw

DEMO_PASSWORD = "baseline-demo"  # noqa: S105 - development-only demo accounts
YES = {"real_child": True, "under_13": True, "sexual_abuse": True}
NOT_UNDER_13 = {"real_child": True, "under_13": False, "sexual_abuse": True}
# Agreeing reviewers always come from at least two organisations (reviewer1 and reviewer4 share one).
TRIPLES = [("reviewer1", "reviewer2", "reviewer3"), ("reviewer2", "reviewer3", "reviewer4"),
           ("reviewer3", "reviewer4", "reviewer1"), ("reviewer4", "reviewer2", "reviewer1")]

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
                    organisation_create(actor=Operator.current(), name=name, country=country, kind=kind)
            for username, org_name, roles in USERS:
                if not User.objects.filter(username=username).exists():
                    user_create(actor=Operator.current(), username=username,
                                organisation=Organisation.objects.get(name=org_name),
                                roles=roles, password=DEMO_PASSWORD, email=f"{username}@example.org")
        if not Submission.objects.exists():
            self.seed_items()
        self.stdout.write(f"Demo users (password for each: {DEMO_PASSWORD}):")
        for username, org_name, roles in USERS:
            self.stdout.write(f"  {username:<13} {', '.join(roles):<14} {org_name}")

    def submit(self, n: int, note: str) -> Submission:
        return submission_create(actor=User.objects.get(username="investigator"), item=ItemInput(
            media_type="image", signatures=synthetic(n), external_reference=f"DEMO-ICSE-{n:04d}", note=note))

    def review(self, item: Submission, *usernames: str, answers=YES) -> None:
        for username in usernames:
            review_record(actor=User.objects.get(username=username), item=item, answers=dict(answers))

    def seed_items(self) -> None:
        """Ten weeks of history, told in order on a demo clock (freezegun, a development
        dependency) so items, reviews, releases and the audit log all carry the same dates and
        the chain stays in time order. Every change still goes through the services."""
        from freezegun import freeze_time

        start = timezone.now() - timedelta(weeks=10)
        curator = User.objects.get(username="curator")
        investigator = User.objects.get(username="investigator")
        counter = iter(range(1, 1000))
        listed = []
        for week in range(10):
            for k in range(2 + week % 3):  # two to four new items a week
                n = next(counter)
                submitted = start + timedelta(weeks=week, days=k, hours=9 + k)
                with freeze_time(submitted):
                    item = self.submit(n, "Synthetic demo item.")
                triple = TRIPLES[n % len(TRIPLES)]
                for i, reviewer in enumerate(triple):
                    # Reviews arrive hours to days apart, so the median time to decision varies.
                    # ...but before the week's release day, so nothing is dated after "now".
                    reviewed = min(submitted + timedelta(hours=(6 + 11 * (n % 5)) * (i + 1)),
                                   start + timedelta(weeks=week, days=6, hours=9))
                    with freeze_time(reviewed):
                        if n % 7 == 3 and i == 1:
                            self.review(item, reviewer, answers=NOT_UNDER_13)  # unanimity: one "no" rejects
                            break
                        self.review(item, reviewer)
                item.refresh_from_db()
                if item.status == Submission.Status.APPROVED:
                    listed.append(item)
            if week == 5 and len(listed) > 2:
                with freeze_time(start + timedelta(weeks=week, days=5, hours=15)):
                    item_retract(actor=curator, item=listed[2],
                                          reason="Demo: the hash was of a different file.")
            if week in (3, 6, 9):
                with freeze_time(start + timedelta(weeks=week, days=6, hours=10)):
                    self.publish(curator, f"Demo release for week {week + 1}")
        now = timezone.now()
        with freeze_time(now - timedelta(days=2)):
            withdrawn = self.submit(next(counter), "Synthetic demo item, withdrawn by its submitter.")
            submission_withdraw(actor=investigator, item=withdrawn)
        # Approved since the last release: waiting for the next one.
        with freeze_time(now - timedelta(days=1, hours=6)):
            fresh = self.submit(next(counter), "Synthetic demo item, approved after the last release.")
        for i, reviewer in enumerate(("reviewer1", "reviewer2", "reviewer3")):
            with freeze_time(now - timedelta(hours=20 - 6 * i)):
                self.review(fresh, reviewer)
        # Waiting for review: some untouched, one with a review already (blind to everyone else).
        waiting = []
        for hours in (30, 20, 8, 3, 1):
            with freeze_time(now - timedelta(hours=hours)):
                waiting.append(self.submit(next(counter), "Synthetic demo item waiting for review."))
        with freeze_time(now - timedelta(minutes=30)):
            self.review(waiting[0], "reviewer2")
        feed_grant(actor=Operator.current(), organisation=Organisation.objects.get(name="Example Networks"),
                            feed_name=FeedName.STANDARD)

    def publish(self, curator: User, note: str) -> None:
        release = release_request(actor=curator, note=note)
        if Release.objects.get(pk=release.pk).status == Release.Status.BUILDING:
            release_build(release.pk)  # tasks run in process; build now if not yet built
