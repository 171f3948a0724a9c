"""Hash image files in a fresh process and report its peak RSS above the idle worker. Prints JSON.

Usage: image_child.py FILE [FILE ...]; each file is hashed in its own thread, all started together
(two paths: two requests at once in one worker). The idle figure is taken after Django, Pillow,
numpy and pdqhash are loaded and one small image has been hashed, as in a worker that has served a
request; the high-water mark is then reset (/proc/self/clear_refs), the files are read (the upload
a request holds) and hashed.
"""

import json
import sys
import threading
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from baseline_client.hashing import media  # noqa: E402
from PIL import Image  # noqa: E402

from bench.run import proc_status_mb as _status  # noqa: E402


def _warm_up() -> None:
    for fmt in media.IMAGE_FORMATS:
        out = BytesIO()
        Image.effect_mandelbrot((64, 64), (-2.0, -1.5, 1.0, 1.5), 32).convert("RGB").save(out, fmt)
        media.hash_bytes(out.getvalue())


def _hash(data: bytes, outcomes: list, barrier: threading.Barrier) -> None:
    barrier.wait()
    try:
        media.hash_bytes(data)
        outcomes.append("hashed")
    except media.MediaError as exc:
        outcomes.append(f"{exc.status} {exc.code}")


_warm_up()
idle = _status("VmRSS")
Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
start = time.perf_counter()
files = [Path(name).read_bytes() for name in sys.argv[1:]]
outcomes: list[str] = []
barrier = threading.Barrier(len(files))
threads = [threading.Thread(target=_hash, args=(data, outcomes, barrier)) for data in files]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({
    "outcomes": sorted(outcomes),
    "seconds": round(time.perf_counter() - start, 2),
    "idle_rss_mb": round(idle, 1),
    "peak_rss_mb": round(_status("VmHWM"), 1),
    "peak_above_idle_mb": round(_status("VmHWM") - idle, 1),
}))
