from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation, Role
from accounts.services import new_one_time_password, user_create
from core.actors import Operator
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create a user in an organisation with one or more roles, and print a one-time password "
        "that the user must replace at their first sign-in."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--organisation", required=True, help="the organisation's name")
        parser.add_argument("--role", action="append", required=True, choices=Role.values, dest="roles")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, organisation, roles, email, **options):
        org = Organisation.objects.filter(name=organisation).first()
        if org is None:
            raise CommandError(f"No organisation named {organisation!r}.")
        password = new_one_time_password()
        try:
            user = user_create(
                actor=Operator.current(), username=username, organisation=org, roles=roles, email=email,
                password=password,
                must_change_password=True,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        roles = list(dict.fromkeys(roles))
        self.stdout.write(f"Created user {user.username} in {org.name} with roles {', '.join(roles)}.")
        self.stdout.write("They must choose a new password when they first sign in.")
        self.stdout.write(f"Password (shown once): {password}")
