"""Build one release in a fresh process, so its peak RSS is the build's alone. Prints JSON."""

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from curation.releases.build import release_build  # noqa: E402


def peak_rss_mb() -> float:
    # VmHWM is this process's own high-water mark; ru_maxrss would carry the parent's over exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


start = time.perf_counter()
status = release_build(int(sys.argv[1]))
print(json.dumps({
    "status": status,
    "seconds": round(time.perf_counter() - start, 2),
    "peak_rss_mb": peak_rss_mb(),
}))
