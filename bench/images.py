"""Image decoding memory: peak RSS of a child process hashing crafted and large images.

The files are made here (never downloaded): PNGs whose rows are all zero, written row by row through
zlib so that an 88-megapixel picture costs the generator nothing, and a 50-megapixel JPEG of a
smooth synthetic picture. Each case runs in a fresh process (bench/image_child.py), so its peak is
its own; the figure is that peak minus the idle worker's RSS.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 150  # the ceiling above the idle worker


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def zero_png(width: int, height: int, *, colour_type: int, bit_depth: int) -> bytes:
    """A valid PNG whose every sample is 0 (for RGBA: fully transparent black)."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = bytes(1 + width * channels * bit_depth // 8)  # filter byte 0, then the samples
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def smooth_jpeg(width: int, height: int, **options) -> bytes:
    """A JPEG of a smooth, structured picture (small file, PDQ quality 100)."""
    from io import BytesIO

    import numpy as np
    from PIL import Image

    x = np.linspace(0, 12, width, dtype=np.float32)
    y = np.linspace(0, 9, height, dtype=np.float32)[:, None]
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    for channel, phase in enumerate((0.0, 1.3, 2.6)):
        pixels[..., channel] = (127.5 + 127.5 * np.sin(x + phase) * np.cos(y * 0.7 - phase)).astype(np.uint8)
    out = BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=85, **options)
    return out.getvalue()


def cases() -> dict[str, list[str]]:
    """name -> the files hashed at once, one request (thread) each; `_files` makes them."""
    return {
        "png_rgba_9400x9400_zero": ["rgba9400.png"],
        "png_grey16_9400x9400_zero": ["grey16_9400.png"],
        "png_rgba_9400x9400_zero_two_at_once": ["rgba9400.png", "rgba9400.png"],
        "jpeg_50mp_baseline": ["jpeg50.jpg"],
        "jpeg_progressive_420_at_cap": ["jpeg_progressive420_cap.jpg"],
        "jpeg_progressive_444_at_cap": ["jpeg_progressive444_cap.jpg"],
        "png_rgba_at_cap": ["rgba_cap.png"],
        "png_grey16_at_cap": ["grey16_cap.png"],
        "png_rgba_at_cap_two_at_once": ["rgba_cap.png", "rgba_cap.png"],
        "webp_rgba_at_cap": ["rgba_cap.webp"],
        "tiff_rgba_at_cap": ["rgba_cap.tiff"],
    }


def zero_webp(width: int, height: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGBA", (width, height)).save(out, "WEBP", lossless=True)
    return out.getvalue()


def zero_tiff(side: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGBA", (side, side)).save(out, "TIFF", compression="tiff_deflate")
    return out.getvalue()


def _files() -> dict[str, bytes]:
    from baseline_client.hashing import pixels

    side = int(pixels.WHOLE_DECODE_MAX_PIXELS ** 0.5)  # square, just under the cap
    # Pillow writes 4:2:0 by default (1.5 samples a pixel) and 4:4:4 with subsampling=0 (3).
    progressive = {name: int(pixels.JPEG_COEFFICIENT_BYTES / (2 * spp)) // 1_000_000 * 1_000_000
                   for name, spp in (("420", 1.5), ("444", 3.0))}
    prog_w = {name: int((count * 4 / 3) ** 0.5) for name, count in progressive.items()}
    return {
        "rgba9400.png": zero_png(9400, 9400, colour_type=6, bit_depth=8),
        "grey16_9400.png": zero_png(9400, 9400, colour_type=0, bit_depth=16),
        "jpeg50.jpg": smooth_jpeg(8000, 6250),  # 50,000,000 pixels: JPEG_MAX_PIXELS
        "jpeg_progressive420_cap.jpg": smooth_jpeg(
            prog_w["420"], progressive["420"] // prog_w["420"], progressive=True),
        "jpeg_progressive444_cap.jpg": smooth_jpeg(
            prog_w["444"], progressive["444"] // prog_w["444"], progressive=True, subsampling=0),
        "rgba_cap.png": zero_png(side, side, colour_type=6, bit_depth=8),
        "grey16_cap.png": zero_png(side, side, colour_type=0, bit_depth=16),
        "rgba_cap.webp": zero_webp(*[int(pixels.WHOLE_DECODE_CAPS["WEBP"] ** 0.5)] * 2),
        "rgba_cap.tiff": zero_tiff(int(pixels.WHOLE_DECODE_CAPS["TIFF"] ** 0.5)),
    }


def _describe(data: bytes) -> dict:
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(data)) as image:
        return {"size": f"{image.width}x{image.height}", "mode": image.mode, "bytes": len(data),
                "progressive": bool(image.info.get("progressive"))}


def bench_images() -> dict:
    results: dict[str, object] = {"target": f"peak under {TARGET_MB} MB above the idle worker"}
    with tempfile.TemporaryDirectory() as tmp:
        files = _files()
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        results["files"] = {name: _describe(data) for name, data in files.items()}
        del files
        for name, names in cases().items():
            command = [sys.executable, str(ROOT / "bench" / "image_child.py"), *(str(Path(tmp) / n) for n in names)]
            run = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ.copy())  # noqa: S603
            figures = json.loads(run.stdout.strip().splitlines()[-1])
            figures["files"] = names
            figures["under_target"] = figures["peak_above_idle_mb"] < TARGET_MB
            results[name] = figures
            print(f"  {name}: {figures['outcomes']} peak +{figures['peak_above_idle_mb']} MB", flush=True)
    return results
