"""CPU time of a process and its descendants (Linux ``/proc``), for the benches' server CPU
per request: unlike a rate, it hardly depends on what else the machine's cores are doing,
so a figure measured on a busy machine can still be compared and extrapolated."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def tree_cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of ``pid`` and every live descendant; None where
    ``/proc`` does not say (not Linux)."""
    if not (PROC / str(pid) / "stat").is_file():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    seen: list[int] = [pid]
    for current in seen:  # grows as descendants are found (a tree: no cycles)
        try:
            fields = (PROC / str(current) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        seen += _children(current)
    return total
