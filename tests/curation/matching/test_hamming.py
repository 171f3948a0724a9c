"""The matcher's brute-force search over memory-mapped codes returns exactly what faiss's
`IndexBinaryFlat.range_search` returns, at the 31/32 boundary and on random data."""

from __future__ import annotations

import mmap

import faiss
import numpy as np
import pytest
from baseline_client.matching import hamming


def _flip(code: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    unpacked = np.unpackbits(code)
    unpacked[rng.choice(256, size=bits, replace=False)] ^= 1
    return np.packbits(unpacked)


def _as_sets(lims, distances, rows) -> list[set[tuple[int, int]]]:
    return [{(int(d), int(r)) for d, r in zip(distances[lims[q]:lims[q + 1]], rows[lims[q]:lims[q + 1]], strict=True)}
            for q in range(len(lims) - 1)]


def _mapped(codes: np.ndarray, tmp_path) -> np.ndarray:
    """The codes as the matcher sees them: a read-only memory map of a file."""
    path = tmp_path / "codes"
    path.write_bytes(codes.tobytes())
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return np.frombuffer(mapped, np.uint8).reshape(-1, 32)


def test_distance_31_matches_and_32_does_not(tmp_path):
    rng = np.random.default_rng(31)
    listed = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    queries = np.array([_flip(listed[7], 31, rng), _flip(listed[9], 32, rng), listed[3]])
    lims, distances, rows = hamming.range_search(queries, _mapped(listed, tmp_path), 31)
    found = _as_sets(lims, distances, rows)
    assert (31, 7) in found[0]
    assert all(row != 9 for _, row in found[1])
    assert (0, 3) in found[2]


@pytest.mark.parametrize("max_distance", [0, 10, 31, 60])
def test_random_queries_equal_index_binary_flat(tmp_path, max_distance):
    rng = np.random.default_rng(max_distance)
    listed = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    near = np.array([_flip(listed[i], int(rng.integers(0, 64)), rng) for i in rng.integers(0, 5000, 300)])
    queries = np.concatenate([near, rng.integers(0, 256, (100, 32), dtype=np.uint8)])
    flat = faiss.IndexBinaryFlat(256)
    flat.add(listed)
    expected = _as_sets(*flat.range_search(queries, max_distance + 1))
    mapped = _mapped(listed, tmp_path)
    assert not mapped.flags.writeable
    assert _as_sets(*hamming.range_search(queries, mapped, max_distance)) == expected
    assert sum(map(len, expected)) > 0 if max_distance >= 31 else True


def test_empty_sides_and_bad_shapes():
    codes = np.zeros((3, 32), np.uint8)
    lims, distances, rows = hamming.range_search(np.zeros((2, 32), np.uint8), np.zeros((0, 32), np.uint8), 31)
    assert lims.tolist() == [0, 0, 0] and not distances.size and not rows.size
    lims, _, _ = hamming.range_search(np.zeros((0, 32), np.uint8), codes, 31)
    assert lims.tolist() == [0]
    with pytest.raises(ValueError, match="n x 32"):
        hamming.range_search(np.zeros((2, 16), np.uint8), codes, 31)
    with pytest.raises(ValueError, match="contiguous"):
        hamming.range_search(np.zeros((2, 32), np.uint8), np.zeros((3, 64), np.uint8)[:, :32], 31)
