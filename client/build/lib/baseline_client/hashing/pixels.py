"""How big an image may be, and how it is brought down to PDQ's working size without full-size copies.

Decoding memory is what bounds a hashing request (issue 11): a 344 KB all-zero 9400x9400 RGBA PNG
used to cost one worker 1.7 GB. So, before anything is decoded (Pillow's `Image.open` reads only the
header), the image's pixels are held against a cap for its format:

- a JPEG whose scans are interleaved (ordinary baseline) decodes straight to a reduced size (libjpeg's
  DCT scaling, Pillow's `draft`) one row of blocks at a time: up to `JPEG_MAX_PIXELS`;
- a progressive or multi-scan JPEG makes libjpeg keep every DCT coefficient of the whole image (2 bytes
  per sample) whatever the output size: its cap follows from `JPEG_COEFFICIENT_BYTES` and the colour
  sampling (32 MP for ordinary 4:2:0 colour, 16 MP at 4:4:4, 12 MP for CMYK);
- PNG, GIF, BMP decode whole, at up to 4 bytes a pixel: up to `WHOLE_DECODE_MAX_PIXELS`; TIFF (libtiff
  keeps a strip buffer besides the image) and WebP (libwebp's canvas, its copy, then Pillow's image:
  about 15 bytes a pixel, measured) less, `WHOLE_DECODE_CAPS`.

Once decoded, an image larger than twice the working size is box-reduced by the integer factor
`Image.thumbnail` would use, before mode conversion and alpha compositing, strip by strip, so that no
second full-size copy (RGBA premultiplied, 32-bit grey, palette expanded) is ever made. `bench/images.py`
measures the result (`make bench BENCH=images`).
"""

from __future__ import annotations

import math

from PIL import Image

JPEG_MAX_PIXELS = 50_000_000
JPEG_COEFFICIENT_BYTES = 96_000_000
WHOLE_DECODE_MAX_PIXELS = 24_000_000
WHOLE_DECODE_CAPS = {"PNG": WHOLE_DECODE_MAX_PIXELS, "GIF": WHOLE_DECODE_MAX_PIXELS, "BMP": WHOLE_DECODE_MAX_PIXELS,
                     "TIFF": 20_000_000, "WEBP": 8_000_000}
STRIP_PIXELS = 1_000_000  # source pixels converted at a time while reducing

_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_PROGRESSIVE_SOF = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length


def _jpeg_frame(data: bytes) -> tuple[bool, list[tuple[int, int]], int | None]:
    """(progressive, [(h, v) sampling per component], components in the first scan) from the markers
    before the first scan. Read-only and bounded: each step moves forward; anything odd stops it."""
    progressive, sampling, first_scan = False, [], None
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        body = data[pos + 4:pos + 2 + length]
        if marker in _SOF_MARKERS and len(body) >= 6:
            progressive = marker in _PROGRESSIVE_SOF
            count = body[5]
            sampling = [(b >> 4, b & 15) for b in body[7:6 + 3 * count:3]]
        elif marker == 0xDA and body:
            first_scan = body[0]
            break
        if length < 2:
            break
        pos += 2 + length
    return progressive, sampling, first_scan


def pixel_cap(image: Image.Image, data: bytes) -> tuple[int, str]:
    """(the most pixels this image may have, how to name its kind in a refusal)."""
    if image.format not in ("JPEG", "MPO"):
        cap = WHOLE_DECODE_CAPS.get(image.format, min(WHOLE_DECODE_CAPS.values()))
        return cap, f"{'WebP' if image.format == 'WEBP' else image.format} images"
    progressive, sampling, first_scan = _jpeg_frame(data)
    if not progressive and (first_scan is None or first_scan >= len(sampling)):
        return JPEG_MAX_PIXELS, "JPEG images"
    # Every coefficient of the image is kept: 2 bytes per sample, components subsampled by their factors.
    h_max = max((h for h, _ in sampling), default=1) or 1
    v_max = max((v for _, v in sampling), default=1) or 1
    samples_per_pixel = sum(h * v for h, v in sampling) / (h_max * v_max) or 1
    kind = "progressive" if progressive else "multi-scan"
    limit = min(JPEG_MAX_PIXELS, int(JPEG_COEFFICIENT_BYTES / (2 * samples_per_pixel)) // 1_000_000 * 1_000_000)
    return limit, f"{kind} JPEG images with this colour sampling"


def working_size(width: int, height: int, bound: int) -> tuple[int, int]:
    """The size `Image.thumbnail((bound, bound))` gives an image of this size (aspect kept)."""
    if width <= bound and height <= bound:
        return width, height
    aspect = width / height
    x = y = bound

    def round_aspect(number: float, key) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    if x / y >= aspect:
        x = round_aspect(y * aspect, key=lambda n: abs(aspect - n / y))
    else:
        y = round_aspect(x / aspect, key=lambda n: 0 if n == 0 else abs(aspect - x / n))
    return x, y


def draft_jpeg(image: Image.Image, bound: int) -> tuple[float, float]:
    """Have libjpeg decode a JPEG at 1/2, 1/4 or 1/8 scale, never below twice the working size (as
    `Image.thumbnail` itself does with its default reducing_gap). Returns the picture's extent in
    decoded pixels (the last row and column of a scaled decode may be partly outside it)."""
    if image.format in ("JPEG", "MPO"):
        drafted = image.draft(None, (2 * bound, 2 * bound))
        if drafted is not None:
            return drafted[1][2], drafted[1][3]
    return float(image.width), float(image.height)


def reduction_factor(extent: tuple[float, float], final: tuple[int, int]) -> tuple[int, int]:
    """The integer box reduction `Image.resize(..., reducing_gap=2.0)` makes first."""
    return max(int(extent[0] / final[0] / 2.0), 1), max(int(extent[1] / final[1] / 2.0), 1)


def _reducible_mode(image: Image.Image) -> str | None:
    """The mode a strip is converted to before reducing (None: reduce as it is)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return "F"
    if image.mode in ("LA", "La", "PA", "RGBA", "RGBa") or "transparency" in image.info:
        return "RGBA"  # reduce() averages RGBA premultiplied, which commutes with compositing over white
    if image.mode == "1":
        return "L"
    if image.mode in ("L", "RGB"):
        return None
    return "RGB"  # P, CMYK, YCbCr, LAB, HSV: a palette index or a non-linear mapping cannot be averaged


def reduce_in_strips(image: Image.Image, factor: tuple[int, int]) -> Image.Image:
    """`image` box-reduced by `factor`, converted first (strip by strip) to a mode that can be averaged."""
    mode = _reducible_mode(image)
    if mode is None:
        return image.reduce(factor)  # no conversion: Pillow reduces in place into a small image
    fx, fy = factor
    width, height = image.size
    reduced = Image.new(mode, (-(-width // fx), -(-height // fy)))
    rows = max(fy, STRIP_PIXELS // width // fy * fy)  # a whole number of reduction blocks
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(top + rows, height))).convert(mode)
        reduced.paste(strip.reduce(factor), (0, top // fy))
    return reduced
