"""vPDQ of a video decoded in memory (DESIGN.md section 8).

PyAV decodes from a `BytesIO` over the uploaded bytes: no path on disk ever holds the video or a
frame (invariant 1), and the demuxer is the one the magic bytes named (`media.container_format`),
never one FFmpeg guesses, so a playlist or concat script can never make it open another file or a URL.
A sampled frame is converted to RGB at its full size and hashed with pdqhash, as Meta's vPDQ does:
measured on testdata/vpdq, full-size frames land 0.3-1.0 bits (mean) from the published reference
hashes, against about 10 when frames are first shrunk to 512 pixels as images are.

Sampling: one frame per `seconds_per_hash` of video time (the first frame at or after each
multiple), or every frame when it is 0. Timestamps count from the first frame.

Limits, each a `MediaError` (never a bare decoder exception): the declared and the decoded duration
(`BASELINE_MAX_VIDEO_SECONDS`), the frame size (`MAX_FRAME_PIXELS`), and the CPU time the decoding
thread has used (`BASELINE_MAX_VIDEO_CPU_SECONDS`). Decoding runs on the request's own thread
(FFmpeg's threads off) so that `time.thread_time()` is exactly what this video has cost, however many
other requests the process serves; decoding stops at whichever limit comes first.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from io import BytesIO

import av
import av.logging
import pdqhash

from baseline_client.hashing import signatures
from baseline_client.hashing.errors import MediaError, pdq_hex

MIN_QUALITY = signatures.PDQ_MIN_QUALITY  # frames below are ignored when comparing (DESIGN.md section 8)
MAX_FRAME_PIXELS = 4096 * 2160  # DCI 4K; a larger frame would cost more memory than a request may
MAX_SECONDS_PER_HASH = 60
DEFAULT_MAX_SECONDS = 3600  # the service's BASELINE_MAX_VIDEO_SECONDS default
DEFAULT_MAX_CPU_SECONDS = 120  # the service's BASELINE_MAX_VIDEO_CPU_SECONDS default

av.logging.set_level(None)  # FFmpeg's own messages would quote stream internals into the logs


@dataclass(frozen=True)
class VideoHash:
    frames: list[str]  # "pdq_hex,quality,timestamp", python-threatexchange's form
    frame_count: int  # frames decoded
    duration: float  # seconds, from the first frame to the end of the last
    seconds_per_hash: float
    width: int
    height: int

    @property
    def usable_frames(self) -> int:
        return sum(1 for frame in self.frames if int(frame.split(",")[1]) >= MIN_QUALITY)

    def summary(self) -> dict:
        return {"frame_count": self.frame_count, "duration": round(self.duration, 3),
                "hashed_frames": len(self.frames), "usable_frames": self.usable_frames,
                "seconds_per_hash": self.seconds_per_hash, "width": self.width, "height": self.height}


def _error(message: str, code: str, status: int = 400) -> MediaError:
    return MediaError(message, code=code, status=status)


def clock(seconds: float) -> str:
    """m:ss, or h:mm:ss from an hour."""
    whole = int(seconds)
    if whole >= 3600:
        return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    return f"{whole // 60}:{whole % 60:02d}"


def _frame_time(frame: av.VideoFrame, index: int, rate: float) -> float:
    if frame.pts is not None and frame.time_base is not None:
        return float(frame.pts * frame.time_base)
    return index / rate


def vpdq(data: bytes, container: str, *, seconds_per_hash: float = 1.0, max_seconds: float | None,
         max_cpu_seconds: float | None) -> VideoHash:
    """The vPDQ of the first video stream of `data`, a `container` file (an FFmpeg demuxer name);
    a limit of None is no limit (the partner client hashing a partner's own files)."""
    if not (seconds_per_hash == 0 or 0 < seconds_per_hash <= MAX_SECONDS_PER_HASH):
        raise ValueError(seconds_per_hash)
    started = time.thread_time()
    try:
        video = av.open(BytesIO(data), format=container)
    except (av.FFmpegError, ValueError, EOFError, OSError):
        raise _error("The file starts like a video but its container cannot be read: it is corrupt or truncated.",
                     "corrupt_video") from None
    try:
        return _hash_stream(video, seconds_per_hash, math.inf if max_seconds is None else max_seconds,
                            math.inf if max_cpu_seconds is None else max_cpu_seconds, started)
    finally:
        video.close()


def _hash_stream(video, seconds_per_hash: float, max_seconds: int, max_cpu_seconds: float,
                 started: float) -> VideoHash:
    if not video.streams.video:
        kinds = sorted({s.type for s in video.streams})
        if not kinds:
            raise _error("The file starts like a video but holds no stream that can be read: it is corrupt or "
                         "empty.", "corrupt_video")
        raise _error(f"The file holds only {' and '.join(kinds)}: no video stream to hash.", "no_video_stream")
    stream = video.streams.video[0]
    stream.thread_type = "NONE"  # decode on this thread only: thread_time() is the video's whole cost
    stream.codec_context.thread_count = 1
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > MAX_FRAME_PIXELS:
        raise _error(f"The video's frames are {width:,}x{height:,} pixels; at most {MAX_FRAME_PIXELS:,} "
                     "(4096x2160) are hashed on the server.", "video_frame_too_large", 413)
    declared = _declared_seconds(video, stream)
    if declared is not None and declared > max_seconds:
        raise _too_long(declared, max_seconds)
    rate = float(stream.average_rate or stream.guessed_rate or 30)
    frames, first, last, count, next_sample = [], None, 0.0, 0, 0.0
    try:
        for frame in video.decode(stream):
            moment = _frame_time(frame, count, rate)
            first = moment if first is None else first
            offset = max(moment - first, 0.0)
            count += 1
            if offset > max_seconds:
                raise _too_long(offset, max_seconds)
            if frame.width * frame.height > MAX_FRAME_PIXELS:  # a stream may change size midway
                raise _error(f"The video has frames of {frame.width:,}x{frame.height:,} pixels; at most "
                             f"{MAX_FRAME_PIXELS:,} are hashed on the server.", "video_frame_too_large", 413)
            last = max(last, offset)
            if seconds_per_hash == 0 or offset >= next_sample:
                bits, quality = pdqhash.compute(frame.to_ndarray(format="rgb24"))
                frames.append(f"{pdq_hex(bits)},{int(quality)},{signatures.vpdq_timestamp(repr(offset))}")
                if seconds_per_hash:
                    next_sample = (math.floor(offset / seconds_per_hash + 1e-9) + 1) * seconds_per_hash
                if len(frames) > signatures.VPDQ_MAX_FRAMES:
                    raise _error(f"The video has more than {signatures.VPDQ_MAX_FRAMES:,} frames to hash; hash "
                                 "fewer frames a second.", "video_too_many_frames", 413)
            if time.thread_time() - started > max_cpu_seconds:
                raise _error(
                    f"Hashing stopped at {clock(offset)}: the server spends at most {max_cpu_seconds:g} s of "
                    "CPU on one video. Hash fewer frames a second, or hash the video where it is with the "
                    "partner client.", "video_cpu_limit", 413)
    except (av.FFmpegError, EOFError, OSError, ValueError):
        where = f" after {clock(last)}" if count else ""
        raise _error(f"The video is corrupt or truncated: decoding failed{where}.", "corrupt_video") from None
    if not frames:
        raise _error("The video holds no frame that can be decoded.", "no_video_frames")
    if all(int(f.split(",")[1]) < MIN_QUALITY for f in frames):
        raise _error(
            f"Every hashed frame of this video has PDQ quality below {MIN_QUALITY} (blank or nearly featureless "
            "pictures), so it has no usable vPDQ: such frames would match unrelated videos. Submit its MD5, "
            "SHA-1 and SHA-256 alone.", "no_usable_video_frames")
    return VideoHash(frames=frames, frame_count=count, duration=round(last + 1 / rate, 6),
                     seconds_per_hash=seconds_per_hash, width=width, height=height)


def _declared_seconds(video, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if video.duration is not None:
        return video.duration / av.time_base
    return None


def _too_long(seconds: float, limit: int):
    return _error(f"The video is longer than the {clock(limit)} the server hashes (it runs {clock(seconds)}"
                  " or more). Hash it where it is with the partner client and submit the hashes.",
                  "video_too_long", 413)
