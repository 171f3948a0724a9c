"""A scratch PostgreSQL database beside the test database, for tests that run the service's own
processes (`manage.py`, gunicorn, Celery) against a database of their own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit

import psycopg
from django.db import connection


def database_url(name: str) -> str:
    """The test database's server (its password too: CI's cluster asks for one over TCP), database `name`."""
    db = connection.settings_dict
    who = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{who}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """Create database `name` empty (dropping any left over), yield its URL, drop it afterwards."""
    url = database_url(name)
    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def signing_key_file(path):
    """A fresh Ed25519 private key at `path` (PEM, mode 0600), as BASELINE_SIGNING_KEY_FILE wants."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    path.chmod(0o600)
    return path
