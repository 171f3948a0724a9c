"""Build one release in a fresh process, so its peak RSS is the build's alone. Prints JSON."""

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from curation.releases import release_build  # noqa: E402

start = time.perf_counter()
status = release_build(int(sys.argv[1]))
print(json.dumps({
    "status": status,
    "seconds": round(time.perf_counter() - start, 2),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
}))
