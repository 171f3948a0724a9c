"""The index each process matches against: the latest published release's of each list, checked
every `BASELINE_MATCH_CHECK_SECONDS` (30) and swapped atomically (DESIGN.md section 9).

Each host keeps one copy of an index file in `BASELINE_MATCH_INDEX_DIR`, downloaded from the export
storage under a temporary name, its SHA-256 checked against the release's record, then renamed into
place; every process on the host memory-maps that same file read-only and searches it where it lies
(curation/matching/hamming.py), so the host holds one copy, in the page cache. A new index is loaded
completely (fetched, checked and mapped) before the one reference
requests read is replaced, so no request ever sees a half-loaded index; while one thread loads,
the others keep answering from the previous one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from curation.matching import index as index_file
from curation.models import Release
from curation.releases import storage

log = logging.getLogger(__name__)
Loaded = index_file.Index

_current: dict[str, Loaded] = {}
_checked: dict[str, float] = {}
_loading = threading.Lock()


def local_copy(path: str, sha256: str) -> Path:
    """This host's copy of an index file, fetched once and checked."""
    directory = Path(settings.BASELINE_MATCH_INDEX_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{sha256}.idx"
    if final.exists():
        return final
    digest = hashlib.sha256()
    part = tempfile.NamedTemporaryFile(dir=directory, suffix=".part", delete=False)  # noqa: SIM115
    with part as out, storage.open_file(path) as src:
        for chunk in storage.chunks_of(src, 1 << 20):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
        # The download left every page of the file in the page cache; the matcher needs the codes
        # only, and of the rest the rows it matches (index.load advises the kernel so).
        os.posix_fadvise(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    if digest.hexdigest() != sha256:
        os.unlink(out.name)
        raise index_file.IndexFileError(f"{path}: SHA-256 {digest.hexdigest()} is not the release's {sha256}")
    os.replace(out.name, final)  # atomic: other processes see the whole file or none
    return final


def load_release(release: Release) -> Loaded:
    try:
        return index_file.load(local_copy(release.match_index_path, release.match_index_sha256))
    except FileNotFoundError:  # another process removed it as superseded just now: fetch it again
        return index_file.load(local_copy(release.match_index_path, release.match_index_sha256))


def remove_superseded(release: Release) -> list[str]:
    """Delete this host's copies of the list's earlier index files, and downloads abandoned over an
    hour ago; the names removed. A process still answering from one keeps its memory map (an
    unlinked file lives on while mapped) until its next check moves it to the newer release."""
    directory = Path(settings.BASELINE_MATCH_INDEX_DIR)
    older = (Release.objects.filter(list=release.list, version__lt=release.version)
             .exclude(match_index_sha256="").values_list("match_index_sha256", flat=True))
    stale = [directory / f"{sha256}.idx" for sha256 in older]
    cutoff = time.time() - 3600
    stale += [part for part in directory.glob("*.part") if part.stat().st_mtime < cutoff]
    removed = []
    for path in stale:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path.name)
    return removed


def current(list_name: str) -> Loaded | None:
    """The index of `list_name`'s latest published release (None before the first), at most
    BASELINE_MATCH_CHECK_SECONDS old."""
    loaded = _current.get(list_name)
    if loaded is not None and time.monotonic() - _checked.get(list_name, 0.0) < settings.BASELINE_MATCH_CHECK_SECONDS:
        return loaded
    if not _loading.acquire(blocking=loaded is None):
        return loaded  # another thread is loading; answer from the one we have
    try:
        latest = (Release.objects.filter(list=list_name, status=Release.Status.PUBLISHED)
                  .exclude(match_index_path="").order_by("-version").first())
        _checked[list_name] = time.monotonic()
        if latest is None:
            _current.pop(list_name, None)
            return None
        if loaded is None or loaded.version != latest.version:
            try:
                fresh = load_release(latest)
            except (index_file.IndexFileError, OSError):
                # A copy that fails its checks is never served; the previous index answers (None
                # before any) and the next check tries again.
                log.exception("Release %s of %s: its matching index did not load", latest.version, list_name)
                return loaded
            _current[list_name] = loaded = fresh  # one reference, replaced whole
            log.info("Matching %s against release %s", list_name, latest.version)
            remove_superseded(latest)
        return loaded
    finally:
        _loading.release()


def forget() -> None:
    """Drop every loaded index (tests; the next call loads afresh)."""
    _current.clear()
    _checked.clear()
