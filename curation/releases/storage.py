"""The export storage release files live in (Django's storage API: a directory, or object storage
every host shares), streaming a file into it with its size and SHA-256, and the presigned URL a
download from object storage is sent to."""

from __future__ import annotations

import hashlib
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.utils.http import content_disposition_header

SPOOL_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Stored:
    path: str  # the name the export storage gave the file
    size: int
    sha256: str


def export_storage():
    return storages["exports"]


def write_stream(path: str, chunks: Iterable[bytes]) -> Stored:
    """Stream chunks into the export storage as a new file named like `path`. Memory stays flat.

    Nothing is ever overwritten or deleted here: should the name be taken, the storage picks
    another, and the returned `path` is the name it chose."""
    digest, size = hashlib.sha256(), 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            spool.write(chunk)
        spool.seek(0)
        saved = export_storage().save(path, File(spool, name=path))
    return Stored(path=saved, size=size, sha256=digest.hexdigest())


def open_file(path: str):
    return export_storage().open(path, "rb")


def chunks_of(handle, size: int = 64 * 1024) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk


def is_object_storage(storage=None) -> bool:
    """Whether the export storage is django-storages' S3Storage (or a subclass): one that hands out
    presigned URLs, so downloads are redirected there and the bytes never pass through us."""
    storage = export_storage() if storage is None else storage
    # An S3Storage was made from that module, so if it was never imported this is not one; the
    # file system's processes need not import boto3 to find out.
    s3 = sys.modules.get("storages.backends.s3")
    return s3 is not None and isinstance(storage, s3.S3Storage)


def download_url(path: str, *, name: str, content_type: str) -> str:
    """A presigned GET URL for `path` that expires after BASELINE_DOWNLOAD_URL_SECONDS, answered
    with the release file's type and as an attachment saved under `name`."""
    parameters = {
        "ResponseContentDisposition": content_disposition_header(True, name),
        "ResponseContentType": content_type,
    }
    return export_storage().url(path, parameters=parameters, expire=settings.BASELINE_DOWNLOAD_URL_SECONDS)
