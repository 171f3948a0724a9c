"""vPDQ of a 10-minute 1080p H.264 video: time, CPU and peak RSS of `media.hash_bytes`, beside the
bare decode-and-pdqhash loop on the same file in the same run.

The issue's targets: hashed in at most 90 s, with a peak RSS of at most the upload + 250 MB. The
CPU seconds of the hashing thread are set beside the production limit
(`BASELINE_MAX_VIDEO_CPU_SECONDS`, 120 s), which the bench lifts so that the whole video is hashed.

The video is made here (never downloaded): a camera panning across fine coloured texture, with
grain fixed to the screen, so that its bit rate (about 3.7 Mbit/s at crf 23) is that of camera
footage rather than of a smooth synthetic picture (0.5 Mbit/s), since H.264 decoding costs more the
more bits it reads. Encoding 18,000 frames took 466 s on two cores, so the file is
cached under var/bench/, named by its parameters, and reused.

Each case runs in a fresh process (bench/video_child.py), which reads the file into memory (the
upload a request holds) and reports its own figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
TARGET_SECONDS = 90
TARGET_RSS_ABOVE_UPLOAD_MB = 250
PRODUCTION_CPU_SECONDS = 120
# What the video is; the cache file is named by all of it (change GENERATOR when the frames change).
VIDEO = {"seconds": 600, "width": 1920, "height": 1080, "fps": 30, "crf": 23, "preset": "veryfast",
         "seed": 7, "canvas_width": 12_000, "pixels_per_frame": 3, "fine": 0.8, "grain": 12}
GENERATOR = 1
CASES = {
    "hash_bytes": "baseline_client.hashing.media.hash_bytes(data): one vPDQ frame a second, on the calling thread",
    "bare_loop": "PyAV decode on one thread (thread_type NONE), every frame decoded; the first frame at or "
                 "after each whole second to_ndarray(rgb24) and pdqhash.compute; nothing else",
    "bare_loop_frame_threads": "the bare loop with FFmpeg frame threads on (thread_type FRAME, thread_count 0: "
                               "FFmpeg picks cores + 1)",
}


def video_path() -> Path:
    v = VIDEO
    name = (f"pan-{v['width']}x{v['height']}-{v['fps']}fps-{v['seconds']}s-{v['preset']}-crf{v['crf']}"
            f"-seed{v['seed']}-w{v['canvas_width']}-ppf{v['pixels_per_frame']}-fine{v['fine']}"
            f"-grain{v['grain']}-g{GENERATOR}.mp4")
    return CACHE / name


def ensure_video() -> tuple[Path, float | None]:
    """The cached video, made first if missing; and the seconds making it took (None: cached)."""
    path = video_path()
    if path.exists():
        return path, None
    from bench import videos

    v = VIDEO
    print(f"  encoding {path.name} (about eight minutes on two cores; cached for later runs)", flush=True)
    started = time.perf_counter()
    canvas = videos.textured_canvas(v["seed"], v["height"], v["canvas_width"], fine=v["fine"], margin=v["grain"])
    frames = videos.grain(videos.pan(canvas, v["seconds"], fps=v["fps"], width=v["width"],
                                     pixels_per_frame=v["pixels_per_frame"]), v["grain"], seed=v["seed"])
    data = videos.encode(frames, size=(v["width"], v["height"]), fps=v["fps"], crf=v["crf"], preset=v["preset"])
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)
    return path, time.perf_counter() - started


def describe(path: Path) -> dict:
    import av

    data = path.read_bytes()
    with av.open(BytesIO(data)) as video:
        stream = video.streams.video[0]
        seconds = float(stream.duration * stream.time_base)
        return {"file": f"var/bench/{path.name}", "bytes": len(data), "mb": round(len(data) / 2**20, 1),
                "codec": stream.codec_context.name, "profile": stream.codec_context.profile,
                "size": f"{stream.codec_context.width}x{stream.codec_context.height}",
                "pix_fmt": stream.codec_context.pix_fmt, "fps": float(stream.average_rate),
                "frames": stream.frames, "seconds": round(seconds, 2),
                "mbit_per_second": round(len(data) * 8 / seconds / 1e6, 2),
                "generator": {**VIDEO, "version": GENERATOR}}


def run_case(case: str, path: Path) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true",
           "BASELINE_MAX_VIDEO_CPU_SECONDS": "3600"}  # lifted: the whole video is hashed, its CPU reported
    command = [sys.executable, str(ROOT / "bench" / "video_child.py"), case, str(path)]
    load_before = os.getloadavg()[0]
    run = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)  # noqa: S603
    if run.returncode:
        raise RuntimeError(f"video_child.py {case} failed ({run.returncode}):\n{run.stderr[-4000:]}")
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    figures["does"] = CASES[case]
    figures["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    allowance = figures["upload_mb"] + TARGET_RSS_ABOVE_UPLOAD_MB
    figures["rss_target_mb"] = round(allowance, 1)
    figures["within_90_s"] = figures["seconds"] <= TARGET_SECONDS
    figures["within_rss_target"] = figures["peak_rss_mb"] <= allowance
    cpu = figures.get("hashing_thread_cpu_seconds", figures["cpu_seconds"])
    figures["within_production_cpu_limit_120_s"] = cpu <= PRODUCTION_CPU_SECONDS
    return figures


def bench_video() -> dict:
    path, encode_seconds = ensure_video()
    results: dict[str, object] = {
        "target": f"a 10-minute 1080p H.264 video hashed in at most {TARGET_SECONDS} s with peak RSS at most the "
                  f"upload + {TARGET_RSS_ABOVE_UPLOAD_MB} MB; the hashing thread's CPU beside the production "
                  f"limit of {PRODUCTION_CPU_SECONDS} s (lifted for the bench)",
        "video": describe(path),
        "encode_seconds": None if encode_seconds is None else round(encode_seconds, 1),
    }
    for case in CASES:
        figures = run_case(case, path)
        results[case] = figures
        print(f"  {case}: {figures['seconds']} s wall, {figures['cpu_seconds']} s CPU, "
              f"peak {figures['peak_rss_mb']} MB (upload {figures['upload_mb']} MB, idle {figures['idle_rss_mb']} MB)",
              flush=True)
    hashed, bare = results["hash_bytes"], results["bare_loop"]
    results["hash_bytes_over_bare_loop"] = {
        "seconds": round(hashed["seconds"] / bare["seconds"], 3),
        "cpu_seconds": round(hashed["cpu_seconds"] / bare["cpu_seconds"], 3),
        "peak_rss_mb": round(hashed["peak_rss_mb"] - bare["peak_rss_mb"], 1),
    }
    results["targets_met"] = bool(hashed["within_90_s"] and hashed["within_rss_target"])
    return results
