"""Answering a download of release material the caller may have (the views check that first):
304 when the client already holds the bytes, otherwise a logged download, either the bytes (the
whole file, or one byte range of it) or, from object storage, a redirect to a short-lived presigned
URL so the bytes never pass through the web processes (DESIGN.md section 14; README "Downloads").

Ranges (RFC 9110 section 14): one range, `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`, is
answered 206 with its Content-Range; a malformed one, or one that starts past the end, 416 with
`Content-Range: bytes */SIZE`. A request for several ranges gets the whole file (200), as the RFC
allows: resuming clients ask for one, and no multipart body is ever built. A Range in another unit
is ignored, as the RFC requires; so is every Range whose If-Range is not this file's ETag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from curation.models import Release
from curation.releases import services, storage

CONTENT_TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json", ".txt": "text/plain; charset=utf-8",
                 ".gz": "application/gzip"}  # a gzip copy is the file itself, never a Content-Encoding
_RANGE = re.compile(r"([0-9]*)-([0-9]*)")
_RANGE_FORMS = "one range: bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX (whole numbers, FIRST ≤ LAST)"


@dataclass(frozen=True)
class Material:
    """What is downloaded: a file in the export storage (`path`) or bytes kept in the database."""

    label: str  # as the download log names it: a format, manifest, delta-since-M
    name: str  # the name the client saves it under
    sha256: str
    size: int
    path: str | None = None
    body: bytes | None = None

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.name[self.name.rfind("."):], "application/octet-stream")


@dataclass(frozen=True)
class Part:
    first: int
    last: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.last - self.first + 1


class RangeNotSatisfiable(Exception):
    """416: the one range asked for is malformed, or lies outside the file."""


def byte_range(header: str | None, size: int) -> Part | None:
    """The part of a `size`-byte file that a Range header asks for; None for the whole file."""
    if header is None:
        return None
    unit, equals, ranges = header.partition("=")
    if not equals or unit.strip().lower() != "bytes" or "," in ranges:
        return None  # another unit (ignored), or several ranges (the whole file)
    match = _RANGE.fullmatch(ranges.strip())
    if match is None or match.groups() == ("", ""):
        raise RangeNotSatisfiable(f"Range must be {_RANGE_FORMS}, not {header!r}.")
    first, last = match.groups()
    if not first:
        if int(last) == 0 or size == 0:
            raise RangeNotSatisfiable(f"The file has {size} bytes; bytes=-{last} asks for none of them.")
        return Part(max(size - int(last), 0), size - 1)
    if last and int(last) < int(first):
        raise RangeNotSatisfiable(f"Range must be {_RANGE_FORMS}, not {header!r}.")
    if int(first) >= size:
        raise RangeNotSatisfiable(f"The file has {size} bytes; the range starts at byte {first}.")
    return Part(int(first), min(int(last), size - 1) if last else size - 1)


def requested_part(request, material: Material) -> Part | None:
    """The Range asked for, unless an If-Range names other bytes than these (a weak tag or a date
    never matches: we give neither): then the whole file, as RFC 9110 section 13.1.5 says."""
    header = request.headers.get("Range")
    condition = request.headers.get("If-Range")
    if header is None or (condition is not None and condition.strip() != material.etag):
        return None
    return byte_range(header, material.size)


def not_modified(request, sha256: str) -> HttpResponseNotModified | None:
    """304 when the client already holds these bytes (ETag = their SHA-256); not a download."""
    etag = f'"{sha256}"'
    tags = {tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")}
    return HttpResponseNotModified(headers={"ETag": etag}) if etag in tags or "*" in tags else None


def download(request, release: Release, material: Material) -> HttpResponseBase:
    """304, 416, or: log the download, then the bytes (200, 206) or the redirect to object storage."""
    if (cached := not_modified(request, material.sha256)) is not None:
        return cached
    if material.path is not None and storage.is_object_storage():
        # The store answers a Range on the presigned URL itself (its ETag is not ours: 304s are ours).
        url = storage.download_url(material.path, name=material.name, content_type=material.content_type)
        services.download_record(request, release, material.label)
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"  # the URL expires; never replay it from a cache
        return response
    try:
        part = requested_part(request, material)
    except RangeNotSatisfiable as exc:
        response = JsonResponse({"detail": str(exc), "code": "range_not_satisfiable"}, status=416)
        return _describe(response, material, content_range=f"bytes */{material.size}")
    if material.path is None:
        services.download_record(request, release, material.label, part=_span(part))
        return _in_memory(material, part)
    handle = storage.open_file(material.path)  # before logging: a file that is not there is no download
    try:
        services.download_record(request, release, material.label, part=_span(part))
    except BaseException:
        handle.close()
        raise
    return _streamed(handle, material, part)


def _span(part: Part | None) -> str | None:
    return None if part is None else f"{part.first}-{part.last}"


def _streamed(handle, material: Material, part: Part | None) -> FileResponse:
    """The file, or its part, read a block at a time: memory stays flat whatever its size."""
    source = handle if part is None else _Window(handle, part)
    response = FileResponse(source, as_attachment=True, filename=material.name, content_type=material.content_type,
                            status=200 if part is None else 206)
    return _describe(response, material, part=part)


def _in_memory(material: Material, part: Part | None) -> HttpResponse:
    """Bytes the database holds (the manifest: small), whole or in part."""
    body = material.body if part is None else material.body[part.first:part.last + 1]
    response = HttpResponse(body, content_type=material.content_type, status=200 if part is None else 206)
    response["Content-Disposition"] = content_disposition_header(True, material.name)
    return _describe(response, material, part=part)


def _describe(response, material: Material, *, part: Part | None = None, content_range: str | None = None):
    response["ETag"] = material.etag
    response["Accept-Ranges"] = "bytes"
    response["X-Content-SHA256"] = material.sha256  # of the whole file, also on a part of it
    response["Content-Length"] = str(len(response.content) if not response.streaming
                                     else material.size if part is None else part.length)
    if part is not None:
        content_range = f"bytes {part.first}-{part.last}/{material.size}"
    if content_range is not None:
        response["Content-Range"] = content_range
    return response


class _Window:
    """Bytes `part.first` to `part.last` of an open file, read like a file (FileResponse reads
    blocks until it gets b"" and closes it). No `seek` or `tell`: FileResponse would measure it."""

    def __init__(self, handle, part: Part):
        handle.seek(part.first)
        self._handle, self._left = handle, part.length

    def read(self, size: int = -1) -> bytes:
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        chunk = self._handle.read(wanted) if wanted > 0 else b""
        self._left -= len(chunk)
        return chunk

    def close(self) -> None:
        self._handle.close()


def stored(label: str, record) -> Material:
    """A release file or delta record as downloaded material."""
    return Material(label=label, name=record.name, sha256=record.sha256, size=record.size, path=record.path)


def in_database(label: str, *, name: str, body: bytes, sha256: str) -> Material:
    return Material(label=label, name=name, sha256=sha256, size=len(body), body=body)
