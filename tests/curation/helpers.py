"""Synthetic signatures for tests: unique, well-formed values with no relation to any material."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO

_counter = itertools.count(1)


def fake(algorithm: str, seed: int | None = None) -> str:
    n = next(_counter) if seed is None else seed
    digest = hashlib.sha512(f"{algorithm}-{n}".encode()).hexdigest()
    lengths = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
    if algorithm in lengths:
        return digest[: lengths[algorithm]]
    if algorithm == "photodna":
        raw = (hashlib.sha512(f"p{n}".encode()).digest() * 3)[:144]
        return base64.b64encode(raw).decode()
    if algorithm == "vpdq":
        return f'["{digest[:64]},90,0.000","{digest[64:128]},88,1.000"]'
    raise ValueError(algorithm)


def item_payload(media_type: str = "image", algorithms=("md5", "sha256"), **extra) -> dict:
    sigs = [{"algorithm": a, "value": fake(a)} for a in algorithms]
    for sig in sigs:
        if sig["algorithm"] == "pdq":
            sig["quality"] = 90
    return {"media_type": media_type, "signatures": sigs, "external_reference": "ICSE-IMG-0001", **extra}


# CI clones the repository with shared/ beside it, as it is here.
from pathlib import Path  # noqa: E402

from core.actors import SYSTEM  # noqa: E402

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"

YES = {"real_child": True, "under_13": True, "sexual_abuse": True}
NO_UNDER_13 = {"real_child": True, "under_13": False, "sexual_abuse": True}


def make_item(user, **overrides):
    from curation.submissions.services import ItemInput, submission_create

    payload = item_payload(**overrides)
    return submission_create(actor=user, item=ItemInput(**payload))


def agree(item, *reviewers, comment=""):
    from curation.reviews.services import review_record

    for reviewer in reviewers:
        review_record(actor=reviewer, item=item, answers=dict(YES), comment=comment)
    item.refresh_from_db()
    return item


def approved_item(personas, **overrides):
    """An item taken through three real reviews."""
    return agree(make_item(personas.investigator, **overrides), *personas.reviewers[:3])


def publish(actor=SYSTEM, note=""):
    """Request a release and run its build task for real; the published Release."""
    from curation import tasks
    from curation.releases.services import release_request

    release = release_request(actor=actor, note=note)
    tasks.release_build(release.pk)
    release.refresh_from_db()
    return release


def large_png(megabytes: float = 5.0) -> bytes:
    """A real PNG of about `megabytes` MB (noise does not compress), built in memory: well over the
    2.5 MB above which Django's default handlers spill an upload to a temporary file."""
    import numpy as np
    from PIL import Image

    side = int((megabytes * 2**20 / 3) ** 0.5)
    pixels = np.random.default_rng(7).integers(0, 256, size=(side, side, 3), dtype=np.uint8)
    out = BytesIO()
    Image.fromarray(pixels).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def large_video(megabytes: float = 4.0) -> bytes:
    """A real H.264 MP4 of more than `megabytes` MB (lossless noise), built in memory: over the spill size."""
    import numpy as np

    from bench.videos import encode

    rng = np.random.default_rng(11)
    frames = [np.repeat(np.repeat(rng.integers(0, 256, (45, 80, 3), np.uint8), 4, 0), 4, 1) for _ in range(10)]
    seconds = 1
    while True:
        data = encode((frames[i % 10] ^ np.uint8(i) for i in range(30 * seconds)), size=(320, 180), crf=0)
        if len(data) > megabytes * 2**20:
            return data
        seconds *= 2


def files_holding(chunk: bytes, since: float) -> list[str]:
    """Files under the places a temporary file could land (the temp directories, /dev/shm, the
    project's var/), changed since `since`, that hold `chunk`: the disk scan behind invariant 1."""
    import tempfile
    from pathlib import Path

    roots = {Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"),
             Path(__file__).resolve().parents[2] / "var"}
    found = []
    for root in roots:
        for path in root.rglob("*") if root.is_dir() else ():
            try:
                if path.is_file() and path.stat().st_mtime >= since - 1 and chunk in path.read_bytes():
                    found.append(str(path))
            except OSError:
                continue  # another process's file, gone or unreadable
    return found


# Nothing is written to disk while hashing (invariant 1). Audit hooks cannot be removed, so one is
# installed for the whole process, at import, and acts only while `_watching` holds a list.
_watching: ContextVar[list[str] | None] = ContextVar("watching_writes", default=None)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class FileWriteRefused(PermissionError, RuntimeError):
    """What the guard raises on an open for writing."""


def _refuse_writes(event: str, args: tuple) -> None:
    seen = _watching.get()
    if seen is None or event != "open":
        return
    path, mode, flags = args
    writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        isinstance(flags, int) and flags & _WRITE_FLAGS
    )
    if writes:
        seen.append(repr(path))
        raise FileWriteRefused(f"opened {path!r} for writing while hashing")


sys.addaudithook(_refuse_writes)


@contextmanager
def no_file_writes() -> Iterator[list[str]]:
    """Refuse every open for writing in this thread; yields the paths that were tried."""
    seen: list[str] = []
    token = _watching.set(seen)
    try:
        yield seen
    finally:
        _watching.reset(token)


@contextmanager
def vpdq_importable() -> Iterator[None]:
    """python-threatexchange's vPDQ modules import the native `vpdq` hasher, used only to hash
    files; where it is not built, a stand-in lets them load, and nothing loaded against it outlives
    the block."""
    import importlib.util

    stubbed = importlib.util.find_spec("vpdq") is None
    if stubbed:
        stand_in = types.ModuleType("vpdq")
        stand_in.VpdqFeature = object  # type: ignore[attr-defined]  # used only in annotations
        sys.modules["vpdq"] = stand_in
    try:
        yield
    finally:
        if stubbed:
            for name in [n for n in sys.modules if n == "vpdq" or n.startswith("threatexchange.extensions.vpdq")]:
                del sys.modules[name]
