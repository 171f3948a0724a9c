from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts import services
from accounts.models import ApiToken
from accounts.tokens import digest
from core.actors import SYSTEM

# Recording every use would write on every request; once a minute is precise enough.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` against the digests of personal API tokens."""

    keyword = "Token"
    # OAuth habits send `Bearer <key>`; say which scheme works rather than "credentials not provided".
    WRONG_SCHEME = "Use 'Authorization: Token <key>'; the Bearer scheme is not accepted."

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == b"bearer":
            raise exceptions.AuthenticationFailed(self.WRONG_SCHEME, code="wrong_scheme")
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: expected 'Token <key>'.")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return self.authenticate_key(key)

    def authenticate_key(self, key: str):
        token = (
            ApiToken.objects.select_related("user", "user__organisation")
            .filter(digest=digest(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Token revoked.")
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("Token expired.")
        user = token.user
        if not user.is_active or user.organisation is None or not user.organisation.is_active:
            raise exceptions.AuthenticationFailed("User inactive.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            services.token_mark_used(actor=SYSTEM, token=token, now=now)
        return user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
