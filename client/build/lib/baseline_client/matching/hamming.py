"""Brute-force Hamming range search over 256-bit codes where they lie (DESIGN.md section 9).

`faiss.hamming_range_search` is the function faiss's `IndexBinaryFlat.range_search` runs; called
directly on the index file's memory-mapped arrays it reads the host's one copy in the page cache,
where an `IndexBinaryFlat` would first copy every code into each process (320 MB a process at 10M
PDQ hashes). Its results are exactly `IndexBinaryFlat`'s (tests/curation/matching/test_hamming.py).
Like `range_search`, it keeps distances strictly below its radius: a maximum distance of 31 is a
radius of 32.
"""

from __future__ import annotations

import faiss
import numpy as np

CODE_BYTES = 32


def range_search(queries: np.ndarray, codes: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray,
                                                                                       np.ndarray]:
    """(lims, distances, rows) as `IndexBinaryFlat.range_search(queries, max_distance + 1)` returns
    them: the matches of query q are rows[lims[q]:lims[q + 1]], at distances[lims[q]:lims[q + 1]].
    `codes` may be read-only (a memory map); both are n x 32 uint8 arrays."""
    queries = np.ascontiguousarray(queries, dtype=np.uint8)
    if queries.ndim != 2 or queries.shape[1] != CODE_BYTES or codes.ndim != 2 or codes.shape[1] != CODE_BYTES:
        raise ValueError("codes and queries are n x 32 uint8 arrays")
    if codes.dtype != np.uint8 or not codes.flags.c_contiguous:
        raise ValueError("codes must be a C-contiguous uint8 array")
    count = len(queries)
    if not count or not len(codes):
        return np.zeros(count + 1, np.uint64), np.zeros(0, np.int32), np.zeros(0, np.int64)
    result = faiss.RangeSearchResult(count)
    faiss.hamming_range_search(faiss.swig_ptr(queries), faiss.swig_ptr(codes), count, len(codes),
                               max_distance + 1, CODE_BYTES, result)
    lims = faiss.rev_swig_ptr(result.lims, count + 1).copy()
    found = int(lims[-1])
    if not found:
        return lims, np.zeros(0, np.int32), np.zeros(0, np.int64)
    distances = faiss.rev_swig_ptr(result.distances, found).astype(np.int32)
    rows = faiss.rev_swig_ptr(result.labels, found).copy()
    return lims, distances, rows
