"""Uploads stay in memory and never exceed the limit (DESIGN.md invariant 1).

Django's default handlers spill files over 2.5 MB to a temporary file on disk; this one is the
only handler configured, so no upload anywhere in the service can reach the disk. A file over
`BASELINE_MAX_UPLOAD_MB` stops the upload and marks the request, and the view answers 413.
"""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

TOO_LARGE_ATTR = "baseline_upload_too_large"


def max_upload_bytes() -> int:
    return settings.BASELINE_MAX_UPLOAD_MB * 1024 * 1024


class MemoryOnlyUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Refuse early when the declared body is already larger than any allowed file could make it.
        if content_length and content_length > max_upload_bytes() + 64 * 1024:
            setattr(self.request, TOO_LARGE_ATTR, True)
            return QueryDict(encoding=encoding), MultiValueDict()  # parse nothing, keep nothing
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if self.buffer.tell() + len(raw_data) > max_upload_bytes():
            setattr(self.request, TOO_LARGE_ATTR, True)
            self.buffer = BytesIO()  # drop what was received
            raise StopUpload(connection_reset=True)
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


def upload_too_large(request) -> bool:
    return getattr(request, TOO_LARGE_ATTR, False)
