from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from core.actors import Operator
from core.errors import DomainError
from curation.releases.services import feed_grant


class Command(BaseCommand):
    help = "Entitle a partner organisation to a feed (standard or photodna); --revoke takes it back."

    def add_arguments(self, parser):
        parser.add_argument("organisation")
        parser.add_argument("feed")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args, organisation, feed, revoke, **options):
        org = Organisation.objects.filter(name=organisation).first()
        if org is None:
            raise CommandError(f"No organisation named {organisation!r}.")
        try:
            feed_grant(actor=Operator.current(), organisation=org, feed_name=feed, revoke=revoke)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{org.name}: {'revoked' if revoke else 'granted'} the {feed} feed.")
