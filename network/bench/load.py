"""What the benches that drive HTTP load share: ``count`` operations on ``concurrency``
threads with their latencies, the figures (rate, p50, p99), and the CPU each side spent."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from network.bench.ledger import latency_ms
from network.bench.process_cpu import tree_cpu_seconds


def run_threads(
    count: int, concurrency: int, one: Callable[[int, Any], bool], make: Callable[[], Any]
) -> tuple[list[float], float, int]:
    """``one(i, state)`` for i in range(count), ``concurrency`` threads each with its own
    ``make()`` state; latencies, elapsed seconds, failures."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(count))

    def worker() -> None:
        nonlocal failures
        state = make()
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t = time.perf_counter()
                ok = one(i, state)
                spent = time.perf_counter() - t
                with lock:
                    latencies.append(spent)
                    failures += 0 if ok else 1
        finally:
            close = getattr(state, "close", None)
            if close is not None:
                close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - start, failures


def figures(latencies: list[float], elapsed: float, failures: int) -> dict[str, Any]:
    return {
        "n": len(latencies),
        "failures": failures,
        "per_second": round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
        **latency_ms(latencies),
    }


class CpuMeter:
    """CPU milliseconds per operation spent by the load generator and by each
    node's process tree while a phase runs: on a machine whose cores the client shares with
    the servers, it says which side limits the rate, and what the server alone costs."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._client = time.process_time()
        self._nodes = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}

    def per_operation(
        self, count: int, elapsed: float, client_seconds: float | None = None
    ) -> dict[str, Any]:
        """``client_seconds``: the load generator's CPU when it ran in other processes
        (else this process's since the meter started)."""
        client = time.process_time() - self._client if client_seconds is None else client_seconds
        spent: dict[str, float | None] = {"client": client}
        for name, pid in self._pids.items():
            before, after = self._nodes[name], tree_cpu_seconds(pid)
            spent[name] = None if before is None or after is None else after - before
        per = {
            k: round(v * 1000 / count, 3) if v is not None and count else None
            for k, v in spent.items()
        }
        known = [v for v in spent.values() if v is not None]
        cores = os.cpu_count() or 1
        return {
            "cpu_ms_per_operation": per,
            # How busy the machine was with this phase (1.0: every core, all the time).
            "machine_share": round(sum(known) / (elapsed * cores), 2) if elapsed > 0 else None,
            # The rate these costs allow if the phase had every core to itself.
            "cpu_bound_per_second": round(count * cores / sum(known), 1) if sum(known) else None,
        }


__all__ = ["CpuMeter", "figures", "run_threads"]
