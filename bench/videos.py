"""Synthetic videos for the vPDQ tests and benches, made here with PyAV (never downloaded).

- `photo_pan`: a camera panning slowly across a canvas tiled from the test photographs (real
  footage changes slowly: a pan moves a few pixels a frame);
- `noise_pan`: the same pan over seeded smooth noise, unrelated to every photograph and to every
  other seed;
- `textured_canvas` + `grain`: a pan for long, full-HD benches whose bit rate is that of camera
  footage (fine texture that moves, and sensor-like grain that does not), not of a smooth picture;
- `loop`: a test video from testdata/vpdq played over and over;
- `recode`, `concat`: a time range of a video re-encoded (other size, other bit rate), and videos
  played one after another.

Everything is encoded in memory (`BytesIO`) with libx264, which PyAV's wheel carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT.parent / "shared" / "testdata"
PHOTOS = (
    "pdq/bridge-mods/aaa-orig.jpg", "pdq/reference/q0122.jpg", "pdq/reference/q0291.jpg",
    "pdq/reference/q0746.jpg", "pdq/reference/q1050.jpg", "pdq/reference/q2821.jpg", "pdq/misc/wee.jpg",
)
SIZE = (640, 360)
FPS = 30


def encode(frames: Iterable[np.ndarray], *, size: tuple[int, int] = SIZE, fps: int = FPS, crf: int = 23,
           preset: str = "veryfast", container: str = "mp4") -> bytes:
    """RGB frames (height x width x 3, uint8) as an H.264 video in `container`."""
    out = BytesIO()
    with av.open(out, "w", format=container) as video:
        stream = video.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": preset, "crf": str(crf)}
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            if (frame.width, frame.height) != size:
                frame = frame.reformat(width=size[0], height=size[1])
            video.mux(stream.encode(frame))
        video.mux(stream.encode(None))
    return out.getvalue()


@lru_cache(maxsize=4)
def photo_canvas(height: int = SIZE[1]) -> np.ndarray:
    """The test photographs side by side, each scaled to `height`, as one wide RGB strip."""
    tiles = []
    for name in PHOTOS:
        photo = Image.open(TESTDATA / name).convert("RGB")
        width = round(photo.width * height / photo.height)
        tiles.append(np.asarray(photo.resize((width, height), Image.Resampling.BICUBIC)))
    return np.concatenate(tiles, axis=1)


@lru_cache(maxsize=8)
def noise_canvas(seed: int, height: int = SIZE[1], width: int = 3000) -> np.ndarray:
    """Smooth coloured noise: random values on a coarse grid, enlarged bicubically."""
    coarse = np.random.default_rng(seed).integers(0, 256, size=(height // 20, width // 20, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC))


def textured_canvas(seed: int, height: int, width: int, *, fine: float = 0.8, margin: int = 0) -> np.ndarray:
    """`noise_canvas` with finer noise (3-pixel cells, `fine` of its amplitude) on top: texture a
    pan moves, as real footage has. Values stay in [margin, 255 - margin], so that `grain` of that
    amplitude never overflows."""
    coarse = noise_canvas(seed, height, width).astype(np.float32)
    cells = np.random.default_rng(seed + 1).integers(0, 256, size=(height // 3, width // 3, 3), dtype=np.uint8)
    detail = np.asarray(Image.fromarray(cells).resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)
    picture = np.clip(coarse + fine * (detail - 128), 0, 255)
    return (margin + picture * ((255 - 2 * margin) / 255)).astype(np.uint8)


def grain(frames: Iterable[np.ndarray], amplitude: int, *, seed: int = 0, tiles: int = 7) -> Iterator[np.ndarray]:
    """Each frame plus uniform noise in [-amplitude, amplitude], fixed to the screen (not to the
    picture), from `tiles` seeded noise frames in turn. The frames' values must lie in
    [amplitude, 255 - amplitude] (`textured_canvas(margin=amplitude)`): the sum is taken in uint8."""
    noise: list[np.ndarray] = []
    for index, frame in enumerate(frames):
        if len(noise) < tiles:
            rng = np.random.default_rng([seed, len(noise)])
            noise.append(rng.integers(-amplitude, amplitude + 1, size=frame.shape, dtype=np.int8).view(np.uint8))
        yield np.add(frame, noise[index % tiles], dtype=np.uint8)  # wraps modulo 256: exact in range


def pan(canvas: np.ndarray, seconds: float, *, fps: int = FPS, width: int = SIZE[0], pixels_per_frame: int = 2,
        start: int = 0) -> Iterator[np.ndarray]:
    """Frames of a camera moving right across `canvas` (then back), `width` wide and as high as the
    canvas, starting `start` pixels in."""
    travel = canvas.shape[1] - width
    for index in range(round(seconds * fps)):
        x = (start + index * pixels_per_frame) % (2 * travel)
        x = x if x <= travel else 2 * travel - x
        yield canvas[:, x:x + width]


def photo_pan(seconds: float, *, size: tuple[int, int] = SIZE, crf: int = 23, **options) -> bytes:
    """A pan across the test photographs."""
    return encode(pan(photo_canvas(size[1]), seconds, width=size[0], **options), size=size, crf=crf)


def noise_pan(seed: int, seconds: float, *, size: tuple[int, int] = SIZE, crf: int = 23, **options) -> bytes:
    """A pan across smooth noise of this seed: footage unrelated to the photographs and to other seeds."""
    return encode(pan(noise_canvas(seed, size[1]), seconds, width=size[0], **options), size=size, crf=crf)


def decode(data: bytes, *, start: float = 0.0, end: float | None = None,
           size: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
    """The RGB frames of `data` whose time lies in [start, end), scaled to `size` if given."""
    with av.open(BytesIO(data)) as video:
        stream = video.streams.video[0]
        for frame in video.decode(stream):
            time = float(frame.pts * stream.time_base) if frame.pts is not None else 0.0
            if time < start:
                continue
            if end is not None and time >= end:
                break
            scaled = {"width": size[0], "height": size[1]} if size else {}
            yield frame.to_ndarray(format="rgb24", **scaled)


def recode(data: bytes, *, start: float = 0.0, end: float | None = None, size: tuple[int, int] = SIZE,
           crf: int = 23, fps: int = FPS) -> bytes:
    """[start, end) of `data` re-encoded at `size` and quality `crf` (higher is smaller and worse)."""
    return encode(decode(data, start=start, end=end, size=size), size=size, crf=crf, fps=fps)


def concat(*videos: bytes, size: tuple[int, int] = SIZE, fps: int = FPS, crf: int = 23) -> bytes:
    """The videos played one after another, re-encoded as one."""
    def frames() -> Iterator[np.ndarray]:
        for data in videos:
            yield from decode(data, size=size)
    return encode(frames(), size=size, fps=fps, crf=crf)


def loop(name: str, seconds: float, *, size: tuple[int, int] = SIZE, crf: int = 23) -> bytes:
    """testdata/vpdq/`name`.mp4 played over and over for `seconds`, re-encoded at `size`."""
    source = (TESTDATA / "vpdq" / f"{name}.mp4").read_bytes()
    frames = list(decode(source, size=size))
    count = round(seconds * FPS)
    return encode((frames[i % len(frames)] for i in range(count)), size=size, crf=crf)


def duration(data: bytes) -> Fraction:
    with av.open(BytesIO(data)) as video:
        stream = video.streams.video[0]
        return Fraction(stream.frames, FPS) if stream.frames else Fraction(0)
