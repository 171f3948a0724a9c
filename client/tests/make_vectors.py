"""Write vectors.json: the signatures of shared/testdata files as this code computes them. Run
after a deliberate change to hashing (and say why in the commit); both test suites then check
that the service (`POST hash/`) and the client (`baseline hash`) still produce exactly these.

    python client/tests/make_vectors.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
TESTDATA = HERE.parents[2] / "shared" / "testdata"
FILES = ["pdq/bridge-mods/aaa-orig.jpg", "pdq/bridge-mods/blur-a-lot.jpg", "pdq/bridge-mods/square-128x128.jpg",
         "pdq/misc/c.png", "pdq/misc/small.jpg", "pdq/reference/bridge-2-rotate-90.jpg", "pdq/reference/q0003.jpg",
         "vpdq/doorknob-hd-no-bar.mp4", "vpdq/pattern-sd-grey-bar.mp4"]
SECONDS_PER_HASH = 1  # POST hash/'s default


def vector(relative: str) -> dict:
    from vectors import comparable  # beside this script

    from baseline_client.hashing.media import hash_bytes

    result = hash_bytes((TESTDATA / relative).read_bytes(), seconds_per_hash=SECONDS_PER_HASH)
    return {"file": relative, "media_type": result.media_type, "signatures": comparable(result.signatures)}


def main() -> None:
    vectors = {"seconds_per_hash": SECONDS_PER_HASH, "vectors": [vector(f) for f in FILES]}
    (HERE / "vectors.json").write_text(json.dumps(vectors, indent=1) + "\n")


if __name__ == "__main__":
    main()
