"""Who acts, when it is not a signed-in person.

Every service takes an explicit `actor`. People are `accounts.User` rows and their roles decide
what they may do (the permissions modules). Two other actors exist and are named, never implied:
`SYSTEM`, the service's own work (a decision the rules reach, a release build, a sign-in
attempt nobody is signed in for), and an `Operator`, whoever runs a management command on a
server (and so holds the database anyway). Passing `None` is refused by the permission rules, so
forgetting an actor can never skip a check.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    """The service itself. It has no id, name or organisation in the audit log."""

    name: str = "system"
    pk = None
    organisation_id = None
    is_authenticated = False
    is_active = False


@dataclass(frozen=True)
class Operator:
    """The servers' operator at the command line: the OS user and host the command ran as."""

    os_user: str
    host: str
    pk = None
    organisation_id = None
    is_authenticated = False
    is_active = False

    @classmethod
    def current(cls) -> Operator:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container)
            user = "unknown"
        return cls(os_user=user, host=socket.gethostname())


SYSTEM = SystemActor()


def acts_beyond_roles(actor) -> bool:
    """The system and the operator are not bound by roles (the operator holds the host)."""
    return isinstance(actor, SystemActor | Operator)


def person(actor):
    """The user behind `actor`, for "created by" columns; None for the system or the operator."""
    return None if acts_beyond_roles(actor) else actor
