"""Where release files are stored (README: Downloads): the `exports` entry of STORAGES.

By default a directory (`BASELINE_EXPORT_ROOT`). With `BASELINE_EXPORT_STORAGE` naming
django-storages' S3Storage (or a subclass), the bucket and its credentials come from the `AWS_*`
variables below, mapped here so that every option release files depend on is set on purpose: files
are never overwritten, stay private, are stored as opaque bytes (no Content-Encoding a client would
undo), and are handed out only through presigned URLs that live `BASELINE_DOWNLOAD_URL_SECONDS`.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_choice, env_str

FILE_SYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
# Reading a file back (verify_release) spools it through a temporary file past this size, rather
# than holding it in memory (django-storages' default holds the whole object).
READ_SPOOL_BYTES = 8 * 1024 * 1024


def exports_storage(backend: str | None, *, root: Path, url_seconds: int) -> dict:
    """The STORAGES["exports"] entry for `backend` (a dotted class path, None for the default)."""
    if backend is None:
        return {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": str(root)}}
    if is_s3(backend):
        return {"BACKEND": backend, "OPTIONS": s3_options(url_seconds=url_seconds)}
    return {"BACKEND": backend, "OPTIONS": {}}


def is_s3(backend: str) -> bool:
    """Whether the class at `backend` (importable: config.env.env_class_path checked it) is an S3Storage."""
    if backend == S3:
        return True
    module_path, _, class_name = backend.rpartition(".")
    cls = getattr(import_module(module_path), class_name)
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # django-storages without boto3: the class cannot be an S3Storage
        return False
    return issubclass(cls, S3Storage)


def s3_options(*, url_seconds: int) -> dict:
    """S3Storage options from the environment. No credential has a default: without
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY boto3 looks for its own (an instance role...)."""
    bucket = env_str("AWS_STORAGE_BUCKET_NAME")
    if bucket is None:
        raise ImproperlyConfigured(
            f"AWS_STORAGE_BUCKET_NAME must be set when BASELINE_EXPORT_STORAGE is {S3} (the bucket release files "
            "are stored in)."
        )
    access_key, secret_key = env_str("AWS_ACCESS_KEY_ID"), env_str("AWS_SECRET_ACCESS_KEY")
    if (access_key is None) != (secret_key is None):
        raise ImproperlyConfigured("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together, or neither.")
    endpoint = env_str("AWS_S3_ENDPOINT_URL")
    if endpoint is not None and not endpoint.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"AWS_S3_ENDPOINT_URL must be an http:// or https:// URL, not {endpoint!r}.")
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": env_str("AWS_S3_REGION_NAME"),
        "addressing_style": env_choice("AWS_S3_ADDRESSING_STYLE", ("auto", "path", "virtual")),
        "location": env_str("AWS_LOCATION", ""),
        "access_key": access_key,
        "secret_key": secret_key,
        "signature_version": "s3v4",
        "querystring_auth": True,  # every URL is presigned; no ACL is set, so objects stay private
        "querystring_expire": url_seconds,
        "file_overwrite": False,  # as on the file system: a taken name gets another
        # Not guessed from the name: `x.csv.gz` would be stored with Content-Encoding gzip, which
        # clients undo, so the bytes saved would not be the bytes in the manifest. A download asks
        # for the file's type itself (ResponseContentType).
        "object_parameters": {"ContentType": "application/octet-stream"},
        "max_memory_size": READ_SPOOL_BYTES,
    }
    # Unset ones are left out, so django-storages' own defaults apply (none is a credential).
    return {key: value for key, value in options.items() if value is not None}
