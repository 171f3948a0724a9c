from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from accounts.services import organisation_create
from core.actors import Operator
from core.errors import DomainError


class Command(BaseCommand):
    help = "Create an organisation."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code, e.g. FR")
        parser.add_argument("--kind", required=True, choices=Organisation.Kind.values)

    def handle(self, *args, name, country, kind, **options):
        try:
            org = organisation_create(actor=Operator.current(), name=name, country=country, kind=kind)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Created organisation {org.name} ({org.country}, {org.kind}), id {org.pk}.")
