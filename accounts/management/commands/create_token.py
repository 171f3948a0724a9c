from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import token_create
from core.actors import Operator
from core.errors import DomainError


class Command(BaseCommand):
    help = "Create an API token for a user. The key is printed alone on the last line, once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None, help="lifetime in days (default 90)")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, username, days, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            token, key = token_create(actor=Operator.current(), user=user, name=name, days=days)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Token {token.prefix}… for {user.username}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC.")
        self.stdout.write(key)
