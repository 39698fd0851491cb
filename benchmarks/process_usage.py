"""What the benchmarked processes use: CPU seconds and resident memory, read from /proc (Linux)."""

from __future__ import annotations

import os
from collections.abc import Iterable


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds the processes ``pids`` have used so far (Linux; 0 elsewhere)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def rss() -> dict[str, int]:
    """This process's resident memory in bytes by kind (Linux), empty elsewhere."""
    return rss_of(os.getpid())


def rss_of(pid: int) -> dict[str, int]:
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    found[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return found
