import time

from django.core.management.base import BaseCommand, CommandError

from core.actors import Operator
from core.errors import DomainError
from curation.models import Release
from curation.releases.services import release_request
from curation.tasks import release_build


class Command(BaseCommand):
    help = "Request the next Baseline release (as the operator). With --wait, wait until it is built."

    def add_arguments(self, parser):
        parser.add_argument("--note", default="")
        parser.add_argument("--wait", action="store_true", help="wait for the build and report its outcome")
        parser.add_argument("--resume", action="store_true",
                            help="queue the build of the release now building again (its task was lost); the new "
                                 "run takes the build over and any older run still going stops at its next step")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait with --wait")

    def handle(self, *args, note, wait, resume, timeout, **options):
        if resume:
            release = Release.objects.filter(status=Release.Status.BUILDING).first()
            if release is None:
                raise CommandError("No release is building.")
            # Safe even if the first run is alive: each run is an attempt that takes the build over,
            # and only the newest attempt may write or publish (curation/releases/build.py).
            release_build.delay(release.pk)
            self.stdout.write(f"Release {release.version}: build queued again.")
        else:
            try:
                release = release_request(actor=Operator.current(), note=note)
            except DomainError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(f"Release {release.version} requested.")
        if wait:
            self.wait_for(release, timeout)

    def wait_for(self, release: Release, timeout: int) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            release.refresh_from_db()
            if release.status == Release.Status.PUBLISHED:
                self.stdout.write(f"Release {release.version} published: {release.item_count} items, "
                                  f"{release.added} added, {release.removed} removed.")
                return
            if release.status == Release.Status.FAILED:
                raise CommandError(f"Release {release.version} failed: {release.error}")
            time.sleep(1)  # polling a status a person is waiting on; not in tests
        raise CommandError(f"Release {release.version} is still building after {timeout} s.")
