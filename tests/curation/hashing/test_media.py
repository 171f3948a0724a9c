"""curation.media: hashing in memory, PDQ conformance, safe decoding and sniffing (DESIGN.md 1 and 2).

Pure tests: no database. Test data are the ordinary photographs of shared/testdata (see its README)
and synthetic images made here.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import random
import struct
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from baseline_client.hashing import media, signatures
from baseline_client.hashing.media import MediaError, hamming_distance, hash_bytes, pdq_from_image_bytes, sniff
from PIL import Image

from tests.curation.helpers import TESTDATA, no_file_writes

PDQ_DATA = TESTDATA / "pdq"
CONFORMANCE_DISTANCE = 16  # what the reference suite allows a conforming implementation


def _expected(csv_path: Path, prefix: str = "") -> list[tuple[str, str]]:
    with csv_path.open(newline="") as f:
        return [(prefix + row["file"], row["pdq"]) for row in csv.DictReader(f)]


EXPECTED = _expected(PDQ_DATA / "expected.csv") + _expected(PDQ_DATA / "reference" / "expected.csv", "reference/")
EXPECTED_BY_FILE = dict(EXPECTED)
BRIDGE = PDQ_DATA / "bridge-mods" / "aaa-orig.jpg"
BRIDGE_PDQ = EXPECTED_BY_FILE["bridge-mods/aaa-orig.jpg"]
VIDEOS = sorted((TESTDATA / "vpdq").glob("*.mp4"))


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def pattern_grey() -> Image.Image:
    """A deterministic 256x256 greyscale picture with plenty of structure (PDQ quality 100)."""
    return Image.effect_mandelbrot((256, 256), (-2.0, -1.5, 1.0, 1.5), 64)


def pattern_rgb() -> Image.Image:
    grey = pattern_grey()
    return Image.merge("RGB", (grey, grey.rotate(90), grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def pdq(data: bytes) -> str:
    return pdq_from_image_bytes(data)[0]


def distance_to(data: bytes, reference_hex: str) -> int:
    return hamming_distance(pdq(data), reference_hex)


# ---------------------------------------------------------------------------------------------------
# 1-3. Conformance with the reference PDQ hashes.


def test_testdata_is_present() -> None:
    assert len(EXPECTED) == 19 and len(VIDEOS) == 5, f"shared test data missing under {TESTDATA}"


@pytest.mark.parametrize(("name", "expected"), EXPECTED, ids=[name for name, _ in EXPECTED])
def test_pdq_matches_the_reference_implementation(name: str, expected: str) -> None:
    value, quality = pdq_from_image_bytes((PDQ_DATA / name).read_bytes())
    assert len(value) == 64 and value == value.lower() and 0 <= quality <= 100
    assert hamming_distance(value, expected) <= CONFORMANCE_DISTANCE


def test_pdq_bit_order_is_the_reference_one() -> None:
    # Exactly equal, not merely close: the bridge photo is the reference suite's own b.jpg.
    assert pdq(BRIDGE.read_bytes()) == BRIDGE_PDQ


def test_each_rotation_has_its_own_hash() -> None:
    # PDQ is not rotation-invariant: the reference lists distinct hashes for the eight dihedral
    # versions, and ours must tell them apart beyond the match threshold too.
    rotated = pdq((PDQ_DATA / "reference" / "bridge-3-rotate-180.jpg").read_bytes())
    assert hamming_distance(rotated, BRIDGE_PDQ) > signatures.PDQ_MATCH_DISTANCE


@pytest.mark.parametrize("path", sorted((PDQ_DATA / "bridge-mods").glob("*.jpg")), ids=lambda p: p.name)
def test_edits_are_near_duplicates_but_cryptographically_distinct(path: Path) -> None:
    result = _by_algorithm(hash_bytes(path.read_bytes()))
    assert hamming_distance(result["pdq"]["value"], BRIDGE_PDQ) <= signatures.PDQ_MATCH_DISTANCE
    if path != BRIDGE:
        original = signatures.cryptographic_hashes(BRIDGE.read_bytes())
        for algorithm in signatures.CRYPTOGRAPHIC:
            assert result[algorithm]["value"] != original[algorithm]


def test_featureless_image_has_low_quality_and_is_refused() -> None:
    _, quality = pdq_from_image_bytes((PDQ_DATA / "misc" / "small.jpg").read_bytes())
    assert quality < signatures.PDQ_MIN_QUALITY
    with pytest.raises(signatures.SignatureError, match=r"^pdq: quality"):
        signatures.check_quality("pdq", quality)


def _by_algorithm(result: media.HashResult) -> dict[str, dict]:
    return {s["algorithm"]: s for s in result.signatures}


# ---------------------------------------------------------------------------------------------------
# The shape of a result.


def test_image_result_has_every_computed_signature_in_canonical_form() -> None:
    data = BRIDGE.read_bytes()
    result = hash_bytes(data)
    assert result.media_type == "image"
    assert [s["algorithm"] for s in result.signatures] == ["md5", "sha1", "sha256", "pdq"]
    found = _by_algorithm(result)
    assert found["md5"]["value"] == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert found["sha1"]["value"] == hashlib.sha1(data, usedforsecurity=False).hexdigest()
    assert found["sha256"]["value"] == hashlib.sha256(data).hexdigest()
    for signature in result.signatures:
        canonical = signatures.normalise(signature["algorithm"], signature["value"], media_type="image")
        assert canonical == signature["value"]
    assert found["pdq"]["quality"] == 100
    assert result.as_dict()["signatures"] == result.signatures


@pytest.mark.parametrize("path", VIDEOS, ids=lambda p: p.name)
def test_video_gets_cryptographic_hashes_and_vpdq(path: Path) -> None:
    data = path.read_bytes()
    result = hash_bytes(data)
    assert result.media_type == "video"
    found = {s["algorithm"]: s["value"] for s in result.signatures}
    assert found.pop("vpdq") == signatures.normalise("vpdq", found.get("vpdq", "") or result.signatures[3]["value"])
    assert found == signatures.cryptographic_hashes(data)


def test_over_the_size_limit_is_413() -> None:
    data = BRIDGE.read_bytes()
    with pytest.raises(MediaError) as caught:
        hash_bytes(data, max_bytes=len(data) - 1)
    assert (caught.value.status, caught.value.code) == (413, "file_too_large")
    assert hash_bytes(data, max_bytes=len(data)).media_type == "image"


def test_hamming_distance() -> None:
    assert hamming_distance("0" * 64, "F" * 64) == 256
    assert hamming_distance(BRIDGE_PDQ, f" {BRIDGE_PDQ.upper()} ") == 0
    with pytest.raises(signatures.SignatureError, match=r"^pdq:"):
        hamming_distance("abc", BRIDGE_PDQ)


# ---------------------------------------------------------------------------------------------------
# 4. Every pixel mode becomes the RGB a viewer would show.


def _mode_cases() -> list[tuple[str, bytes, str]]:
    """(expected decoded mode, file bytes, reference hash) for each mode a file can decode to."""
    rgb, grey = pattern_rgb(), pattern_grey()
    rgb_pdq, grey_pdq = pdq(encode(rgb, "PNG")), pdq(encode(grey, "PNG"))
    bilevel = grey.convert("1", dither=Image.Dither.NONE)
    sixteen = grey.convert("I").point(lambda v: v * 257)  # the same picture on 0-65535
    return [
        ("P", encode(rgb.quantize(256), "PNG"), rgb_pdq),
        ("P", encode(rgb.quantize(256), "GIF"), rgb_pdq),
        ("LA", encode(grey.convert("LA"), "PNG"), grey_pdq),
        ("RGBA", encode(rgb.convert("RGBA"), "PNG"), rgb_pdq),
        ("RGBA", encode(_nearly_opaque(rgb), "WEBP", lossless=True), rgb_pdq),
        ("L", encode(grey, "PNG"), grey_pdq),
        ("L", encode(grey, "JPEG", quality=95), grey_pdq),
        ("1", encode(bilevel, "PNG"), pdq(encode(bilevel.convert("L"), "PNG"))),
        ("1", encode(bilevel, "BMP"), pdq(encode(bilevel.convert("L"), "PNG"))),
        ("CMYK", encode(rgb.convert("CMYK"), "JPEG", quality=95), rgb_pdq),
        ("CMYK", encode(rgb.convert("CMYK"), "TIFF"), rgb_pdq),
        ("I;16", encode(sixteen.convert("I;16"), "PNG"), grey_pdq),
        ("I;16", encode(sixteen.convert("I;16"), "TIFF", compression="tiff_lzw"), grey_pdq),
        ("I", encode(sixteen, "TIFF"), grey_pdq),
        ("F", encode(grey.convert("F").point(lambda v: v / 255), "TIFF"), grey_pdq),
        ("LAB", encode(rgb.convert("LAB"), "TIFF"), rgb_pdq),
        ("YCbCr", encode(rgb.convert("YCbCr"), "TIFF"), rgb_pdq),
        ("RGB", encode(rgb, "BMP"), rgb_pdq),
        ("RGB", encode(rgb, "WEBP", lossless=True), rgb_pdq),
    ]


def _nearly_opaque(image: Image.Image) -> Image.Image:
    # WebP drops an alpha channel that is fully opaque; keep one so that the case decodes as RGBA.
    image = image.convert("RGBA")
    image.putalpha(250)
    return image


MODE_CASES = _mode_cases()


@pytest.mark.parametrize(
    ("mode", "data", "reference"), MODE_CASES, ids=[f"{m}-{Image.open(BytesIO(d)).format}" for m, d, _ in MODE_CASES]
)
def test_every_mode_hashes_like_its_rgb_rendering(mode: str, data: bytes, reference: str) -> None:
    assert Image.open(BytesIO(data)).mode == mode  # the case really exercises that mode
    value, quality = pdq_from_image_bytes(data)
    assert quality >= signatures.PDQ_MIN_QUALITY
    assert hamming_distance(value, reference) <= CONFORMANCE_DISTANCE


@pytest.mark.parametrize("mode", ["PA", "RGBa", "HSV", "YCbCr", "LAB", "I;16B", "I;16L"])
def test_modes_no_file_here_decodes_to_still_convert(mode: str) -> None:
    base = pattern_rgb() if mode in ("HSV", "YCbCr", "LAB", "RGBa") else pattern_grey()
    if mode.startswith("I;16"):
        image = base.convert("I").point(lambda v: v * 257).convert(mode)
    elif mode == "PA":
        image = Image.merge(mode, (base.convert("P"), Image.new("L", base.size, 255)))
    else:
        image = base.convert(mode)
    rgb = media.image_to_rgb(image)
    assert (rgb.mode, rgb.size) == ("RGB", base.size)
    assert hamming_distance(pdq(encode(rgb, "PNG")), pdq(encode(base, "PNG"))) <= CONFORMANCE_DISTANCE


def test_a_mode_pillow_cannot_convert_is_415() -> None:
    # Premultiplied "La" comes from no decoder, but whatever cannot be rendered is refused cleanly.
    with pytest.raises(MediaError) as caught:
        media.image_to_rgb(Image.new("La", (8, 8)))
    assert (caught.value.status, caught.value.code) == (415, "unsupported_image_mode")


def _shade(x: int, y: int) -> float:
    # Not separable in x and y: PDQ ignores the DCT's first row and column, so a sum of a function of
    # x and one of y would leave only near-zero coefficients and hash as noise.
    ring = math.hypot(x - 60, y - 200) / 5
    return 0.5 + 0.2 * math.sin(x / 9 + y / 23) + 0.2 * math.cos(x * y / 2000) + 0.1 * math.sin(ring)


def _sixteen_bit_gradient() -> tuple[Image.Image, Image.Image]:
    """A smooth 16-bit greyscale picture and its 8-bit equivalent (the top byte of each value)."""
    size = 256
    values = [int(65535 * _shade(x, y)) for y in range(size) for x in range(size)]
    wide = Image.frombytes("I;16", (size, size), struct.pack(f"<{len(values)}H", *values))  # I;16 is little-endian
    narrow = Image.frombytes("L", (size, size), bytes(v >> 8 for v in values))
    return wide, narrow


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    wide, narrow = _sixteen_bit_gradient()
    wide_pdq, quality = pdq_from_image_bytes(encode(wide, "PNG"))
    assert quality >= signatures.PDQ_MIN_QUALITY
    assert hamming_distance(wide_pdq, pdq(encode(narrow, "PNG"))) <= CONFORMANCE_DISTANCE
    # What `convert("L")` would have done: everything above 255 becomes white, the picture is lost.
    clipped = pdq_from_image_bytes(encode(wide.convert("L").convert("RGB"), "PNG"))
    assert clipped[1] < signatures.PDQ_MIN_QUALITY


@pytest.mark.parametrize(("low", "high"), [(0, 255), (0, 65535), (-40000, 90000)])
def test_32_bit_grey_is_scaled_from_its_range(low: int, high: int) -> None:
    grey = pattern_grey()
    scaled = grey.convert("I").point(lambda v: v * ((high - low) / 255) + low)
    assert scaled.getextrema() == (low, high)
    rgb = media.image_to_rgb(scaled)
    assert rgb.convert("L").getextrema() == (0, 255)
    assert hamming_distance(pdq(encode(rgb, "PNG")), pdq(encode(grey, "PNG"))) <= CONFORMANCE_DISTANCE


def test_transparency_is_composited_over_white() -> None:
    rgb = pattern_rgb()
    hidden = rgb.transpose(Image.Transpose.ROTATE_90)  # colour data under fully transparent pixels
    left = (0, 0, rgb.width // 2, rgb.height)
    rgba = rgb.convert("RGBA")
    rgba.paste(hidden.crop(left), left)
    alpha = Image.new("L", rgb.size, 255)
    alpha.paste(0, left)
    rgba.putalpha(alpha)
    rgba.putpixel((200, 10), (255, 0, 0, 128))  # half-transparent red
    data = encode(rgba, "PNG")
    shown = media.image_to_rgb(Image.open(BytesIO(data)))
    assert shown.getpixel((10, 10)) == (255, 255, 255)
    assert shown.getpixel((200, 10)) in {(255, 127, 127), (255, 128, 128)}
    on_white = rgb.copy()
    on_white.paste((255, 255, 255), left)
    assert distance_to(data, pdq(encode(on_white, "PNG"))) <= 2
    # Dropping alpha naively would hash the hidden picture instead of what a viewer shows.
    assert distance_to(data, pdq(encode(rgba.convert("RGB"), "PNG"))) > signatures.PDQ_MATCH_DISTANCE


def test_palette_transparency_is_composited_over_white() -> None:
    image = pattern_rgb().quantize(255)
    image.paste(255, (0, 0, 64, 64))  # index 255: unused so far, made transparent below
    data = encode(image, "GIF", transparency=255)
    decoded = Image.open(BytesIO(data))
    assert decoded.mode == "P" and "transparency" in decoded.info
    assert media.image_to_rgb(decoded).getpixel((5, 5)) == (255, 255, 255)
    assert pdq_from_image_bytes(data)[1] >= signatures.PDQ_MIN_QUALITY


# ---------------------------------------------------------------------------------------------------
# Multi-frame images: the first frame is hashed.


def _two_frames() -> tuple[Image.Image, Image.Image]:
    first = pattern_rgb()
    return first, first.transpose(Image.Transpose.ROTATE_180)


@pytest.mark.parametrize(("fmt", "options"), [("GIF", {}), ("TIFF", {}), ("WEBP", {"lossless": True})])
def test_multi_frame_images_hash_their_first_frame(fmt: str, options: dict) -> None:
    first, second = _two_frames()
    data = encode(first, fmt, save_all=True, append_images=[second], **options)
    assert getattr(Image.open(BytesIO(data)), "n_frames", 1) == 2
    alone = encode(first, fmt, **options)
    assert hamming_distance(pdq(data), pdq(alone)) == 0
    assert hamming_distance(pdq(data), pdq(encode(second, fmt, **options))) > signatures.PDQ_MATCH_DISTANCE


# ---------------------------------------------------------------------------------------------------
# 5. EXIF orientation is applied before hashing.

# What a viewer does for each EXIF orientation, and the inverse a camera's pixels must have had.
_ORIENTATION_UNDONE_BY = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # the viewer turns 90 degrees clockwise, so pixels are turned back
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.fixture(scope="module")
def bridge_image() -> Image.Image:
    with Image.open(BRIDGE) as image:
        return image.convert("RGB")


@pytest.mark.parametrize("orientation", sorted(_ORIENTATION_UNDONE_BY))
def test_exif_orientation_is_applied(bridge_image: Image.Image, orientation: int) -> None:
    stored = bridge_image.transpose(_ORIENTATION_UNDONE_BY[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    assert hamming_distance(pdq(data), BRIDGE_PDQ) <= CONFORMANCE_DISTANCE
    # Without the tag the stored pixels hash as a different picture: the test has teeth.
    assert distance_to(encode(stored, "JPEG", quality=95), BRIDGE_PDQ) > signatures.PDQ_MATCH_DISTANCE


# ---------------------------------------------------------------------------------------------------
# 6. Sniffing: from content only.


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("JPEG", {}), ("PNG", {}), ("GIF", {}), ("WEBP", {}), ("TIFF", {}), ("TIFF", {"compression": "tiff_deflate"}),
     ("BMP", {})],
)
def test_allowed_image_formats_are_images(fmt: str, options: dict) -> None:
    data = encode(pattern_rgb(), fmt, **options)
    assert sniff(data) == "image"
    assert hash_bytes(data).media_type == "image"


def test_big_endian_tiff_is_an_image() -> None:
    data = encode(pattern_rgb(), "TIFF")
    assert data.startswith(b"II*\x00")
    # Pillow writes little-endian; build the big-endian variant's header by hand to check the magic.
    assert sniff(b"MM\x00*" + data[4:]) == "image"


def _ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"iso2" + bytes(64)


def _ts() -> bytes:
    packet = b"\x47\x40\x00\x10" + bytes(184)
    return packet * 4


VIDEO_HEADERS = {
    "mp4": _ftyp(b"isom"),
    "mov": _ftyp(b"qt  "),
    "3gp": _ftyp(b"3gp4"),
    "quicktime-without-ftyp": struct.pack(">I", 8) + b"wide" + struct.pack(">I", 1000) + b"mdat" + bytes(64),
    "webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + bytes(64),
    "avi": b"RIFF" + struct.pack("<I", 2048) + b"AVI LIST" + bytes(64),
    "mpeg-ps": b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01" + bytes(64),
    "mpeg-ts": _ts(),
    "flv": b"FLV\x01\x05\x00\x00\x00\x09" + bytes(64),
    "asf": bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c") + bytes(64),
}


@pytest.mark.parametrize("data", VIDEO_HEADERS.values(), ids=VIDEO_HEADERS.keys())
def test_video_container_headers_are_videos_but_a_header_alone_is_corrupt(data: bytes) -> None:
    assert sniff(data) == "video"
    with pytest.raises(MediaError) as caught:
        hash_bytes(data)
    assert caught.value.status == 400 and caught.value.code in ("corrupt_video", "no_video_frames")


@pytest.mark.parametrize("path", VIDEOS, ids=lambda p: p.name)
def test_real_mp4_files_are_videos(path: Path) -> None:
    assert sniff(path.read_bytes()) == "video"


NOT_MEDIA = {
    "eps": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto showpage\n",
    "dos-eps": b"\xc5\xd0\xd3\xc6" + bytes(28) + b"%!PS-Adobe-3.0 EPSF-3.0\n",
    "pdf": b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
    "random": random.Random(20240501).randbytes(4096),
    "empty": b"",
    "text-named-jpg": b"This file is called holiday.jpg but it is only text.\n",
    "svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
    "heic": _ftyp(b"heic"),
    "avif": _ftyp(b"avif"),
    "m4a-audio": _ftyp(b"M4A "),
    "wav": b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + bytes(64),
    "zip": b"PK\x03\x04" + bytes(64),
    "bm-text": b"BMW is a car maker, not a bitmap.",
    "one-sync-byte": b"G" + bytes(400),
}


@pytest.mark.parametrize("data", NOT_MEDIA.values(), ids=NOT_MEDIA.keys())
def test_anything_else_is_415(data: bytes) -> None:
    assert sniff(data) is None
    with pytest.raises(MediaError) as caught:
        hash_bytes(data)
    assert (caught.value.status, caught.value.code) == (415, "unsupported_media_type")
    assert "neither an image nor a video we can hash" in caught.value.message
    with pytest.raises(MediaError):
        pdq_from_image_bytes(data)


# ---------------------------------------------------------------------------------------------------
# 7. Corrupt files and decompression bombs: 400 with a precise code.


def _png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def bilevel_png(width: int, height: int) -> bytes:
    """A valid, all-black 1-bit PNG, compressed row by row so that huge ones stay tiny and cheap."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed bits
    compressor = zlib.compressobj(9)
    block = row * 64
    idat = b"".join(compressor.compress(block) for _ in range(height // 64))
    idat += compressor.compress(row * (height % 64)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _refused(data: bytes) -> MediaError:
    with pytest.raises(MediaError) as caught:
        hash_bytes(data)
    return caught.value


def test_truncated_jpeg_is_corrupt() -> None:
    data = BRIDGE.read_bytes()
    error = _refused(data[: len(data) // 2])
    assert (error.status, error.code) == (400, "corrupt_image")
    assert "truncated" in error.message


def test_png_with_broken_crc_is_corrupt() -> None:
    data = bytearray(encode(pattern_rgb(), "PNG"))
    crc_of_ihdr = 8 + 4 + 4 + 13  # signature, length, type, 13 bytes of header
    data[crc_of_ihdr] ^= 0xFF
    error = _refused(bytes(data))
    assert (error.status, error.code) == (400, "corrupt_image")
    assert error.message == "The file starts like a PNG image but is corrupt and cannot be decoded."


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
@pytest.mark.parametrize("magic", [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"II*\x00"])
def test_image_magic_followed_by_junk_is_corrupt(magic: bytes) -> None:
    error = _refused(magic + random.Random(7).randbytes(512))
    assert (error.status, error.code) == (400, "corrupt_image")


def test_a_small_bilevel_png_is_fine() -> None:
    assert hash_bytes(bilevel_png(300, 200)).media_type == "image"


@pytest.mark.parametrize("side", [10_000, 30_000])  # 100 M pixels (Pillow warns), 900 M (Pillow raises)
def test_decompression_bomb_is_refused(side: int) -> None:
    data = bilevel_png(side, side)
    assert len(data) < 200_000  # kilobytes that would decode to hundreds of megabytes
    error = _refused(data)
    assert (error.status, error.code) == (400, "decompression_bomb")
    assert "89,478,485" in error.message


# ---------------------------------------------------------------------------------------------------
# 8. Nothing is written to disk while hashing (invariant 1): the write guard of tests/curation/helpers.py.

def test_the_write_guard_catches_writes() -> None:
    with no_file_writes() as seen:
        with pytest.raises(PermissionError):
            open(os.devnull, "w")  # noqa: SIM115 - the open itself is what is tested
        with pytest.raises(PermissionError):
            os.open(os.devnull, os.O_WRONLY)
        with open(os.devnull, "rb") as f:  # reading is allowed
            f.read()
    assert len(seen) == 2


def test_hashing_writes_no_file() -> None:
    samples = [
        BRIDGE.read_bytes(),
        encode(pattern_rgb(), "TIFF", compression="tiff_lzw"),  # decoded by libtiff
        encode(pattern_rgb(), "WEBP"),
        encode(pattern_rgb().convert("RGBA"), "PNG"),
        VIDEOS[0].read_bytes(),
    ]
    with no_file_writes() as seen:
        results = [hash_bytes(data) for data in samples]
        for bad in (samples[0][:5000], b"%!PS-Adobe-3.0\n"):
            with pytest.raises(MediaError):
                hash_bytes(bad)
    assert seen == []
    assert [r.media_type for r in results] == ["image"] * 4 + ["video"]
