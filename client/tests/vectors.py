"""Reading vectors.json, for both test suites (the service's tests/curation/hashing/test_vectors.py
and the client's client/tests/test_client_commands.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTDATA = HERE.parents[2] / "shared" / "testdata"
VECTORS = json.loads((HERE / "vectors.json").read_text())


def comparable(signatures: list[dict]) -> list[dict]:
    """Signatures as vectors.json holds them (a vPDQ value by its SHA-256 and frame count)."""
    out = []
    for signature in signatures:
        if signature["algorithm"] == "vpdq":
            signature = {"algorithm": "vpdq", "frames": len(json.loads(signature["value"])),
                         "value_sha256": hashlib.sha256(signature["value"].encode()).hexdigest()}
        out.append(signature)
    return out
