"""Hash an uploaded file in memory (DESIGN.md sections 1 and 2).

The media type comes from the file's first bytes, never from its name. Every file gets MD5, SHA-1
and SHA-256; images also get Meta's PDQ, videos vPDQ (curation/hashing/video.py). Nothing here
writes a file, caches or logs the bytes: the caller drops them once `hash_bytes` returns (invariant
1). Every failure is a `MediaError` carrying the HTTP status the API answers with (invariant 8),
never a bare exception from a decoder.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from io import BytesIO

import numpy as np
import pdqhash
from PIL import ExifTags, Image, UnidentifiedImageError

from baseline_client.hashing import pixels, signatures, video
from baseline_client.hashing.errors import MediaError, pdq_hex

# Pillow's default ceiling, restated so that a change to the global `Image.MAX_IMAGE_PIXELS` elsewhere
# (or setting it to None) cannot switch our check off: we test the header's size against this too.
MAX_IMAGE_PIXELS = 89_478_485

# The reference PDQ hasher (ThreatExchange pdq/cpp/io/pdqio.cpp) first downsamples anything larger
# than 512 pixels, because its Jarosz filter is slow on big images. Measured on the reference data,
# Pillow's `thumbnail` to 512x512 (aspect kept, bicubic) lands on the published hashes (distance 0
# for all but the featureless q0003.jpg, quality 3, at 10), while hashing the full-size image drifts
# by up to 12 bits and a square 512x512 resize, as pdqio.cpp does, by up to 10.
PDQ_WORKING_SIZE = 512

IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF")
_DECODED_FORMATS = {*IMAGE_FORMATS, "MPO"}  # Pillow names a JPEG with a multi-picture index "MPO"

UNSUPPORTED = (
    "neither an image nor a video we can hash (images: JPEG, PNG, GIF, BMP, WebP, TIFF; videos: "
    "MP4/MOV/3GP, WebM/MKV, AVI, MPEG-PS, MPEG-TS, FLV, WMV/ASF)"
)


@dataclass(frozen=True)
class HashResult:
    media_type: str
    signatures: list[dict]
    video: dict | None = None  # a video's frame count, duration and sampling (video.VideoHash.summary)

    def as_dict(self) -> dict:
        found = {"media_type": self.media_type, "signatures": [dict(s) for s in self.signatures]}
        return found if self.video is None else {**found, "video": dict(self.video)}


# ---------------------------------------------------------------------------------------------------
# Sniffing: magic bytes only.

_BMP_HEADER_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})  # the DIB headers Pillow reads
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, both byte orders
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")  # the ASF Header Object GUID
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_TS_PACKET = 188
# ISO BMFF is also the container of HEIF/HEIC, AVIF and Canon CR3 still images, and of M4A audio.
# Their major brand tells them apart; they are not videos, so they must not pass as videos.
_ISO_IMAGE_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis", b"crx "}
)
_ISO_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "})
# QuickTime files written before `ftyp` existed open with one of these atoms instead.
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


def _image_format(data: bytes) -> str | None:
    """Pillow's name for the allowed image format `data` starts like, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:4] in _TIFF_MAGIC:
        return "TIFF"
    # "BM" alone is two bytes of chance; the DIB header size after the file header makes it specific.
    if data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "BMP"
    return None


def _iso_bmff_brand(data: bytes) -> bytes | None:
    """The major brand of an ISO BMFF file (MP4, MOV, 3GP, HEIF...), else None."""
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return data[8:12]
    return None


def _is_video(data: bytes) -> bool:
    brand = _iso_bmff_brand(data)
    if brand is not None:
        return brand not in _ISO_IMAGE_BRANDS and brand not in _ISO_AUDIO_BRANDS
    return (
        (len(data) >= 8 and data[4:8] in _QUICKTIME_ATOMS)
        or data.startswith(_EBML_MAGIC)  # WebM, Matroska
        or (data[:4] == b"RIFF" and data[8:12] == b"AVI ")
        or data.startswith(b"\x00\x00\x01\xba")  # MPEG program stream pack header
        or _is_mpeg_ts(data)
        or data.startswith(b"FLV\x01")
        or data.startswith(_ASF_GUID)  # WMV, WMA, ASF
    )


def container_format(data: bytes) -> str | None:
    """The FFmpeg demuxer for the video container `data` starts like (as `_is_video` tells it), else None."""
    if _iso_bmff_brand(data) is not None or (len(data) >= 8 and data[4:8] in _QUICKTIME_ATOMS):
        return "mov"  # MP4, MOV, 3GP
    if data.startswith(_EBML_MAGIC):
        return "matroska"  # WebM too
    if data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return "avi"
    if data.startswith(b"\x00\x00\x01\xba"):
        return "mpeg"
    if _is_mpeg_ts(data):
        return "mpegts"
    if data.startswith(b"FLV\x01"):
        return "flv"
    if data.startswith(_ASF_GUID):
        return "asf"
    return None


def _is_mpeg_ts(data: bytes) -> bool:
    # One 0x47 is 1 in 256 by chance; three at packet spacing is a transport stream.
    return len(data) > 2 * _TS_PACKET and all(data[i * _TS_PACKET] == 0x47 for i in range(3))


def sniff(data: bytes) -> str | None:
    """Return "image" or "video" from the content's magic bytes, or None for anything we cannot hash."""
    if _image_format(data) is not None:
        return signatures.IMAGE
    if _is_video(data):
        return signatures.VIDEO
    return None


def _unsupported(data: bytes) -> MediaError:
    if not data:
        message = f"The file is empty: {UNSUPPORTED}."
    elif _iso_bmff_brand(data) in _ISO_IMAGE_BRANDS:
        message = (
            "HEIF/HEIC, AVIF and camera-raw images cannot be hashed; convert them to JPEG or PNG. "
            f"The file is {UNSUPPORTED}."
        )
    else:
        message = f"The file is {UNSUPPORTED}."
    return MediaError(message, code="unsupported_media_type", status=415)


# ---------------------------------------------------------------------------------------------------
# Decoding an image safely.


_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}  # what ImageOps.exif_transpose does for each EXIF orientation


def _open_image(data: bytes, fmt: str) -> tuple[Image.Image, tuple[int, int], tuple[float, float]]:
    """(the first frame decoded, its declared size, the picture's extent in decoded pixels) once the
    header passed both size checks; a JPEG decodes at reduced scale. Raises Pillow's own errors, and
    MediaError (413) over the format's cap; `_decoded_rgb` maps them."""
    # `formats` pins the one plugin the magic bytes named, so EPS/PostScript (Ghostscript) or any
    # other format is never even tried, whatever Pillow's registry holds.
    image = Image.open(BytesIO(data), formats=[fmt])
    if image.format not in _DECODED_FORMATS:
        raise UnidentifiedImageError(f"decoded as {image.format}")
    size, count = image.size, image.width * image.height
    if count > MAX_IMAGE_PIXELS:
        raise Image.DecompressionBombError(f"{image.width}x{image.height} pixels")
    limit, kind = pixels.pixel_cap(image, data)
    if count > limit:
        raise MediaError(
            f"The image is {image.width:,}x{image.height:,} pixels ({count:,}); {kind} may have at most "
            f"{limit:,} pixels. Scale it down to hash it.", code="image_too_large", status=413,
        )
    extent = pixels.draft_jpeg(image, PDQ_WORKING_SIZE)
    image.load()  # decode now, inside the guard: Image.open only reads the header
    return image, size, extent


def _decoded_rgb(data: bytes, fmt: str) -> Image.Image:
    """The first frame as upright 8-bit RGB, at most PDQ_WORKING_SIZE on a side; MediaError otherwise."""
    name = "WebP" if fmt == "WEBP" else fmt
    try:
        with warnings.catch_warnings():
            # Above MAX_IMAGE_PIXELS Pillow only warns (it raises at twice that): make both refusals.
            # The warning filter is process-wide, not per thread; under a threaded server the explicit
            # size check in `_open_image` is what holds.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image, size, extent = _open_image(data, fmt)
            return _to_working_size(image, size, extent)
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(
            f"The {name} image declares more than {MAX_IMAGE_PIXELS:,} pixels; it is refused as a "
            "possible decompression bomb.",
            code="decompression_bomb", status=400,
        ) from None
    except MemoryError:
        raise MediaError(f"The {name} image is too large to decode.", code="image_too_large", status=413) from None
    except Exception as exc:  # any decoder failure on untrusted bytes is the file's fault, never a 500
        raise MediaError(_corrupt_message(name, exc), code="corrupt_image", status=400) from None


def _to_working_size(image: Image.Image, size: tuple[int, int], extent: tuple[float, float]) -> Image.Image:
    """Upright RGB at the size `Image.thumbnail` gives, with what it would compute at full size: a
    large image is first reduced (strip-wise, before any mode conversion) by the very factor that
    `thumbnail` reduces by, so conversion and alpha compositing run on the small image."""
    transpose = _TRANSPOSE.get(image.getexif().get(ExifTags.Base.Orientation, 1))
    final = pixels.working_size(*size, PDQ_WORKING_SIZE)
    factor = pixels.reduction_factor(extent, final)
    if factor == (1, 1) and extent == image.size:  # nothing to save: the full-size path, unchanged
        upright = image if transpose is None else image.transpose(transpose)
        # Already plain RGB (most photographs): convert("RGB") would only copy it (a millisecond a
        # picture); the decoded image is ours to reduce in place.
        plain = upright.mode == "RGB" and "transparency" not in upright.info
        rgb = upright if plain else image_to_rgb(upright)
        rgb.thumbnail((PDQ_WORKING_SIZE, PDQ_WORKING_SIZE), Image.Resampling.BICUBIC)
        return rgb
    if factor != (1, 1):
        grey_range = _grey_range(image) if image.mode in _WIDE_GREY else None  # averaging narrows it
        image = pixels.reduce_in_strips(image, factor)
        if grey_range is not None:
            image = _wide_grey_to_l(image, grey_range)
    box = (0, 0, extent[0] / factor[0], extent[1] / factor[1])
    rgb = image_to_rgb(image).resize(final, Image.Resampling.BICUBIC, box=box)
    return rgb if transpose is None else rgb.transpose(transpose)


def _corrupt_message(name: str, exc: Exception) -> str:
    # Fixed wording: a decoder's own message may quote internals, and errors end up in logs.
    if "truncated" in str(exc).lower() or isinstance(exc, EOFError):
        return f"The {name} image is truncated: the file ends before the picture does."
    return f"The file starts like a {name} image but is corrupt and cannot be decoded."


# ---------------------------------------------------------------------------------------------------
# Any Pillow mode to 8-bit RGB, the input PDQ is defined on.

_WIDE_GREY = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I", "F"})
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})


def image_to_rgb(image: Image.Image) -> Image.Image:
    """An 8-bit RGB rendering of `image` as a viewer would show it (transparency over white)."""
    if image.mode in _WIDE_GREY:
        return _wide_grey_to_l(image).convert("RGB")
    if image.mode == "1":
        image = image.convert("L")
    try:
        if image.mode in _ALPHA_MODES or "transparency" in image.info:
            return _over_white(image)
        return image.convert("RGB")  # L, P, RGB, CMYK, YCbCr, LAB, HSV: Pillow converts these exactly
    except ValueError:
        raise MediaError(
            f"Images in pixel mode {image.mode} cannot be hashed.", code="unsupported_image_mode", status=415,
        ) from None


def _over_white(image: Image.Image) -> Image.Image:
    # Dropping alpha would expose whatever colour sits under transparent pixels (often black or
    # junk); a viewer shows the background, and PDQ should hash what people see.
    rgba = image.convert("RGBA")  # also applies a palette's or tRNS chunk's transparency
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _wide_grey_to_l(image: Image.Image, grey_range: tuple[float, float] | None = None) -> Image.Image:
    """16- and 32-bit greyscale scaled (not clipped, as `convert("L")` does) into 0-255."""
    low, high = grey_range or _grey_range(image)
    working = image if image.mode in ("I", "F") else image.convert("I")
    scale = 255 / (high - low) if high > low else 0.0

    def transform(v: Image.ImagePointTransform) -> Image.ImagePointTransform:
        return v * scale - low * scale  # affine, so Pillow applies it to I and F images directly

    return working.point(transform).convert("L")


def _grey_range(image: Image.Image) -> tuple[float, float]:
    """The range the pixel values are meant in: fixed for 16-bit, else the smallest usual one."""
    if image.mode.startswith("I;16"):
        return 0, 65535
    low, high = image.getextrema()
    if not (math.isfinite(low) and math.isfinite(high)):
        raise MediaError(
            "The image holds non-finite pixel values and cannot be hashed.", code="corrupt_image", status=400,
        )
    if image.mode == "F" and low >= 0 and high <= 1:
        return 0, 1  # floating-point images are usually normalised
    for top in (255, 65535):
        if low >= 0 and high <= top:
            return 0, top
    return low, high  # signed or wider data: stretch what is there


# ---------------------------------------------------------------------------------------------------
# PDQ and the public entry points.


def pdq_from_image_bytes(data: bytes) -> tuple[str, int]:
    """(PDQ as 64 lowercase hex, quality 0-100) of the first frame of an image file."""
    fmt = _image_format(data)
    if fmt is None:
        raise _unsupported(data)
    rgb = _decoded_rgb(data, fmt)
    bits, quality = pdqhash.compute(np.asarray(rgb, dtype=np.uint8))
    return pdq_hex(bits), int(quality)


def hamming_distance(a_hex: str, b_hex: str) -> int:
    """Bits in which two PDQ hashes differ (they match at <= signatures.PDQ_MATCH_DISTANCE)."""
    a, b = signatures.normalise("pdq", a_hex), signatures.normalise("pdq", b_hex)
    return (int(a, 16) ^ int(b, 16)).bit_count()


def hash_bytes(data: bytes, *, max_bytes: int | None = None, seconds_per_hash: float = 1.0,
               max_seconds: float | None = video.DEFAULT_MAX_SECONDS,
               max_cpu_seconds: float | None = video.DEFAULT_MAX_CPU_SECONDS) -> HashResult:
    """Every signature the service computes for a file; MediaError (400, 413 or 415) otherwise. A
    video's vPDQ samples one frame per `seconds_per_hash` of video time (0: every frame), stopping
    at `max_seconds` of video or `max_cpu_seconds` of decoding (None: no limit; the service passes
    its settings, the partner client its options)."""
    if max_bytes is not None and len(data) > max_bytes:
        raise MediaError(
            f"The file is {len(data):,} bytes; the limit is {max_bytes:,}.", code="file_too_large", status=413,
        )
    media_type = sniff(data)
    if media_type is None:
        raise _unsupported(data)
    found = [{"algorithm": name, "value": value} for name, value in signatures.cryptographic_hashes(data).items()]
    if media_type == signatures.IMAGE:
        value, quality = pdq_from_image_bytes(data)
        found.append({"algorithm": "pdq", "value": value, "quality": quality})
        return HashResult(media_type=media_type, signatures=found)
    hashed = video.vpdq(data, container_format(data), seconds_per_hash=seconds_per_hash,
                        max_seconds=max_seconds, max_cpu_seconds=max_cpu_seconds)
    found.append({"algorithm": "vpdq", "value": json.dumps(hashed.frames, separators=(",", ":"))})
    return HashResult(media_type=media_type, signatures=found, video=hashed.summary())
