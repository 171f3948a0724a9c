import secrets

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation, Role
from accounts.services import user_create
from curation.errors import CurationError


class Command(BaseCommand):
    help = "Create a user in an organisation with one or more roles, and print a one-time password."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--organisation", required=True, help="the organisation's name")
        parser.add_argument("--role", action="append", required=True, choices=Role.values, dest="roles")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, organisation, roles, email, **options):
        org = Organisation.objects.filter(name=organisation).first()
        if org is None:
            raise CommandError(f"No organisation named {organisation!r}.")
        password = secrets.token_urlsafe(12)
        try:
            user = user_create(
                actor=None, username=username, organisation=org, roles=roles, email=email, password=password
            )
        except CurationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Created user {user.username} in {org.name} with roles {', '.join(roles)}.")
        self.stdout.write(f"Password (shown once): {password}")
