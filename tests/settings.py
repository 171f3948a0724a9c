"""Test settings: the real settings module, with the test environment's defaults.

`make test` sets the same values; these defaults let a plain `pytest` run too.
"""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/baseline")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")


def _test_signing_key() -> str:
    """A throwaway Ed25519 key for the suite, kept under var/ (never used outside tests)."""
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(__file__).resolve().parent.parent / "var" / "test-signing-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    return str(path)


os.environ.setdefault("BASELINE_SIGNING_KEY_FILE", _test_signing_key())
os.environ.setdefault("BASELINE_EXPORT_ROOT", "/tmp/baseline-test-exports")
os.environ.setdefault("BASELINE_MATCH_INDEX_DIR", "/tmp/baseline-test-match-index")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
