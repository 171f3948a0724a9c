"""Every way a client command can fail, each with its own exit status (README "Partner client")."""

from __future__ import annotations

OK = 0
SERVER = 1  # the service could not be reached, or answered with an error
USAGE = 2  # a bad argument, or an input that cannot be read
FROZEN = 3  # the newest verified release is older than --max-age
SIGNATURE = 4  # a manifest's signature does not verify with the pinned key
CHAIN = 5  # a manifest does not chain to the one before it
ROLLBACK = 6  # the service offers a lower version than the mirror holds
FILE = 7  # a file's size or SHA-256 differs from its signed manifest
UNTRUSTED = 8  # no key to verify with: --public-key, or --trust-server-key on first use
MEDIA = 9  # `baseline hash`: a file could not be hashed (unreadable, not media, corrupt)

NAMES = {SERVER: "server", USAGE: "usage", FROZEN: "frozen feed", SIGNATURE: "signature", CHAIN: "chain",
         ROLLBACK: "rollback", FILE: "file", UNTRUSTED: "no trusted key", MEDIA: "media"}


class Failure(Exception):
    """Ends a command with `status` and a message for the operator."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
