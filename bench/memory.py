"""Peak memory of the running process, shared by the benchmarks."""
from __future__ import annotations

import resource


def peak_mb() -> float:
    """Peak resident memory of this process in MB: VmHWM (Linux; fresh after exec, unlike
    ru_maxrss, which a child started by fork+exec inherits from its parent); ru_maxrss where
    /proc is missing."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
