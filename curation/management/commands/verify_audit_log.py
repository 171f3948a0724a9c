import sys

from django.core.management.base import BaseCommand

from core import audit
from curation.releases.selectors import unanchored_release_heads


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 naming the first broken entry."

    def handle(self, *args, **options):
        count, broken = audit.verify()
        if broken is not None:
            self.stderr.write(f"Audit log broken at entry #{broken.seq} (id {broken.entry_id}): {broken.reason}.")
            sys.exit(1)
        missing = unanchored_release_heads()
        if missing:
            # The chain is self-consistent but was rewritten: signed manifests remember other heads.
            self.stderr.write("Audit log rewritten: the audit_head signed into release(s) "
                              f"{', '.join(map(str, missing))} is no longer in the chain.")
            sys.exit(1)
        self.stdout.write(f"Audit log intact: {count} entries verified.")
