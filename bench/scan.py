"""`baseline scan` throughput (issue 16): 1,000 photographs scanned offline against a mirror of
100,000 listed items, beside the raw pdqhash floor on the same files in one process; at two sizes,
640x480 and 1920x1080.

The mirror is made for real: the items are loaded into the bench database, a release is built, and
`baseline sync` (the installed console script) fetches it over HTTP from the service running in a
thread of this process. The floor is what a minimal scanner does per file: read it, decode it with
Pillow, `pdqhash.compute` — no cryptographic hashes, no format checks, no matching.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from bench.releases import load_approved, publish_measured
from core.actors import SYSTEM

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "var" / "bench-scan-images"
COUNT = 1000
ITEMS = 100_000
BASELINE = Path(sys.executable).parent / "baseline"


SIZES = ((640, 480), (1920, 1080))


def _images(size: tuple[int, int]) -> Path:
    """A folder of COUNT JPEGs of smooth random pictures of `size` (made once, kept under var/)."""
    from PIL import Image

    folder = IMAGES / f"{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(16)
    for n in range(COUNT):
        path = folder / f"photo-{n:04d}.jpg"
        small = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
        if not path.exists():
            Image.fromarray(small).resize(size, Image.Resampling.BICUBIC).save(path, quality=90)
    return folder


def _floor(paths: list[Path]) -> float:
    """Images a second: read, decode, pdqhash.compute, one process."""
    import pdqhash
    from PIL import Image

    start = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            pdqhash.compute(np.asarray(image.convert("RGB")))
    return len(paths) / (time.perf_counter() - start)


def _serve():
    """The service on a free port, in a thread of this process (its database: the bench's)."""
    from django.conf import settings
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application

    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(get_internal_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _partner_token() -> str:
    from accounts.models import Organisation, Role, User
    from accounts.services import organisation_create, token_create, user_create
    from curation.releases.services import feed_grant

    org = Organisation.objects.filter(name="Bench Scan Networks").first() or organisation_create(
        actor=SYSTEM, name="Bench Scan Networks", country="SE", kind=Organisation.Kind.PARTNER)
    user = User.objects.filter(username="bench-scanner").first() or user_create(
        actor=SYSTEM, username="bench-scanner", organisation=org, roles=[Role.PARTNER])
    feed_grant(actor=SYSTEM, organisation=org, feed_name="standard")
    return token_create(actor=SYSTEM, user=user, name="bench")[1]


def _timed(*args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(BASELINE), *args], capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        raise RuntimeError(f"baseline {args[0]} exited {done.returncode}: {done.stderr[-500:]}")
    return time.perf_counter() - start


def bench_scan() -> dict:
    import base64
    import tempfile

    from curation.releases import signing, signing_keys

    folders = {f"{w}x{h}": _images((w, h)) for w, h in SIZES}
    load_approved(ITEMS, offset=80_000_000)
    build = publish_measured()
    server, url = _serve()
    work = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    try:
        (work / "token").write_text(_partner_token())
        key = base64.b64encode(signing.public_raw(signing_keys.private_key())).decode()
        sync_seconds = _timed("sync", url, str(work / "mirror"), "--token-file", str(work / "token"),
                              "--public-key", key, "--formats", "pdq")
        sizes = {}
        for name, folder in folders.items():
            floor = _floor(sorted(folder.iterdir()))
            one = _timed("scan", str(folder), "--list", str(work / "mirror"), "--jobs", "1")
            two = _timed("scan", str(folder), "--list", str(work / "mirror"), "--jobs", "2")
            sizes[name] = {"floor_raw_pdqhash_images_per_second_one_process": round(floor, 1),
                           "scan_jobs_1_images_per_second": round(COUNT / one, 1),
                           "scan_jobs_2_images_per_second": round(COUNT / two, 1),
                           "scan_jobs_1_share_of_floor": round(COUNT / one / floor, 3)}
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "images": COUNT, "listed_items": ITEMS, "build": build, "sync_seconds": round(sync_seconds, 2),
        "jpeg_sizes": sizes,
        "note": "scan times are the whole command: start-up, verifying and loading the mirror, hashing "
                "(MD5, SHA-1, SHA-256, PDQ) and matching",
        "target": "scan >= 80% of raw pdqhash throughput per core",
    }
