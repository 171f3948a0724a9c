"""Decoding memory (issue 11): per-format pixel caps read from the header, decoding straight to a
reduced size, and PDQ hashes unchanged by it. Pure tests except where an endpoint is named."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from baseline_client.hashing import media, pixels
from baseline_client.hashing.media import MediaError, hamming_distance, pdq_from_image_bytes
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageOps

from bench.images import smooth_jpeg, zero_png
from curation.models import Signature, Submission
from tests.clients import VerifiedClient
from tests.curation.helpers import TESTDATA

PDQ_DATA = TESTDATA / "pdq"
# What every reference image hashed to before decoding was made small (commit 0310849): it must not move.
REFERENCE_HASHES = {
    "bridge-mods/aaa-orig.jpg": "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22",
    "bridge-mods/blur-a-lot.jpg": "d8f8f0cce0f4e84f0637022a028f67f0b36e2ed596623e1d33e6b39c4e9c9b22",
    "bridge-mods/high-contrast.jpg": "d8f8f0cce0f4e84d06370a32068f67f0b36e2ed596623e1d33e6339c4e9c9b22",
    "bridge-mods/sharpen-a-lot.jpg": "d0f8f0cec0f4a8470a370a32238f67f0b36e2ef597231e1d72a6b39c4e9c9b22",
    "bridge-mods/shrink-a-little.jpg": "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22",
    "bridge-mods/shrink-a-lot.jpg": "d0f8f1ccc0f4a84d0a370a3a228f67f0b36e2ed5b6623e1d33e6339c4e9c9b22",
    "bridge-mods/square-512x512.jpg": "d8f8f0cec0f4a84f0637022a278f67f0b36e2ed596621e1d33e6339c4e9c9b22",
    "misc/c.png": "e64cc9d91e623842f8d1f1d9a398e78c9f199a3bd87924f2b7e11e0bf061b064",
    "misc/wee.jpg": "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d",
    "reference/bridge-2-rotate-90.jpg": "38a50efd71c83f429013d68d0ffffc52e34e0e15ada952a9d29684214aa9e5af",
    "reference/bridge-3-rotate-180.jpg": "2dadda64b5a142e5d362209057da895ae63b8c7fc277b4b766b319361f893188",
    "reference/bridge-4-rotate-270.jpg": "a5f0a457248995e8c9065c275aaa54d8b61ba4bdf8fcfc0387c32f8b0bfc4f05",
    "reference/bridge-8-flip-minus-1.jpg": "69f05aa8a4996a17c146a2da5aaaab07b61b5b60f8fc07fc83c3d0740bfcb0fa",
    "reference/q0003.jpg": "54a9f7c321d1443c43ba566e21d4a13989a3553f1472611cbbc5fda59e03b677",
    "reference/q2821.jpg": "b150231ffae4710ffcf4f18bb574b109a576f14bb8543189f8743289f174b109",
}
# Hashed reduced-first versus fully decoded, on 2x enlargements of the test photographs, every
# case below measured 0 bits (PDQ matches at <= 31); the bound leaves room for other Pillow builds.
REDUCED_DISTANCE = 4


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def full_size_pdq(data: bytes) -> str:
    """The former pipeline: decode whole, upright, convert at full size, then thumbnail."""
    import numpy as np
    import pdqhash

    image = Image.open(BytesIO(data))
    image.load()
    rgb = media.image_to_rgb(ImageOps.exif_transpose(image))
    rgb.thumbnail((media.PDQ_WORKING_SIZE,) * 2, Image.Resampling.BICUBIC)
    return media.pdq_hex(pdqhash.compute(np.asarray(rgb, dtype=np.uint8))[0])


@pytest.mark.parametrize(("name", "expected"), REFERENCE_HASHES.items(), ids=REFERENCE_HASHES.keys())
def test_reference_images_hash_exactly_as_before(name: str, expected: str) -> None:
    assert pdq_from_image_bytes((PDQ_DATA / name).read_bytes())[0] == expected


@pytest.fixture(scope="module")
def enlarged() -> dict[str, Image.Image]:
    bridge = Image.open(PDQ_DATA / "bridge-mods" / "aaa-orig.jpg").convert("RGB")
    transparent = Image.open(PDQ_DATA / "misc" / "c.png")
    transparent.load()
    return {
        "rgb": bridge.resize((bridge.width * 2, bridge.height * 2), Image.Resampling.BICUBIC),
        "rgba": transparent.resize((transparent.width * 2, transparent.height * 2), Image.Resampling.BICUBIC),
    }


def _reduced_cases(big: dict[str, Image.Image]) -> dict[str, bytes]:
    rgb, rgba = big["rgb"], big["rgba"]
    grey = rgb.convert("L")
    exif = Image.Exif()
    exif[0x0112] = 6
    return {
        "jpeg": encode(rgb, "JPEG", quality=90),
        "jpeg-progressive": encode(rgb, "JPEG", quality=90, progressive=True),
        "jpeg-cmyk": encode(rgb.convert("CMYK"), "JPEG", quality=90),
        "jpeg-exif-rotated": encode(rgb.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=90, exif=exif.tobytes()),
        "png-rgb": encode(rgb, "PNG", compress_level=1),
        "png-rgba": encode(rgba, "PNG", compress_level=1),
        "png-palette": encode(rgb.quantize(256), "PNG"),
        "png-la": encode(grey.convert("LA"), "PNG", compress_level=1),
        "png-16-bit-grey": encode(grey.convert("I").point(lambda v: v * 257).convert("I;16"), "PNG"),
        "tiff-32-bit-grey": encode(grey.convert("I").point(lambda v: v * 300 - 20000), "TIFF"),
        "webp-rgba": encode(rgba, "WEBP", lossless=True),
        "gif": encode(rgb.quantize(256), "GIF"),
    }


def test_reduced_decoding_hashes_like_the_full_size_image(enlarged) -> None:
    distances = {}
    for name, data in _reduced_cases(enlarged).items():
        value, quality = pdq_from_image_bytes(data)
        assert quality >= 50, name
        distances[name] = hamming_distance(value, full_size_pdq(data))
    assert max(distances.values()) <= REDUCED_DISTANCE, distances


def test_a_large_jpeg_decodes_at_reduced_scale() -> None:
    image = Image.open(BytesIO(smooth_jpeg(4096, 3072)))
    extent = pixels.draft_jpeg(image, media.PDQ_WORKING_SIZE)
    image.load()
    assert image.size == (2048, 1536) and extent == (2048.0, 1536.0)  # 1/2: still twice the working size


# ---------------------------------------------------------------------------------------------------
# Caps, read from the header.


def _refusal(data: bytes) -> MediaError:
    with pytest.raises(MediaError) as caught:
        media.hash_bytes(data)
    return caught.value


def test_the_crafted_png_of_the_issue_is_refused_before_decoding() -> None:
    data = zero_png(9400, 9400, colour_type=6, bit_depth=8)
    assert len(data) < 400_000
    error = _refusal(data)
    assert (error.status, error.code) == (413, "image_too_large")
    assert error.message == ("The image is 9,400x9,400 pixels (88,360,000); PNG images may have at most "
                             "24,000,000 pixels. Scale it down to hash it.")


@pytest.mark.parametrize(("colour_type", "bit_depth"), [(6, 8), (0, 16)], ids=["rgba", "16-bit-grey"])
def test_a_png_just_under_the_cap_hashes_and_one_pixel_row_more_is_refused(colour_type, bit_depth) -> None:
    width = 6000
    rows = pixels.WHOLE_DECODE_MAX_PIXELS // width  # 4000: exactly the cap
    assert media.hash_bytes(zero_png(width, rows, colour_type=colour_type, bit_depth=bit_depth)).media_type == "image"
    error = _refusal(zero_png(width, rows + 1, colour_type=colour_type, bit_depth=bit_depth))
    assert error.code == "image_too_large"


def test_a_50_megapixel_jpeg_hashes_and_a_larger_one_is_refused() -> None:
    _, quality = pdq_from_image_bytes(smooth_jpeg(8000, 6250))
    assert quality >= 50
    error = _refusal(smooth_jpeg(8000, 6251))
    assert (error.status, error.code) == (413, "image_too_large")
    assert "JPEG images may have at most 50,000,000 pixels" in error.message


def test_progressive_and_multi_scan_jpegs_have_a_lower_cap() -> None:
    def cap(data: bytes) -> tuple[int, str]:
        return pixels.pixel_cap(Image.open(BytesIO(data)), data)

    baseline = encode(Image.new("RGB", (64, 64)), "JPEG")
    assert cap(baseline) == (50_000_000, "JPEG images")
    assert cap(encode(Image.new("RGB", (64, 64)), "JPEG", progressive=True))[0] == 32_000_000  # 4:2:0
    assert cap(encode(Image.new("RGB", (64, 64)), "JPEG", progressive=True, subsampling=0))[0] == 16_000_000
    assert cap(encode(Image.new("L", (64, 64)), "JPEG", progressive=True))[0] == 48_000_000
    # A baseline JPEG whose first scan holds one component of three (non-interleaved) buffers like one.
    sos = baseline.index(b"\xff\xda")
    one_component = baseline[:sos + 4] + b"\x01" + baseline[sos + 5:]
    assert cap(one_component)[0] == 32_000_000
    error = _refusal(smooth_jpeg(6600, 5000, progressive=True))
    assert "progressive JPEG images with this colour sampling may have at most 32,000,000" in error.message


def test_pillows_decompression_bomb_guard_still_comes_first() -> None:
    error = _refusal(zero_png(10_000, 10_000, colour_type=0, bit_depth=1))
    assert (error.status, error.code) == (400, "decompression_bomb")


def test_webp_and_tiff_caps() -> None:
    for fmt, cap in (("WEBP", 8_000_000), ("TIFF", 20_000_000)):
        side = int(cap ** 0.5) + 1
        error = _refusal(encode(Image.new("L", (side, side)), fmt, **({"lossless": True} if fmt == "WEBP" else {})))
        assert error.code == "image_too_large", fmt


# ---------------------------------------------------------------------------------------------------
# The endpoints: 413 in the API's error shape, a form error on the page, nothing changed.


@pytest.mark.django_db
def test_the_api_answers_413_in_its_error_shape_and_changes_nothing(personas, api) -> None:
    data = zero_png(9400, 9400, colour_type=6, bit_depth=8)
    before = (Submission.objects.count(), Signature.objects.count())
    response = api(personas.investigator).post(
        "/api/v1/hash/", {"file": SimpleUploadedFile("x.png", data)}, format="multipart")
    assert response.status_code == 413
    assert response.json() == {"code": "image_too_large", "detail": (
        "The image is 9,400x9,400 pixels (88,360,000); PNG images may have at most 24,000,000 pixels. "
        "Scale it down to hash it.")}
    assert (Submission.objects.count(), Signature.objects.count()) == before


@pytest.mark.django_db
def test_the_submit_page_shows_the_cap_as_a_form_error(personas) -> None:
    browser = VerifiedClient(enforce_csrf_checks=True)
    browser.force_login(personas.investigator)
    page = browser.get("/submit/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    data = zero_png(9400, 9400, colour_type=0, bit_depth=16)
    response = browser.post("/submit/", {"csrfmiddlewaretoken": token, "action": "hash",
                                         "file": SimpleUploadedFile("x.png", data)})
    assert response.status_code == 413
    assert "PNG images may have at most 24,000,000 pixels" in response.content.decode()
    assert response.context["form"]["sig_md5"] == "" and not Submission.objects.exists()
