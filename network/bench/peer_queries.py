"""The query load of ``tdx bench network``: the KZ node's identity asks the CN node about
documents, ``concurrency`` requests in flight, each one signed (RFC 9421, a fresh nonce)
and each signed answer checked in every part as the KZ node checks it (``NodeJudge``: trust
list and CRLs as they are on disk, validity and revocation decided per answer).

The asking side runs in ``processes`` processes (threads in each): one Python process
holds one core at most (its interpreter lock), so a single asking process measured its own
limit rather than the answering node's. The CPU each side spends per query is reported
(the client's from its processes, each node's from ``/proc``), so that on a machine whose
cores the asker shares with the nodes the figures say which side limits the rate.
"""

from __future__ import annotations

import datetime
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from network.bench.load import CpuMeter, figures, run_threads
from network.home import Home
from network.peers import answers
from network.peers.client import PeerClient, PeerTransportError
from network.peers.node_judge import NodeJudge
from network.peers.service import QUERY_PATH

TARGET_QUERIES_PER_SECOND = 500
TARGET_P99_MS = 50.0
START_TIMEOUT = 120.0  # seconds for every asking process to be ready


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


_barrier: Any = None


def _init(barrier: Any) -> None:
    global _barrier
    _barrier = barrier


def _ask(
    kz_home: str, url: str, digests: list[str], count: int, threads: int
) -> tuple[list[float], int, float, float, float]:
    """One asking process: ``count`` queries on ``threads`` threads, started together with
    the other processes; latencies, failures, CPU seconds, wall start and end."""
    kz = Home(Path(kz_home))
    descriptor = kz.network().descriptor("CN")  # type: ignore[union-attr]
    assert descriptor is not None
    node_judge = NodeJudge(kz)
    key, cert = kz.node_key(), kz.node_certificate()

    def judge(c: Any) -> tuple[str | None, str]:
        return node_judge.judge(c, _now())

    def one(i: int, client: PeerClient) -> bool:
        digest = digests[i % len(digests)]
        body = {"digest": digest, "issuer": None, "knownSize": None}
        try:
            nonce, response = client.post(url, QUERY_PATH, body)
        except PeerTransportError:
            return False
        if response.status_code != 200:
            return False
        question = answers.Question(digest, None, None, nonce)
        checked = answers.check_answer(response.json()["answer"], question, descriptor, judge, None)
        return checked.ok and checked.status == "issued"

    _barrier.wait(START_TIMEOUT)
    cpu, start = time.process_time(), time.time()
    latencies, _, failures = run_threads(count, threads, one, lambda: PeerClient(key, cert, _now))
    return latencies, failures, time.process_time() - cpu, start, time.time()


def query_load(
    path: Path,
    url: str,
    pids: dict[str, int],
    digests: list[str],
    n: int,
    concurrency: int,
    processes: int = 2,
) -> dict[str, Any]:
    """``n`` queries to the CN node at ``url``, ``concurrency`` in flight from
    ``processes`` asking processes; the figures, CPU per query and the target."""
    processes = max(1, min(processes, concurrency))
    threads = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    counts = [n // processes + (i < n % processes) for i in range(processes)]
    context = multiprocessing.get_context("spawn")  # no threads or sockets inherited
    barrier = context.Barrier(processes + 1)
    kz = str(path / "homes" / "KZ")
    with ProcessPoolExecutor(processes, context, initializer=_init, initargs=(barrier,)) as pool:
        futures = [
            pool.submit(_ask, kz, url, digests, c, t) for c, t in zip(counts, threads, strict=True)
        ]
        barrier.wait(START_TIMEOUT)  # every asker ready: the nodes' CPU is counted from here
        meter = CpuMeter(pids)
        results = [f.result() for f in futures]
    latencies = [x for r in results for x in r[0]]
    failures = sum(r[1] for r in results)
    elapsed = max(r[4] for r in results) - min(r[3] for r in results)
    out = figures(latencies, elapsed, failures)
    out["concurrency"] = concurrency
    out["client_processes"] = processes
    cpu = meter.per_operation(len(latencies), elapsed, sum(r[2] for r in results))
    out["cpu"] = cpu
    answering = cpu["cpu_ms_per_operation"].get("CN")
    # The answering node alone: queries per second per core of the CN node's process, as if
    # its askers were on other machines (each request still signed, nonce-fresh, checked).
    out["server_per_core_per_second"] = round(1000 / answering, 1) if answering else None
    out["target"] = {"per_second": TARGET_QUERIES_PER_SECOND, "p99_ms": TARGET_P99_MS}
    out["meets_target"] = (
        out["per_second"] >= TARGET_QUERIES_PER_SECOND and out["p99_ms"] <= TARGET_P99_MS
    )
    return out


__all__ = ["TARGET_P99_MS", "TARGET_QUERIES_PER_SECOND", "query_load"]
