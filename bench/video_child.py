"""Hash one video file in a fresh process, one way, and report its time, CPU and peak RSS. Prints JSON.

Usage: video_child.py CASE FILE, CASE one of
- `hash_bytes`: baseline_client.hashing.media.hash_bytes(data) (one vPDQ frame a second);
- `bare_loop`: PyAV decodes every frame on this thread only; the first frame at or after each whole
  second is converted to RGB and hashed with pdqhash.compute; nothing else;
- `bare_loop_frame_threads`: the same with FFmpeg's frame threads on (FFmpeg picks cores + 1).

The idle figure is taken after Django, PyAV, numpy and pdqhash are loaded and a one-second video has
been hashed the same way, as in a worker that has served a request; the high-water mark is then reset
(/proc/self/clear_refs), the file is read (the upload a request holds) and hashed. The peak is
ru_maxrss (the process's lifetime peak, so never below the reset one) beside VmHWM since the reset.
"""

import json
import math
import resource
import sys
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

import av  # noqa: E402
import pdqhash  # noqa: E402

from bench import videos  # noqa: E402
from bench.run import proc_status_mb as _status  # noqa: E402
from curation.hashing import media  # noqa: E402 (the service's limits)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_loop(data: bytes, *, threads: bool) -> dict:
    decoded = hashed = 0
    with av.open(BytesIO(data)) as video:
        stream = video.streams.video[0]
        if threads:
            stream.thread_type = "FRAME"
            stream.codec_context.thread_count = 0  # FFmpeg's choice: cores + 1 threads
        else:
            stream.thread_type = "NONE"
            stream.codec_context.thread_count = 1
        first, next_second = None, 0.0
        for frame in video.decode(stream):
            decoded += 1
            moment = float(frame.pts * frame.time_base)
            first = moment if first is None else first
            if moment - first >= next_second:
                pdqhash.compute(frame.to_ndarray(format="rgb24"))
                hashed += 1
                next_second = math.floor(moment - first) + 1
    return {"frames_decoded": decoded, "frames_hashed": hashed}


def hash_bytes(data: bytes) -> dict:
    started = time.thread_time()
    result = media.hash_bytes(data)
    return {**result.video, "hashing_thread_cpu_seconds": round(time.thread_time() - started, 2)}


CASES = {
    "hash_bytes": hash_bytes,
    "bare_loop": lambda data: bare_loop(data, threads=False),
    "bare_loop_frame_threads": lambda data: bare_loop(data, threads=True),
}

case, path = sys.argv[1], Path(sys.argv[2])
run = CASES[case]
run(videos.noise_pan(3, 1.0))  # warm up: every library loaded, one short video hashed
idle = _status("VmRSS")
Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
started = time.perf_counter()
data = path.read_bytes()
read_seconds = time.perf_counter() - started
cpu_before, wall_before = _cpu(), time.perf_counter()
figures = run(data)
seconds, cpu = time.perf_counter() - wall_before, _cpu() - cpu_before
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
upload = len(data) / 2**20
print(json.dumps({
    **figures,
    "seconds": round(seconds, 2),
    "cpu_seconds": round(cpu, 2),
    "read_seconds": round(read_seconds, 2),
    "upload_mb": round(upload, 1),
    "idle_rss_mb": round(idle, 1),
    "peak_rss_mb": round(peak, 1),
    "vm_hwm_since_reset_mb": round(_status("VmHWM"), 1),
    "peak_minus_upload_mb": round(peak - upload, 1),
    "peak_above_idle_mb": round(peak - idle, 1),
}))
