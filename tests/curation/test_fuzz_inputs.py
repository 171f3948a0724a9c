"""Hypothesis on the parsers of uploaded and imported input (DESIGN.md invariant 8).
(Here, not in a package's folder: it covers hashing's media parser and submissions' import.)

- `curation.media`: whatever bytes arrive — random, the first bytes of every container the sniffer
  knows followed by junk, real photographs (shared/testdata/pdq) and small files of every allowed
  image format truncated or with bytes overwritten — hashing gives a result in canonical form or a
  `MediaError` the API answers with 400, 413 or 415. Never another exception.
- `import_candidates`: whatever CSV text, in whatever encoding, gives per-line errors and exit code 1
  or a refusal of the whole file, never a traceback; and an item is written whole or not at all.

Bounded and reproducible: `derandomize=True`, a few dozen examples per test, no deadline.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from baseline_client.hashing import media, signatures
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image
from rest_framework.test import APIClient

from core.models import AuditEntry
from curation.models import Signature, Submission
from tests.curation.helpers import TESTDATA, fake

BOUNDED = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))

# --- curation.media ------------------------------------------------------------------------------

# Small real photographs (under 32 KB: decoding them stays quick), and the smallest of them written
# in every other format the service accepts, so that each decoder meets damaged input.
PHOTOS = sorted(p for p in (TESTDATA / "pdq").rglob("*") if p.suffix in {".jpg", ".png"} and p.stat().st_size < 32_000)


def _in_every_format(path: Path) -> dict[str, bytes]:
    image = Image.open(path).convert("RGB")
    image.thumbnail((48, 48))
    variants = {"png": ("PNG", {}), "gif": ("GIF", {}), "bmp": ("BMP", {}), "webp": ("WEBP", {"quality": 80}),
                "tiff": ("TIFF", {}), "lzw.tiff": ("TIFF", {"compression": "tiff_lzw"}),
                "progressive.jpg": ("JPEG", {"progressive": True})}
    encoded = {}
    for suffix, (fmt, options) in variants.items():
        buffer = io.BytesIO()
        image.save(buffer, fmt, **options)
        encoded[f"{path.stem}.{suffix}"] = buffer.getvalue()
    return encoded


SAMPLES: dict[str, bytes] = {p.name: p.read_bytes() for p in PHOTOS} | _in_every_format(PHOTOS[0])

# The first bytes of everything `media.sniff` recognises (and of the look-alikes it must refuse).
MAGIC = [
    b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+", b"BM" + bytes(12) + (40).to_bytes(4, "little"),
    b"BM" + bytes(12) + (124).to_bytes(4, "little"), b"\x00\x00\x00\x18ftypisom", b"\x00\x00\x00\x14ftypqt  ",
    b"\x00\x00\x00\x18ftypheic", b"\x00\x00\x00\x1cftypavif", b"\x00\x00\x00\x18ftypM4A ", b"\x00\x00\x00\x08moov",
    b"\x00\x00\x00\x08mdat", b"\x1a\x45\xdf\xa3", b"RIFF\x00\x00\x00\x00AVI LIST", b"\x00\x00\x01\xba",
    b"FLV\x01\x05", bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"), b"%PDF-1.7", b"%!PS-Adobe-3.0 EPSF",
    b"\x00\x00\x01\x00",  # ICO, which Pillow reads but the service does not accept
]
TS_PACKETS = st.builds(lambda body: b"".join(b"\x47" + body[i * 187:(i + 1) * 187].ljust(187, b"\xff")
                                             for i in range(3)), st.binary(max_size=600))


@st.composite
def magic_prefixed(draw) -> bytes:
    magic = draw(st.sampled_from(MAGIC))
    return magic[:draw(st.integers(0, len(magic)))] + draw(st.binary(max_size=1024))


@st.composite
def damaged(draw) -> bytes:
    """A real file, truncated, with bytes overwritten, inserted or removed (mostly in its headers)."""
    data = bytearray(SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))])
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.one_of(st.integers(0, min(len(data), 600)), st.integers(0, len(data))))
        how = draw(st.sampled_from(["truncate", "overwrite", "insert", "delete"]))
        junk = draw(st.binary(min_size=1, max_size=16))
        if how == "truncate":
            del data[where:]
        elif how == "overwrite":
            data[where:where + len(junk)] = junk
        elif how == "insert":
            data[where:where] = junk
        else:
            del data[where:where + len(junk)]
    return bytes(data)


UPLOADS = st.one_of(st.binary(max_size=2048), magic_prefixed(), TS_PACKETS, damaged())


def hashed_or_refused(data: bytes, max_bytes: int | None = None) -> media.HashResult | media.MediaError:
    """The contract of `hash_bytes`; any other exception fails the test with the example that raised it."""
    try:
        result = media.hash_bytes(data, max_bytes=max_bytes)
    except media.MediaError as exc:
        assert exc.status in (400, 413, 415), exc.status
        assert exc.code and exc.message and exc.message == str(exc)
        return exc
    assert result.media_type == media.sniff(data) in (signatures.IMAGE, signatures.VIDEO)
    found = {s["algorithm"]: s for s in result.signatures}
    expected = {"md5", "sha1", "sha256"} | ({"pdq"} if result.media_type == signatures.IMAGE else set())
    assert set(found) == expected
    for algorithm, signature in found.items():
        assert signatures.normalise(algorithm, signature["value"]) == signature["value"]
    if "pdq" in found:
        assert 0 <= found["pdq"]["quality"] <= 100
    return result


def test_the_samples_are_real_media():
    """The damage below starts from files that hash: what fails is the damage."""
    assert len(PHOTOS) >= 5
    for name, data in SAMPLES.items():
        assert isinstance(hashed_or_refused(data), media.HashResult), name


@BOUNDED
@given(data=UPLOADS)
def test_any_upload_is_hashed_or_refused_with_a_media_error(data):
    hashed_or_refused(data)


@BOUNDED
@given(data=st.one_of(st.binary(max_size=256), magic_prefixed()), limit=st.integers(0, 300))
def test_a_file_over_the_limit_is_413_before_anything_else(data, limit):
    outcome = hashed_or_refused(data, max_bytes=limit)
    if len(data) > limit:
        assert isinstance(outcome, media.MediaError) and (outcome.status, outcome.code) == (413, "file_too_large")


@pytest.mark.django_db
@settings(BOUNDED, max_examples=30)
@given(data=UPLOADS.filter(bool))
def test_the_hash_endpoint_maps_every_refusal_to_a_4xx(personas, data):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(personas.investigator)
    response = client.post("/api/v1/hash/", {"file": io.BytesIO(data)}, format="multipart")
    outcome = hashed_or_refused(data)
    if isinstance(outcome, media.HashResult):
        assert response.status_code == 200 and response.json() == outcome.as_dict()
    elif outcome.status == 400:
        assert response.status_code == 400 and response.json() == {"file": [outcome.message]}
    else:
        assert response.status_code == outcome.status, response.content
        assert response.json()["detail"] == outcome.message


# --- import_candidates ---------------------------------------------------------------------------

COLUMNS = ["item_key", "media_type", "algorithm", "value", "external_reference"]
ALGORITHMS = {"image": ["md5", "sha1", "sha256", "pdq", "photodna"], "video": ["md5", "sha1", "sha256", "vpdq"]}
# Text that breaks naive readers: NUL (PostgreSQL refuses it in text), quotes, separators, line
# breaks inside a field, a BOM in the middle, other scripts; and any text at all.
AWKWARD = st.one_of(
    st.text(alphabet=st.sampled_from(["\x00", '"', ",", "\n", "\r", "\ufeff", " ", "\t", "é", "ß", "٣", "a", "7"]),
            max_size=12),
    st.text(max_size=40),
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]


@st.composite
def candidate_rows(draw) -> list[list[str]]:
    """Items with unique signature values, some with an awkward key or reference on all their rows;
    then a few rows damaged: a field replaced by awkward text, columns missing or added, a field
    too large."""
    rows = []
    for i in range(draw(st.integers(1, 4))):
        media_type = draw(st.sampled_from(["image", "video"]))
        chosen = draw(st.lists(st.sampled_from(ALGORITHMS[media_type]), min_size=1, max_size=3, unique=True))
        key = draw(st.one_of(st.just(f"item-{i}"), AWKWARD))
        reference = draw(st.one_of(st.just(f"ICSE-{i}"), AWKWARD))
        rows += [[key, media_type, algorithm, fake(algorithm), reference] for algorithm in chosen]
    for _ in range(draw(st.integers(0, 3))):
        row = rows[draw(st.integers(0, len(rows) - 1))]
        column = draw(st.integers(0, len(COLUMNS) - 1))
        damage = draw(st.sampled_from(["replace", "replace", "drop columns", "add a column", "huge"]))
        if damage == "replace" and column < len(row):
            row[column] = draw(AWKWARD)
        elif damage == "drop columns":
            del row[max(column, 1):]
        elif damage == "add a column":
            row.append(draw(AWKWARD))
        elif damage == "huge" and column < len(row):
            row[column] = row[column] + "x" * draw(st.sampled_from([300, 5_000, 200_000]))
    return draw(st.permutations(rows))


def _render(header: list[str], rows: list[list[str]], line_end: str) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue()


CSV_FILES = st.one_of(
    st.builds(lambda rows, end, encoding: (_render(COLUMNS, rows, end), encoding, rows),
              candidate_rows(), st.sampled_from(["\n", "\r\n"]), st.sampled_from(ENCODINGS)),
    st.builds(lambda header, rows: (_render(header, rows, "\n"), "utf-8", rows),
              st.lists(AWKWARD, max_size=6) | st.permutations(COLUMNS), candidate_rows()),
    st.builds(lambda text: (text, "utf-8", None), st.text(max_size=300)),
    st.builds(lambda text: (",".join(COLUMNS) + "\n" + text, "utf-8", None), st.text(max_size=300)),
)


def _import(path: Path) -> tuple[int, str, str, bool]:
    """(exit code, stdout, stderr, refused as a whole) of `import_candidates` as the command line runs it."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_candidates", str(path), "--submitter", "investigator", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue(), False
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc), True
    return 0, out.getvalue(), err.getvalue(), False


def _expected_signatures(rows: list[list[str]], key: str) -> set[str]:
    """Every signature the file gives item `key`, each normalised as the service stores it. A row
    that cannot be read as one (wrong number of columns, a value that is not valid) raises: an
    item with such a row must not be written at all."""
    mine = [row for row in rows if row and row[0].strip() == key]
    assert all(len(row) == len(COLUMNS) for row in mine), f"item {key!r} was written without its malformed row"
    return {signatures.normalise(row[2].strip(), row[3]) for row in mine}


def _key_of(rows: list[list[str]], values: set[str]) -> str:
    for row in rows:
        if len(row) == len(COLUMNS):
            try:
                if signatures.normalise(row[2].strip(), row[3]) in values:
                    return row[0].strip()
            except Exception:  # noqa: S112 - an invalid value belongs to no written item
                continue
    raise AssertionError(f"no row of the file holds {values}")


def _file(rows: list[list[str]]) -> tuple[str, str, list[list[str]]]:
    return _render(COLUMNS, rows, "\n"), "utf-8", rows


# What earlier runs found, kept as fixed examples: an item written without its row that had a column
# too many (half-written); a NUL in a reference (a DataError from PostgreSQL, a traceback).
FOUND = [
    _file([["a", "image", "md5", fake("md5"), "R"], ["a", "image", "sha1", fake("sha1"), "R", "extra"]]),
    _file([["b", "video", "sha256", fake("sha256"), "R"], ["b", "video"]]),
    _file([["c", "image", "md5", fake("md5"), "ICSE\x00-1"]]),
]


@pytest.mark.django_db
@BOUNDED
@example(file=FOUND[0])
@example(file=FOUND[1])
@example(file=FOUND[2])
@given(file=CSV_FILES)
def test_any_candidate_file_is_imported_item_by_item_or_refused(personas, tmp_path, file):
    text, encoding, rows = file
    path = tmp_path / "candidates.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    before = set(Submission.objects.values_list("pk", flat=True))
    entries, signature_rows = AuditEntry.objects.count(), Signature.objects.count()

    code, out, err, refused = _import(path)

    created = Submission.objects.exclude(pk__in=before)
    if refused:
        assert code == 1 and err
        assert (created.count(), AuditEntry.objects.count(), Signature.objects.count()) == (
            0, entries, signature_rows)
        return
    reported = err.splitlines()
    assert code == (1 if reported else 0), (code, err)
    assert all(line.startswith("line ") and ": " in line for line in reported), reported
    assert f"Imported {created.count()} items;" in out
    new_entries = AuditEntry.objects.order_by("-seq")[:AuditEntry.objects.count() - entries]
    assert sorted(e.object_id for e in new_entries if e.action == "submission.create") == sorted(
        str(pk) for pk in created.values_list("pk", flat=True))
    assert AuditEntry.objects.count() == entries + created.count()
    if rows is not None:
        for item in created:
            values = set(item.signatures.values_list("value", flat=True))
            key = _key_of(rows, values)
            assert values == _expected_signatures(rows, key), f"item {key!r} was half-written"

