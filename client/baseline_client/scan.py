"""`baseline hash` and `baseline scan` (DESIGN.md section 10): signatures computed locally with the
service's own code (baseline_client.hashing), and offline matching against a verified mirror with
section 9's rules — exact MD5/SHA-1/SHA-256, PDQ within 31 by brute force, vPDQ by coverage.
Nothing scanned leaves the machine.

Files are hashed by `--jobs` worker processes; matching runs in the parent, against the mirror's
`csv` loaded once.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from baseline_client import mirror
from baseline_client.hashing import media
from baseline_client.hashing.errors import MediaError
from baseline_client.matching import frames, hamming, vpdq

EXACT = ("md5", "sha1", "sha256")
PDQ_MAX_DISTANCE = 31
MATCH_BATCH = 256  # files matched at a time: their PDQ hashes in one search
FIELDS = ("path", "list", "item_id", "media_type", "algorithm", "value", "added_in_version", "distance",
          "query_coverage", "listed_coverage", "kind")


def hash_one(path: str, seconds_per_hash: float = 0.0) -> tuple[str, dict | None, str | None]:
    """(path, {"media_type", "signatures"} or None, why it was skipped or None). No limits of time
    or length: these are the partner's own files on the partner's own machine."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return path, None, f"unreadable: {exc.strerror or exc}"
    try:
        result = media.hash_bytes(data, seconds_per_hash=seconds_per_hash, max_seconds=None, max_cpu_seconds=None)
    except MediaError as exc:
        return path, None, exc.code
    return path, {"media_type": result.media_type, "signatures": result.signatures}, None


def files_under(paths: Iterable[str]) -> Iterator[str]:
    """Every regular file under the paths, in a stable order."""
    for root in paths:
        if os.path.isfile(root):
            yield root
            continue
        for folder, subfolders, names in os.walk(root):
            subfolders.sort()
            for name in sorted(names):
                yield os.path.join(folder, name)


def hashed(paths: list[str], jobs: int, seconds_per_hash: float) -> Iterator[tuple[str, dict | None, str | None]]:
    """hash_one over the paths, in order, on `jobs` processes."""
    if jobs <= 1:
        for path in paths:
            yield hash_one(path, seconds_per_hash)
        return
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        yield from pool.imap(_hash_star, [(p, seconds_per_hash) for p in paths], chunksize=4)


def _hash_star(arguments: tuple[str, float]):
    return hash_one(*arguments)


@dataclass
class Listed:
    """A mirror's entries, ready to match."""

    list: str
    exact: dict[tuple[str, str], list[tuple[str, str, int]]] = field(default_factory=dict)
    pdq_rows: list[tuple[str, str, str, int]] = field(default_factory=list)  # (item, media, value, added)
    pdq_codes: np.ndarray = field(default_factory=lambda: np.zeros((0, 32), np.uint8))
    videos: list[tuple[str, str, str, int]] = field(default_factory=list)
    video_frames: frames.Frames | None = None

    @classmethod
    def from_mirror(cls, directory: Path) -> Listed:
        state = mirror.State.read(directory)
        manifest = mirror.read_manifest(directory, state.version)
        listed = cls(state.list)
        pdq_values = []
        with open(directory / "current" / manifest.files()["csv"]["name"], encoding="utf-8", newline="") as handle:
            for item_id, media_type, algorithm, value, added in _rows(handle):
                if algorithm in EXACT:
                    listed.exact.setdefault((algorithm, value), []).append((item_id, media_type, int(added)))
                elif algorithm == "pdq":
                    listed.pdq_rows.append((item_id, media_type, value, int(added)))
                    pdq_values.append(value)
                elif algorithm == "vpdq":
                    listed.videos.append((item_id, media_type, value, int(added)))
        if pdq_values:
            listed.pdq_codes = np.frombuffer(bytes.fromhex("".join(pdq_values)), np.uint8).reshape(-1, 32)
        listed.video_frames = frames.Frames.of_values(v for _, _, v, _ in listed.videos)
        return listed

    def match(self, signatures: list[dict], **options) -> list[dict]:
        return self.match_many([signatures], **options)[0]

    def match_many(self, batch: list[list[dict]], *, pdq_max_distance: int = PDQ_MAX_DISTANCE,
                   vpdq_min_coverage: float = vpdq.DEFAULT_THRESHOLD) -> list[list[dict]]:
        """The matches of each file's signatures; every PDQ of the batch in one search."""
        found: list[list[dict]] = [[] for _ in batch]
        pdq_queries = [(n, s["value"]) for n, signatures in enumerate(batch) for s in signatures
                       if s["algorithm"] == "pdq"]
        if pdq_queries and len(self.pdq_codes):
            codes = np.frombuffer(bytes.fromhex("".join(v for _, v in pdq_queries)), np.uint8).reshape(-1, 32)
            lims, distances, rows = hamming.range_search(codes, self.pdq_codes, pdq_max_distance)
            for q, (n, _) in enumerate(pdq_queries):
                hits = sorted(zip(distances[lims[q]:lims[q + 1]].tolist(), rows[lims[q]:lims[q + 1]].tolist(),
                                  strict=True))
                for distance, row in hits:
                    item, media_type, listed_value, added = self.pdq_rows[row]
                    found[n].append({**self._described(item, media_type, "pdq", listed_value, added),
                                     "distance": distance})
        for n, signatures in enumerate(batch):
            for signature in signatures:
                algorithm, value = signature["algorithm"], signature["value"]
                if algorithm in EXACT:
                    found[n] += [self._described(item, media_type, algorithm, value, added)
                                 for item, media_type, added in self.exact.get((algorithm, value), [])]
                elif algorithm == "vpdq" and self.videos:
                    for row, result in frames.matching_videos(vpdq.Video.parse(value), self.video_frames,
                                                              threshold=vpdq_min_coverage):
                        item, media_type, listed_value, added = self.videos[row]
                        found[n].append({**self._described(item, media_type, algorithm, listed_value, added),
                                         **result.as_dict()})
        return found

    def _described(self, item: str, media_type: str, algorithm: str, value: str, added: int) -> dict:
        return {"list": self.list, "item_id": item, "media_type": media_type, "algorithm": algorithm,
                "value": value, "added_in_version": added}


def _rows(handle) -> Iterator[list[str]]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if header != ["item_id", "media_type", "algorithm", "value", "added_in_version"]:
        raise ValueError(f"the mirror's csv has the header {header!r}")
    yield from reader


@dataclass
class Summary:
    files: int = 0
    matched_files: int = 0
    matches: int = 0
    skipped: Counter = field(default_factory=Counter)

    def line(self) -> str:
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(self.skipped.items()))
        return (f"scanned {self.files} file(s): {self.matched_files} matched ({self.matches} match(es)); "
                f"{skipped} skipped" + (f" ({reasons})" if reasons else ""))


def scan(paths: list[str], directory: Path, *, jobs: int = 1, output_format: str = "jsonl",
         out=sys.stdout, seconds_per_hash: float = 1.0) -> Summary:
    """Hash every file under `paths` and write one record per match."""
    faiss.omp_set_num_threads(1)  # idle OpenMP threads spin: they would take the CPU from the hashing processes
    mirror.verify(directory, max_age_days=float("inf"))  # the mirror as signed, whatever its age
    listed = Listed.from_mirror(directory)
    files = list(files_under(paths))
    summary = Summary()
    writer = csv.DictWriter(out, FIELDS, extrasaction="ignore", lineterminator="\n") if output_format == "csv" \
        else None
    if writer is not None:
        writer.writeheader()
    progress = tqdm(total=len(files), unit="file", disable=not sys.stderr.isatty(), leave=False)
    batch: list[tuple[str, dict]] = []

    def flush() -> None:
        for (path, _), found in zip(batch, listed.match_many([r["signatures"] for _, r in batch]),
                                         strict=True):
            if found:
                summary.matched_files += 1
                summary.matches += len(found)
            for record in found:
                record = {"path": path, **record}
                if writer is not None:
                    writer.writerow(record)
                else:
                    out.write(json.dumps(record, separators=(",", ":")) + "\n")
        batch.clear()

    for path, result, skipped in hashed(files, jobs, seconds_per_hash):
        progress.update(1)
        summary.files += 1
        if result is None:
            summary.skipped[skipped] += 1
            continue
        batch.append((path, result))
        if len(batch) >= MATCH_BATCH:
            flush()
    flush()
    progress.close()
    return summary
