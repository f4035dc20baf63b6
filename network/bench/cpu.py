"""CPU time spent by a process and its descendants (Linux ``/proc``), so that a bench can say
how much of the machine each side of an exchange used: on one machine the load generator and
the servers share the same cores, and a rate alone does not say which one limits it."""

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


def _own_seconds(pid: int) -> float:
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # After the command: state is field 3; utime and stime are fields 14 and 15 (proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int, depth: int = 4) -> float | None:
    """User plus system CPU seconds of ``pid`` and its live descendants; None without
    ``/proc`` (not Linux)."""
    if not (PROC / str(pid) / "stat").exists():
        return None
    total = _own_seconds(pid)
    if depth > 0:
        for child in _children(pid):
            total += tree_cpu_seconds(child, depth - 1) or 0.0
    return total


__all__ = ["tree_cpu_seconds"]
