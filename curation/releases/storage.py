"""The export storage release files live in (Django's storage API: a directory, or object storage
every host shares), and streaming a file into it with its size and SHA-256."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.files import File
from django.core.files.storage import storages

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
