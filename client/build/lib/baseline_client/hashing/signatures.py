"""The algorithm table (DESIGN.md section 2): normalise, validate and compute signatures.

Everything that knows what an algorithm's value looks like lives here; the API, the browser, bulk
import and exports all ask this module.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

IMAGE, VIDEO = "image", "video"
MEDIA_TYPES = (IMAGE, VIDEO)
PDQ_MIN_QUALITY = 50
PDQ_MATCH_DISTANCE = 31


class SignatureError(ValueError):
    """A value that is not in its algorithm's canonical form; the message says what is expected."""


@dataclass(frozen=True)
class Algorithm:
    name: str
    label: str  # how people write the name (forms, pages): SHA-256, PhotoDNA, vPDQ
    media_types: tuple[str, ...]
    canonical_form: str
    computed_from_file: bool
    normalise: Callable[[str], str]
    has_quality: bool = False


def _hex(length: int, name: str) -> Callable[[str], str]:
    pattern = re.compile(rf"[0-9a-f]{{{length}}}")

    def normalise(value: str) -> str:
        value = value.strip().lower()
        if not pattern.fullmatch(value):
            raise SignatureError(f"{name}: expected {length} hexadecimal characters, got {_describe(value)}.")
        return value

    return normalise


def _photodna(value: str) -> str:
    value = value.strip()
    if len(value) != 192 or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value):
        raise SignatureError(
            f"photodna: expected 192 characters of standard base64 (144 bytes), got {_describe(value)}."
        )
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise SignatureError("photodna: not valid standard base64.") from None
    if len(raw) != 144:
        raise SignatureError(f"photodna: expected 144 bytes once decoded, got {len(raw)}.")
    return value


_VPDQ_FRAME = re.compile(r"([0-9a-f]{64}),(\d{1,3}),([^,]+)", re.ASCII)
VPDQ_MAX_FRAMES = 100_000
# Wide enough to write any finite float to the millisecond without rounding its integer part.
_TIMESTAMP_CONTEXT = decimal.Context(prec=400, rounding=decimal.ROUND_HALF_UP)
_MILLISECOND = decimal.Decimal("0.001")


def vpdq_timestamp(text: str) -> str | None:
    """The canonical form of a frame's timestamp, or None if it is not a finite number >= 0.

    Any ASCII number `float()` reads is accepted: python-threatexchange writes timestamps with three
    significant digits (`1e+02`, `1.23e+03`), others write `100.000`. The canonical form is seconds as
    a plain decimal with exactly three places (the millisecond, rounded half up), taken from the
    shortest decimal that reads back as the same float, so no binary noise is invented (`1e+23` is
    `100000000000000000000000.000`, not `99999999999999991611392.000`) and equal floats always give
    equal text: `1e+02` -> `100.000`, `1.23e+03` -> `1230.000`, `0.0333` -> `0.033`.
    """
    if not text.isascii():
        return None
    try:
        seconds = float(text)
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    shortest = decimal.Decimal(repr(abs(seconds)))  # abs: -0.0 is 0
    return format(shortest.quantize(_MILLISECOND, context=_TIMESTAMP_CONTEXT), "f")


def _vpdq(value: str) -> str:
    expected = 'vpdq: expected a JSON list of "pdq_hex,quality,timestamp" strings'
    try:
        frames = json.loads(value.strip())
    except (ValueError, RecursionError):
        raise SignatureError(f"{expected}; this is not JSON.") from None
    if not isinstance(frames, list) or not frames:
        raise SignatureError(f"{expected} with at least one frame.")
    if len(frames) > VPDQ_MAX_FRAMES:
        raise SignatureError(f"vpdq: at most {VPDQ_MAX_FRAMES} frames.")
    canonical = []
    for index, frame in enumerate(frames):
        match = _VPDQ_FRAME.fullmatch(frame.strip().lower()) if isinstance(frame, str) else None
        if match is None or int(match.group(2)) > 100:
            raise SignatureError(f"{expected}; frame {index} is {_describe(str(frame))}.")
        pdq_hex, quality, timestamp = match.groups()
        seconds = vpdq_timestamp(timestamp)
        if seconds is None:
            raise SignatureError(
                f"vpdq: frame {index} has timestamp {_describe(timestamp)}; expected a finite number of "
                "seconds, 0 or more."
            )
        canonical.append(f"{pdq_hex},{int(quality)},{seconds}")
    if all(int(frame.split(",")[1]) < PDQ_MIN_QUALITY for frame in canonical):
        raise SignatureError(f"vpdq: no frame has quality {PDQ_MIN_QUALITY} or more; featureless frames would match "
                             "unrelated videos.")
    return json.dumps(canonical, separators=(",", ":"))


def _describe(value: str) -> str:
    if not value:
        return "an empty value"
    shown = value if len(value) <= 24 else value[:20] + "…"
    return f"{len(value)} characters ({shown!r})"


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm("md5", "MD5", (IMAGE, VIDEO), "32 lowercase hex", True, _hex(32, "md5")),
        Algorithm("sha1", "SHA-1", (IMAGE, VIDEO), "40 lowercase hex", True, _hex(40, "sha1")),
        Algorithm("sha256", "SHA-256", (IMAGE, VIDEO), "64 lowercase hex", True, _hex(64, "sha256")),
        Algorithm(
            "pdq", "PDQ", (IMAGE,), "64 lowercase hex (256 bits); quality 0-100 alongside", True, _hex(64, "pdq"),
            has_quality=True,
        ),
        Algorithm(
            "photodna", "PhotoDNA", (IMAGE,), "144 bytes as standard base64, 192 characters, case preserved", False,
            _photodna,
        ),
        Algorithm(
            "vpdq", "vPDQ", (VIDEO,), 'JSON list of "pdq_hex,quality,timestamp" strings', False, _vpdq,
        ),
    )
}
CRYPTOGRAPHIC = ("md5", "sha1", "sha256")


# What md5sum, sha1sum and sha256sum print for a file: the hash, a space, then a space (text mode)
# or "*" (binary mode) and the file name; a leading backslash marks a name with escaped characters.
# One space alone (as some tools write) is taken too. BSD tools (`md5`, `shasum --tag`) print
# `SHA256 (name) = hash`.
_CHECKSUM_LINE = re.compile(r"\\?(?P<hash>[0-9A-Fa-f]+)(?: \*| {1,2}).+")
_BSD_CHECKSUM_LINE = re.compile(r"(?P<tag>MD5|SHA1|SHA256) \(.*\) = (?P<hash>[0-9A-Fa-f]+)")
_BSD_TAGS = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256"}
_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}


def from_checksum_line(algorithm: str, text: str) -> str:
    """The hash of one pasted line of `md5sum`/`sha1sum`/`sha256sum` output (`<hash>  <file name>`,
    `<hash> *<file name>`, or BSD's `SHA256 (<file name>) = <hash>`), the file name dropped.
    Anything else, a hash of another length included, comes back unchanged, so that `normalise`
    explains what is wrong with it as typed."""
    if algorithm not in CRYPTOGRAPHIC or not isinstance(text, str):
        return text
    line = text.strip()
    found = _CHECKSUM_LINE.fullmatch(line) or _BSD_CHECKSUM_LINE.fullmatch(line)
    if found is None or "\n" in line or len(found["hash"]) != _HEX_LENGTHS[algorithm]:
        return text
    if "tag" in found.groupdict() and found["tag"] != _BSD_TAGS[algorithm]:
        return text
    return found["hash"]


def checksum_line_algorithm(text: str) -> str | None:
    """Which of md5sum, sha1sum and sha256sum printed this line (by the hash's length), if any:
    so that a line pasted into another algorithm's box can be pointed to the right one."""
    for algorithm in CRYPTOGRAPHIC:
        if from_checksum_line(algorithm, text) != text:
            return algorithm
    return None


def get(name: str) -> Algorithm:
    try:
        return ALGORITHMS[name]
    except (KeyError, TypeError):
        raise SignatureError(
            f"unknown algorithm {name!r}; known: {', '.join(ALGORITHMS)}."
        ) from None


def normalise(algorithm: str, value: str, *, media_type: str | None = None) -> str:
    """The canonical form of `value`, or SignatureError naming the algorithm and expected form."""
    algo = get(algorithm)
    if not isinstance(value, str):
        raise SignatureError(f"{algorithm}: expected a string in the form {algo.canonical_form}.")
    if media_type is not None and media_type not in algo.media_types:
        raise SignatureError(f"{algorithm}: applies to {' and '.join(algo.media_types)} only, not {media_type}.")
    return algo.normalise(value)


def check_quality(algorithm: str, quality: int | None) -> None:
    algo = get(algorithm)
    if quality is None:
        return
    if not algo.has_quality:
        raise SignatureError(f"{algorithm}: takes no quality.")
    if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100:
        raise SignatureError(f"{algorithm}: quality must be a whole number from 0 to 100.")
    if quality < PDQ_MIN_QUALITY:
        raise SignatureError(
            f"pdq: quality {quality} is below {PDQ_MIN_QUALITY}; featureless images collide, so such "
            "hashes are not listed."
        )


def cryptographic_hashes(data: bytes) -> dict[str, str]:
    return {
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "sha1": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def table() -> list[dict]:
    """The algorithm table as the API shows it."""
    return [
        {
            "algorithm": a.name,
            "media_types": list(a.media_types),
            "canonical_form": a.canonical_form,
            "computed_from_file": a.computed_from_file,
        }
        for a in ALGORITHMS.values()
    ]


def value_digest(value: str) -> str:
    """The fixed-size key under which a canonical value is looked up and kept unique."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Clean:
    algorithm: str
    value: str
    quality: int | None = None

    @cached_property  # asked several times per row by a bulk import; computed once
    def digest(self) -> str:
        return value_digest(self.value)


class SignatureSetError(ValueError):
    """Errors of a set of signatures, one dict per row in DRF's nested shape (empty when fine)."""

    def __init__(self, errors: list[dict[str, list[str]]] | str) -> None:
        super().__init__(str(errors))
        self.errors = errors


def clean_set(media_type: str, rows: list[dict]) -> list[Clean]:
    """Normalise and validate an item's signatures: at least one, one per algorithm at most."""
    if media_type not in MEDIA_TYPES:
        raise SignatureSetError(f"media_type must be one of {', '.join(MEDIA_TYPES)}.")
    if not rows:
        raise SignatureSetError("An item needs at least one signature.")
    errors: list[dict[str, list[str]]] = []
    cleaned: list[Clean] = []
    seen: set[str] = set()
    for row in rows:
        row_errors: dict[str, list[str]] = {}
        algorithm, value, quality = row.get("algorithm"), row.get("value"), row.get("quality")
        try:
            get(algorithm)
        except SignatureError as exc:
            row_errors["algorithm"] = [str(exc)]
        else:
            if algorithm in seen:
                row_errors["algorithm"] = [f"{algorithm}: only one value per algorithm per item."]
            seen.add(algorithm)
            try:
                value = normalise(algorithm, value if isinstance(value, str) else None, media_type=media_type)
            except SignatureError as exc:
                row_errors["value"] = [str(exc)]
            try:
                check_quality(algorithm, quality)
            except SignatureError as exc:
                row_errors["quality"] = [str(exc)]
        errors.append(row_errors)
        if not row_errors:
            cleaned.append(Clean(algorithm, value, quality))
    if any(errors):
        raise SignatureSetError(errors)
    return cleaned
