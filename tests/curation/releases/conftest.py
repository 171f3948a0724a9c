"""Fixtures of the release tests: a real S3-compatible server and a bucket on it (tests/object_storage.py)."""

from tests.object_storage import moto_server, s3_exports  # noqa: F401 (fixtures)
