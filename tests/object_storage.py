"""A real S3-compatible server for the object-storage tests: moto's `moto_server` (a pinned dev
dependency) run from this virtualenv as a separate process on a free port. Nothing of boto3 is
mocked: django-storages talks to it over HTTP as it would to any S3-compatible store.

The fixtures are imported by the conftest.py of the tests that use them (tests/curation/releases,
tests/e2e)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.export_storage import S3, exports_storage

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "baseline-test", "AWS_SECRET_ACCESS_KEY": "baseline-test-secret"}
REGION = "eu-west-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answering(endpoint: str, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310 (our http:// endpoint)
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer at {endpoint} within {seconds} s")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL of a moto S3 server started for this test session, stopped after it."""
    executable = Path(sys.executable).with_name("moto_server")
    port = _free_port()
    process = subprocess.Popen([str(executable), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(endpoint, process)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    name: str

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def stored(self) -> list[str]:
        """Every key in the bucket."""
        listing = self.client().list_objects_v2(Bucket=self.name)
        return sorted(entry["Key"] for entry in listing.get("Contents", []))


@pytest.fixture
def s3_exports(moto_server, settings, monkeypatch, export_storage) -> Bucket:
    """The `exports` storage pointed at a new bucket on the moto server, configured from the same
    AWS_* variables production reads (config/export_storage.py), as BASELINE_EXPORT_STORAGE=S3Storage
    would. Overriding STORAGES resets Django's storage cache (its setting_changed receiver), so
    `storages["exports"]` is built anew, here and when the override is undone."""
    bucket = Bucket(endpoint=moto_server, name=f"baseline-{uuid.uuid4().hex[:16]}")
    for name, value in {**CREDENTIALS, "AWS_STORAGE_BUCKET_NAME": bucket.name, "AWS_S3_ENDPOINT_URL": moto_server,
                        "AWS_S3_REGION_NAME": REGION, "AWS_S3_ADDRESSING_STYLE": "path"}.items():
        monkeypatch.setenv(name, value)
    bucket.client().create_bucket(Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.STORAGES = {**settings.STORAGES, "exports": exports_storage(
        S3, root=export_storage, url_seconds=settings.BASELINE_DOWNLOAD_URL_SECONDS)}
    return bucket
