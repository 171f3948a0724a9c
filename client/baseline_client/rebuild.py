"""Rebuilding release N's row files from release M's and the signed deltas M+1..N (DESIGN.md
section 10). Streamed: the old file is read line by line and merged with the (small) changes, so
memory stays flat at millions of rows. The result counts only if its size and SHA-256 equal the
manifest's; `sync` downloads the file whole otherwise.

Files are sorted bytewise by whole line (DESIGN.md section 5), so a merge of the kept old lines
with the sorted new ones reproduces the service's file exactly. The delta file has
`change,item_id,media_type,algorithm,value`; the csv `item_id,media_type,algorithm,value,added_in_version`.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ALGORITHMS = ("md5", "sha1", "sha256", "pdq", "vpdq")  # PhotoDNA values are in no delta
THREATEXCHANGE = {("image", "pdq"): "pdq", ("video", "md5"): "video_md5", ("video", "vpdq"): "vpdq"}
REBUILDABLE = ("csv", *ALGORITHMS, "threatexchange")
# A vPDQ value of an hour of video sampled once a second is some 300,000 characters, more than the
# csv module's default limit of 131,072 a field.
FIELD_LIMIT = 1 << 30


def allow_long_fields() -> None:
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))


def _field(value: str) -> str:
    if "," in value or '"' in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _row(*fields) -> str:
    return ",".join(_field(str(f)) for f in fields)


@dataclass
class Changes:
    """The net change from release M to N: signatures removed from M's, and rows added since."""

    removed: set[tuple[str, str]] = field(default_factory=set)  # (item_id, algorithm)
    added: dict[tuple[str, str], tuple[str, str, int]] = field(default_factory=dict)  # -> (media, value, version)
    removed_rows: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # -> (media, value)

    def apply(self, version: int, delta: Iterable[str]) -> None:
        """Fold in release `version`'s delta lines (header first)."""
        allow_long_fields()
        reader = csv.reader(delta)
        header = next(reader, None)
        if header != ["change", "item_id", "media_type", "algorithm", "value"]:
            raise ValueError(f"release {version}: the delta's header is {header!r}")
        for change, item_id, media_type, algorithm, value in reader:
            key = (item_id, algorithm)
            if change == "added":
                self.added[key] = (media_type, value, version)
            elif change == "removed":
                if self.added.pop(key, None) is None:
                    self.removed.add(key)
                    self.removed_rows[key] = (media_type, value)
            else:
                raise ValueError(f"release {version}: unknown change {change!r} in its delta")


def _old_lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        for line in handle:
            yield line.rstrip("\n")


def _merge(kept: Iterator[str], new: list[str]) -> Iterator[str]:
    return heapq.merge(kept, sorted(new, key=lambda s: s.encode("utf-8")), key=lambda s: s.encode("utf-8"))


def lines_of(file_format: str, old: Path, changes: Changes) -> Iterator[str]:
    """Release N's lines of one rebuildable format, from release M's file."""
    if file_format == "csv":
        lines = _old_lines(old)
        header = next(lines)
        kept = (line for line in lines if tuple(line.split(",", 3)[0:3:2]) not in changes.removed)
        new = [_row(item, media, algorithm, value, version)
               for (item, algorithm), (media, value, version) in changes.added.items()]
        yield header
        yield from _merge(kept, new)
    elif file_format == "threatexchange":
        gone = {f"{THREATEXCHANGE[(media, algorithm)]} {value}" for (item, algorithm), (media, value)
                in changes.removed_rows.items() if (media, algorithm) in THREATEXCHANGE}
        new = [f"{THREATEXCHANGE[(media, algorithm)]} {value}" for (item, algorithm), (media, value, _)
               in changes.added.items() if (media, algorithm) in THREATEXCHANGE]
        yield from _merge((line for line in _old_lines(old) if line not in gone), new)
    else:
        gone = {value for (item, algorithm), (_, value) in changes.removed_rows.items() if algorithm == file_format}
        new = [value for (item, algorithm), (_, value, _) in changes.added.items() if algorithm == file_format]
        yield from _merge((line for line in _old_lines(old) if line not in gone), new)


def write(file_format: str, old: Path, changes: Changes, target: Path) -> tuple[str, int]:
    """Write the rebuilt file; its (SHA-256, size)."""
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        for line in lines_of(file_format, old, changes):
            data = line.encode("utf-8") + b"\n"
            digest.update(data)
            size += len(data)
            out.write(data)
    return digest.hexdigest(), size
