"""Uploads stay in memory and never exceed the limit (DESIGN.md invariant 1).

Django's default handlers spill files over 2.5 MB to a temporary file on disk; this one is the
only handler configured, so no upload anywhere in the service can reach the disk. A file over
`BASELINE_MAX_UPLOAD_MB` stops the upload and marks the request, and the view answers 413.

A body declared larger than the limit allows is not parsed at all, so its CSRF token is never read
and the CSRF check fails before any view runs: `curation.views.csrf_failure` (CSRF_FAILURE_VIEW)
turns that failure into the same 413 when the request is marked.

A server that answers before reading the whole body makes browsers show "connection reset" instead
of the answer. So, where the cost is bounded, the rest of the body is read and thrown away (never
kept): always when a file overflows while streaming (the declared length is then at most 64 KB past
the limit), and for a declared body up to twice the limit. Anything larger is left unread: a
reverse proxy in front should refuse such bodies itself (nginx `client_max_body_size`).
"""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

TOO_LARGE_ATTR = "baseline_upload_too_large"
SLACK = 64 * 1024  # multipart boundaries, headers and the form's other fields around the file
DRAIN_FACTOR = 2  # read and discard a refused body declared up to this many times the limit


def max_upload_bytes() -> int:
    return settings.BASELINE_MAX_UPLOAD_MB * 1024 * 1024


def too_large_message() -> str:
    return f"The file is larger than the {settings.BASELINE_MAX_UPLOAD_MB} MB limit."


class MemoryOnlyUploadHandler(FileUploadHandler):
    body_length = 0  # not `content_length`: new_file() sets that to the file part's own length

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.body_length = content_length or 0
        # Refuse early when the declared body is already larger than any allowed file could make it.
        if self.body_length > max_upload_bytes() + SLACK:
            setattr(self.request, TOO_LARGE_ATTR, True)
            if self.body_length <= DRAIN_FACTOR * max_upload_bytes():
                _discard(input_data)
            return QueryDict(encoding=encoding), MultiValueDict()  # parse nothing, keep nothing
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if self.buffer.tell() + len(raw_data) > max_upload_bytes():
            setattr(self.request, TOO_LARGE_ATTR, True)
            self.buffer = BytesIO()  # drop what was received
            # Draining the rest is safe only because its declared length is bounded (handle_raw_input).
            raise StopUpload(connection_reset=not 0 < self.body_length <= max_upload_bytes() + SLACK)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def _discard(stream) -> None:
    """Read a request body to its declared end, keeping nothing."""
    while stream.read(64 * 1024):
        pass


def upload_too_large(request) -> bool:
    return getattr(request, TOO_LARGE_ATTR, False)


def declared_too_large(request) -> bool:
    """The body is declared larger than any allowed file could make it (judged without reading it)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > max_upload_bytes() + SLACK
    except ValueError:
        return False
