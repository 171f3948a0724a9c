"""Release files (DESIGN.md section 5): pure renderers, rows in, bytes out.

No models and no database here: the build hands each renderer rows already ordered by the database
and hashes what comes out. Every renderer is a generator of `bytes` chunks so a million-row release
streams with flat memory, and every file is UTF-8 with LF line endings, no BOM, and the same bytes
for the same input.

Row files must be sorted bytewise by whole line. The renderers do not sort (that would hold the
whole file in memory); they check, and raise `ExportOrderError` on the first line out of place so
the build fails rather than publish an unsorted file. Chunks already yielded before the error are
then worthless: the caller discards the whole file.

Invariant 5: releases carry item id, media type, algorithm, value and version only.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from baseline_client.hashing import signatures

from curation.models.releases import FeedName

PHOTODNA_FEED, STANDARD_FEED = FeedName.PHOTODNA.value, FeedName.STANDARD.value
PHOTODNA_FORMATS = ("photodna", "vics")  # the files that carry PhotoDNA values

# Big enough that per-chunk overhead (hashing, storage writes) vanishes, small enough to stay flat.
CHUNK_SIZE = 64 * 1024

CSV_HEADER = "item_id,media_type,algorithm,value,added_in_version"
DELTA_HEADER = "change,item_id,media_type,algorithm,value"
DELTA_CHANGES = ("added", "removed")

# The data model named by the one real VICS 1.3 reader we could read, IPED (sepinf-inc/IPED,
# iped-engine/src/main/java/dpf/sp/gpinf/indexer/process/task/ProjectVICHashLookup.java and
# iped-engine/src/main/java/gpinf/hashdb/HashDBTool.java): it refuses any other value, and refuses
# a file whose first key is not "odata.metadata".
VICS_METADATA = "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media"
# VICS category 1 is child abuse material, the worst; every Baseline item meets that bar.
VICS_CATEGORY = 1


class ExportOrderError(ValueError):
    """Input not in the bytewise order the file promises; the build must fail, not publish."""


@dataclass(frozen=True)
class FileSpec:
    format: str
    feed: str

    def name(self, version: int) -> str:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"release version must be a positive integer, not {version!r}.")
        base, gz = self.format.removesuffix(GZ), self.format.endswith(GZ)
        return f"baseline-v{version}{_SUFFIXES[base]}{GZ if gz else ''}"

    @property
    def gzip_copy(self) -> FileSpec | None:
        """The spec of this file's gzip copy (`csv.gz`, …); every full file has one, the delta none."""
        return None if self.format == "delta" or self.format.endswith(GZ) else FileSpec(self.format + GZ, self.feed)



_SUFFIXES = {
    "csv": ".csv",
    "json": ".json",
    **{algorithm: f".{algorithm}.txt" for algorithm in signatures.ALGORITHMS},
    "threatexchange": ".threatexchange.txt",
    "vics": ".vics.json",
    "delta": ".delta.csv",
}
FILES: tuple[FileSpec, ...] = tuple(
    FileSpec(name, PHOTODNA_FEED if name in PHOTODNA_FORMATS else STANDARD_FEED) for name in _SUFFIXES
)
GZ = ".gz"
GZIP_FILES: tuple[FileSpec, ...] = tuple(spec.gzip_copy for spec in FILES if spec.gzip_copy)
_BY_FORMAT = {spec.format: spec for spec in (*FILES, *GZIP_FILES)}


def manifest_name(version: int) -> str:
    """What a browser saves the manifest as (it is no file of the manifest's own list)."""
    return f"baseline-v{version}.manifest.json"


def signature_name(version: int) -> str:
    """What a browser saves the signature JSON as, beside the manifest."""
    return f"baseline-v{version}.signature.json"


def file_spec(format: str) -> FileSpec:
    try:
        return _BY_FORMAT[format]
    except (KeyError, TypeError):
        raise ValueError(f"unknown export format {format!r}; known: {', '.join(_BY_FORMAT)}.") from None


# --- plumbing shared by every renderer --------------------------------------------------------


def _chunks(lines: Iterable[bytes]) -> Iterator[bytes]:
    """Batch complete lines into chunks of about CHUNK_SIZE (never more than that plus one line)."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= CHUNK_SIZE:
            yield b"".join(batch)
            batch, size = [], 0
    if batch:
        yield b"".join(batch)


def _line(text: str) -> bytes:
    # A CR or LF inside a value would split one row into two and break every line-based reader.
    if "\n" in text or "\r" in text:
        raise ValueError("a line break inside a value cannot be exported.")
    return text.encode("utf-8")


def _sorted_lines(texts: Iterable[str], what: str) -> Iterator[bytes]:
    """Encode, check strict bytewise order (which also rules out duplicates), add the LF."""
    previous: bytes | None = None
    for number, text in enumerate(texts, start=1):
        line = _line(text)
        if previous is not None and line <= previous:
            raise ExportOrderError(
                f"{what}: row {number} does not sort bytewise after row {number - 1} "
                "(rows must arrive strictly increasing, COLLATE \"C\")."
            )
        previous = line
        yield line + b"\n"


def _comma_separated(records: Iterable[bytes]) -> Iterator[bytes]:
    """One JSON record per line, a comma after each but the last: needs one record of lookahead."""
    previous: bytes | None = None
    for record in records:
        if previous is not None:
            yield previous + b",\n"
        previous = record
    if previous is not None:
        yield previous + b"\n"


# One encoder for the whole build: json.dumps with options builds a new one per call.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _compact_json(value: object) -> bytes:
    return _JSON.encode(value).encode("utf-8")


def _csv_field(value: str) -> str:
    # RFC 4180: a field holding a comma or a quote is quoted, inner quotes doubled (vpdq needs it).
    if "," in value or '"' in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _csv_row(*fields: str | int) -> str:
    return ",".join(_csv_field(str(field)) for field in fields)


# --- the formats --------------------------------------------------------------------------------


def render_csv(rows: Iterable[tuple[str, str, str, str, int]]) -> Iterator[bytes]:
    """`baseline-vN.csv`: header, then one row per signature."""
    lines = (_csv_row(item_id, media, algorithm, value, added) for item_id, media, algorithm, value, added in rows)
    return _chunks(chain([_line(CSV_HEADER) + b"\n"], _sorted_lines(lines, "csv")))


def render_values(values: Iterable[str]) -> Iterator[bytes]:
    """`baseline-vN.<algorithm>.txt`: one value per line."""
    return _chunks(_sorted_lines(values, "values"))


def render_json(version: int, items: Iterable[tuple[str, str, int, list[tuple[str, str]]]]) -> Iterator[bytes]:
    """`baseline-vN.json`: one item per line between a fixed first and last line, ordered by item_id."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"version must be an integer, not {version!r}.")
    head = b'{"version":%d,"items":[\n' % version
    records = (_json_item(item) for item in _ordered_items(items, "json"))
    return _chunks(chain([head], _comma_separated(records), [b"]}\n"]))


def _ordered_items(items: Iterable[tuple], what: str) -> Iterator[tuple]:
    """Pass items through, checking their ids (first field) strictly increase bytewise."""
    previous: bytes | None = None
    for number, item in enumerate(items, start=1):
        key = item[0].encode("utf-8")
        if previous is not None and key <= previous:
            raise ExportOrderError(f"{what}: item {number} does not sort bytewise after item {number - 1}.")
        previous = key
        yield item


def _json_item(item: tuple[str, str, int, list[tuple[str, str]]]) -> bytes:
    item_id, media_type, added_in_version, signatures = item
    values: dict[str, object] = {}
    for algorithm, value in signatures:
        if algorithm in values:
            raise ValueError(f"json: item {item_id} has two {algorithm} values.")
        # vpdq is stored as a JSON list in a string; in a JSON file it belongs as the list itself.
        values[algorithm] = json.loads(value) if algorithm == "vpdq" else value
    record = {
        "item_id": item_id,
        "media_type": media_type,
        "added_in_version": added_in_version,
        "signatures": dict(sorted(values.items())),
    }
    return _compact_json(record)


# python-threatexchange's `local_file` collaboration (LocalFileSignalExchangeAPI in
# facebook/ThreatExchange python-threatexchange/threatexchange/exchanges/impl/file_api.py, read in
# threatexchange 1.2.17) reads the file one line at a time: `line.strip()`, then
# `partition(" ")` into signal type and signal; blank and unknown-type lines are dropped. Type names
# are SignalType.get_name(): PdqSignal -> "pdq", VideoMD5Signal -> "video_md5", and the vpdq
# extension's VPDQSignal -> "vpdq" (threatexchange/extensions/vpdq/vpdq.py), whose signal is the
# JSON list of "pdq_hex,quality,timestamp" strings that vpdq_util.json_to_vpdq parses - our
# canonical vpdq form as is.
THREATEXCHANGE_SIGNAL_TYPES = {("image", "pdq"): "pdq", ("video", "md5"): "video_md5", ("video", "vpdq"): "vpdq"}


def threatexchange_rows_for(media_type: str, algorithm: str, value: str) -> tuple[str, str] | None:
    """The (signal_type, value) line for one signature, or None when ThreatExchange has no such type."""
    signal_type = THREATEXCHANGE_SIGNAL_TYPES.get((media_type, algorithm))
    return None if signal_type is None else (signal_type, value)


def render_threatexchange(rows: Iterable[tuple[str, str]]) -> Iterator[bytes]:
    """`baseline-vN.threatexchange.txt`: lines `<signal_type> <value>`."""
    return _chunks(_sorted_lines((_threatexchange_line(*row) for row in rows), "threatexchange"))


_NO_BLANKS = re.compile(r"\S+")


def _threatexchange_line(signal_type: str, value: str) -> str:
    # The reader strips the line and splits at the first space: blanks inside a value would be
    # silently cut into a different signal.
    if not (_NO_BLANKS.fullmatch(signal_type) and _NO_BLANKS.fullmatch(value)):
        raise ValueError("threatexchange: signal type and value must be non-empty and contain no whitespace.")
    return f"{signal_type} {value}"


def render_vics(items: Iterable[tuple[str, str, dict[str, str]]]) -> Iterator[bytes]:
    """`baseline-vN.vics.json`: Project VIC VICS 1.3 Media records, one per line, ordered by item id.

    Each record has, in this order: MediaID, Category, MD5, SHA1, PhotoDNA (those present) and,
    with PhotoDNA, AlternativeHashes. Rows are (item_id, media_type, signatures). VICS also has
    Series, VictimIdentified and OffenderIdentified, but invariant 5 keeps victim and case
    information out of every release.
    """
    head = b'{"odata.metadata":' + _compact_json(VICS_METADATA) + b',"value":[\n'
    records = (_vics_record(item) for item in _ordered_items(items, "vics"))
    return _chunks(chain([head], _comma_separated(r for r in records if r is not None), [b"]}\n"]))


def _vics_record(item: tuple[str, str, dict[str, str]]) -> bytes | None:
    item_id, _media_type, signatures = item
    md5, sha1, photodna = signatures.get("md5"), signatures.get("sha1"), signatures.get("photodna")
    if not (md5 or sha1 or photodna):
        return None  # nothing a VICS tool can match on
    record: dict[str, object] = {"MediaID": item_id, "Category": VICS_CATEGORY}
    if md5:
        record["MD5"] = md5
    if sha1:
        record["SHA1"] = sha1
    if photodna:
        # DESIGN.md: Media records carry PhotoDNA as a member of their own, "PhotoDNA" (base64), as
        # VICS writers emit it and IPED's HashDBTool reads it at record level. Some readers look
        # only one array deeper, at HashName "PhotoDNA" / HashValue under
        # AlternativeHashes (the IPED files cited at VICS_METADATA), so the value is there too.
        record["PhotoDNA"] = photodna
        record["AlternativeHashes"] = [{"HashName": "PhotoDNA", "HashValue": photodna}]
    return _compact_json(record)


def render_delta(rows: Iterable[tuple[str, str, str, str, str]]) -> Iterator[bytes]:
    """`baseline-vN.delta.csv`: what changed since N-1, `added` rows sorting before `removed` ones."""
    return _chunks(chain([_line(DELTA_HEADER) + b"\n"], _sorted_lines(_delta_lines(rows), "delta")))


def _delta_lines(rows: Iterable[tuple[str, str, str, str, str]]) -> Iterator[str]:
    for change, item_id, media_type, algorithm, value in rows:
        if change not in DELTA_CHANGES:
            raise ValueError(f"delta: change must be one of {', '.join(DELTA_CHANGES)}, not {change!r}.")
        yield _csv_row(change, item_id, media_type, algorithm, value)


# --- gzip copies --------------------------------------------------------------------------------

GZIP_LEVEL = 1  # as small as level 6 within 2% on hex lines (random digests), several times faster
# RFC 1952 member header: deflate, no flags (no file name, no comment), mtime 0, no extra flags,
# OS "unknown" (255), so the bytes depend on the content alone, whatever machine built them.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


class GzipCopy:
    """Deterministic gzip of a stream fed chunk by chunk: `feed(chunk)` returns the compressed
    bytes ready so far, `finish()` the rest with the CRC-32 and length trailer. Standard gzip
    (`gzip.decompress`, `gunzip`, `zcat` read it); no file name, mtime 0 (DESIGN.md section 5)."""

    def __init__(self, level: int = GZIP_LEVEL):
        self._deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
        self._crc, self._size, self._started = 0, 0, False

    def feed(self, chunk: bytes) -> bytes:
        self._crc = zlib.crc32(chunk, self._crc)
        self._size += len(chunk)
        out = self._deflate.compress(chunk)
        if not self._started:
            self._started = True
            return _GZIP_HEADER + out
        return out

    def finish(self) -> bytes:
        head = b"" if self._started else _GZIP_HEADER
        self._started = True
        return head + self._deflate.flush() + struct.pack("<II", self._crc, self._size & 0xFFFFFFFF)


def gzip_bytes(data: bytes) -> bytes:
    """The deterministic gzip of `data` (tests, and anyone checking a copy by hand)."""
    copy = GzipCopy()
    return copy.feed(data) + copy.finish()
