"""The matching index of one release (DESIGN.md section 9): a file written once at publication,
beside the release files, and memory-mapped read-only by every process that matches.

Layout: sections of raw little-endian arrays, each 64-byte aligned, then a JSON footer naming every
array (offset, dtype, shape) and the release, then the footer's length (8 bytes). The footer comes
last so the file is written in one pass per algorithm, streaming from the database.

Sections, per algorithm:
- exact (`md5`, `sha1`, `sha256`, `photodna`): `keys` sorted bytewise (raw bytes for hex, the base64
  text for PhotoDNA), and per key its item's id (16 bytes), media type and version added;
- `pdq`: `codes` (n x 32 bytes), and per code the item;
- `vpdq`: every listed video's frames one after another (`codes`, `qualities`, `times`), where
  each video's frames end (`ends`), and per video the item.
"""

from __future__ import annotations

import json
import mmap
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"BLMATCH1"
ALIGN = 64
EXACT = ("md5", "sha1", "sha256", "photodna")
KEY_BYTES = {"md5": 16, "sha1": 20, "sha256": 32, "photodna": 192}
MEDIA_CODES = {"image": 0, "video": 1, "website": 2}
MEDIA_NAMES = {code: name for name, code in MEDIA_CODES.items()}
_BATCH = 50_000


def key_of(algorithm: str, canonical: str) -> bytes:
    """The index key of a canonical value: raw bytes of a hex hash, the text of anything else."""
    if algorithm == "photodna":
        return canonical.encode("ascii")
    return bytes.fromhex(canonical)


class _Writer:
    """The file's offset so far and the footer's array table."""

    def __init__(self) -> None:
        self.offset = len(MAGIC)
        self.arrays: dict[str, dict] = {}

    def section(self, rows: Iterable[tuple], columns: dict[str, tuple]) -> Iterator[bytes]:
        """One pass over `rows` filling every column: name -> (cells(row) -> list of cells, dtype,
        row shape). Columns are spooled to temporary files (hashes only, never media), then written
        one after another, each 64-byte aligned."""
        spools = {name: tempfile.TemporaryFile() for name in columns}  # noqa: SIM115 (closed in finally)
        counts = dict.fromkeys(columns, 0)
        pending: dict[str, list] = {name: [] for name in columns}
        try:
            for row in rows:
                for name, (cells, _, _) in columns.items():
                    pending[name].extend(cells(row))
                if len(pending[next(iter(columns))]) >= _BATCH:
                    self._flush(pending, spools, counts, columns)
            self._flush(pending, spools, counts, columns)
            for name, (_, dtype, row_shape) in columns.items():
                pad = -self.offset % ALIGN
                if pad:
                    yield bytes(pad)
                    self.offset += pad
                self.arrays[name] = {"offset": self.offset, "dtype": dtype, "shape": [counts[name], *row_shape]}
                spools[name].seek(0)
                while chunk := spools[name].read(1 << 20):
                    self.offset += len(chunk)
                    yield chunk
        finally:
            for spool in spools.values():
                spool.close()

    @staticmethod
    def _flush(pending, spools, counts, columns) -> None:
        for name, (_, dtype, row_shape) in columns.items():
            if pending[name]:
                array = np.array(pending[name], dtype=dtype).reshape(-1, *row_shape)
                spools[name].write(array.tobytes())
                counts[name] += len(array)
                pending[name] = []


def _item_columns(prefix: str) -> dict[str, tuple]:
    return {f"{prefix}.items": (lambda r: [uuid.UUID(r[1]).bytes], "S16", ()),
            f"{prefix}.media": (lambda r: [MEDIA_CODES[r[2]]], "u1", ()),
            f"{prefix}.added": (lambda r: [r[3]], "<i4", ())}


def _frames(value: str) -> list[tuple[bytes, int, float]]:
    out = []
    for frame in json.loads(value):
        pdq, quality, seconds = frame.split(",")
        out.append((np.frombuffer(bytes.fromhex(pdq), np.uint8), int(quality), float(seconds)))
    return out


def write(release_version: int, list_name: str, rows_of) -> Iterator[bytes]:
    """The index file's bytes. `rows_of(algorithm)` yields (value, item_id, media_type, added) by value
    (membership.algorithm_rows), read once per algorithm and never held whole."""
    writer = _Writer()
    yield MAGIC
    for algorithm in EXACT:
        yield from writer.section(rows_of(algorithm), {
            f"{algorithm}.keys": (lambda r, a=algorithm: [key_of(a, r[0])], f"S{KEY_BYTES[algorithm]}", ()),
            **_item_columns(algorithm)})
    yield from writer.section(rows_of("pdq"), {
        "pdq.codes": (lambda r: [np.frombuffer(bytes.fromhex(r[0]), np.uint8)], "u1", (32,)), **_item_columns("pdq")})
    total = [0]

    def start_of(row: tuple) -> list[int]:
        total[0] += len(row[4])
        return [total[0]]

    # Each vPDQ row carries its parsed frames (row[4]), read once for the four frame columns.
    videos = ((*row, _frames(row[0])) for row in rows_of("vpdq"))
    yield from writer.section(videos, {
        "vpdq.codes": (lambda r: [f[0] for f in r[4]], "u1", (32,)),
        "vpdq.qualities": (lambda r: [f[1] for f in r[4]], "u1", ()),
        "vpdq.times": (lambda r: [f[2] for f in r[4]], "<f8", ()),
        "vpdq.ends": (start_of, "<i8", ()),
        **_item_columns("vpdq")})
    footer = json.dumps({"list": list_name, "version": release_version, "arrays": writer.arrays}).encode()
    yield footer + len(footer).to_bytes(8, "little")


# ---------------------------------------------------------------------------------------------------
# Reading.


@dataclass(frozen=True)
class Index:
    """A loaded index file: read-only arrays over one memory map."""

    list: str
    version: int
    arrays: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def item(self, prefix: str, row: int) -> tuple[str, str, int]:
        """(item id, media type, version added) of row `row` of a section."""
        return (str(uuid.UUID(bytes=bytes(self.arrays[f"{prefix}.items"][row]).ljust(16, b"\0"))),
                MEDIA_NAMES[int(self.arrays[f"{prefix}.media"][row])], int(self.arrays[f"{prefix}.added"][row]))

    def exact(self, algorithm: str, canonical: str) -> list[int]:
        """Rows of `algorithm` whose key equals the canonical value's."""
        keys = self.arrays[f"{algorithm}.keys"]
        key = np.array(key_of(algorithm, canonical), dtype=keys.dtype)
        low, high = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
        return list(range(int(low), int(high)))


class IndexFileError(ValueError):
    """The file is not a whole matching index."""


HOT = ("pdq.codes", "vpdq.codes")  # every search reads these whole


def _advise(mapped: mmap.mmap, specs: dict) -> None:
    """No read-ahead anywhere (a matched row's item id is one page, not the 128 KB around it), and
    the arrays every search scans read in now. So a host holds the codes and the pages of rows that
    matched, not the whole file (bench `match-10m`)."""
    mapped.madvise(mmap.MADV_RANDOM)
    for name in HOT:
        spec = specs.get(name)
        if spec and spec["shape"][0]:
            start = spec["offset"] - spec["offset"] % mmap.PAGESIZE
            mapped.madvise(mmap.MADV_WILLNEED, start, spec["offset"] + spec["shape"][0] * 32 - start)


def load(path: Path) -> Index:
    """Memory-map an index file read-only and check its frame (magic, footer, array bounds)."""
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    size = len(mapped)
    if size < len(MAGIC) + 8 or mapped[:len(MAGIC)] != MAGIC:
        raise IndexFileError(f"{path.name}: not a matching index")
    footer_length = int.from_bytes(mapped[size - 8:], "little")
    if footer_length > size - 8 - len(MAGIC):
        raise IndexFileError(f"{path.name}: truncated")
    try:
        footer = json.loads(mapped[size - 8 - footer_length:size - 8])
        arrays = {}
        for name, spec in footer["arrays"].items():
            dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
            count = int(np.prod(shape)) if shape else 0
            if spec["offset"] + count * dtype.itemsize > size - 8 - footer_length:
                raise IndexFileError(f"{path.name}: array {name} runs past the end")
            arrays[name] = np.frombuffer(mapped, dtype=dtype, count=count, offset=spec["offset"]).reshape(shape)
        _advise(mapped, footer["arrays"])
        return Index(list=footer["list"], version=footer["version"], arrays=arrays)
    except IndexFileError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexFileError(f"{path.name}: malformed footer ({exc})") from None
