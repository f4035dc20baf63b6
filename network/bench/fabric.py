"""The Fabric benchmark behind ``tdx bench fabric``: submits per second and commit latency
through the four-orderer BFT network, the same load on the embedded engine and on anvil,
and the ratios; at two block-cutting settings.

Each Fabric run starts its own network (on a fresh temporary demo home), so the settings
are the channel's from its genesis block. A submit's latency is the whole round trip the
node waits for: admission, endorsement by the issuing country's peer, ordering by SmartBFT
(3 of 4 orderers), validation and commit on the peer, and the index catching up.
"""

from __future__ import annotations

import datetime
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chaincode.documents.registry import DocumentKind
from chaincode.transactions import Op
from network.bench.ledger import latency_ms
from network.fabric.layout import Batching
from network.fabric.network import create, down, up
from network.fabric.settings import record
from network.home import Home, init_demo
from network.node import Node

Progress = Callable[[str], None]
ISSUE = {"kind": DocumentKind.CO, "country": "CN"}
SETTINGS = (Batching(100, "100ms"), Batching(1000, "1s"))


def _digest(rng: random.Random) -> str:
    return f"sha256:{rng.getrandbits(256):064x}"


def load(node: Node, n: int, threads: int, progress: Progress) -> dict[str, Any]:
    """``n`` single submits one at a time, then ``n`` from ``threads`` threads."""
    rng = random.Random(1337)  # noqa: S311 (benchmark data, not secrets)
    progress(f"  {n} submits, one at a time")
    latencies = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        node.submit("cn-gacc", Op.ISSUE, doc=_digest(rng), **ISSUE)
        latencies.append(time.perf_counter() - t)
    sequential = n / (time.perf_counter() - start)
    progress(f"  {n} submits from {threads} threads")
    concurrent: list[float] = []
    lock = threading.Lock()

    def worker(count: int, seed: int) -> None:
        local = random.Random(seed)  # noqa: S311
        for _ in range(count):
            t = time.perf_counter()
            node.submit("cn-gacc", Op.ISSUE, doc=_digest(local), **ISSUE)
            with lock:
                concurrent.append(time.perf_counter() - t)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n // threads, i)) for i in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    rate = len(concurrent) / (time.perf_counter() - start)
    return {
        "sequential": {"n": n, "per_second": round(sequential, 1), **latency_ms(latencies)},
        "concurrent": {
            "n": len(concurrent),
            "threads": threads,
            "per_second": round(rate, 1),
            **latency_ms(concurrent),
        },
    }


def _fabric(batching: Batching, n: int, threads: int, progress: Progress) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tdx-bench-fabric-") as tmp:
        home = init_demo(Path(tmp) / "home", datetime.datetime.now(datetime.UTC))
        folder = home.path / "fabric"
        progress(
            f"Fabric network, MaxMessageCount {batching.max_message_count}, "
            f"RequestBatchMaxInterval {batching.max_interval}"
        )
        started = time.monotonic()
        create(home, folder, datetime.datetime.now(datetime.UTC), batching)
        try:
            up(home, folder)
            record(home, folder)
            startup = time.monotonic() - started
            with Node(home, engine="fabric") as node:
                figures = load(node, n, threads, progress)
        finally:
            down(folder)
    return {
        "batching": {
            "MaxMessageCount": batching.max_message_count,
            "RequestBatchMaxInterval": batching.max_interval,
            "BatchTimeout": "not read by the BFT orderer (RequestBatchMaxInterval cuts blocks)",
        },
        "network_startup_seconds": round(startup, 1),
        **figures,
    }


def _embedded(n: int, threads: int, progress: Progress) -> dict[str, Any]:
    progress("embedded engine")
    with tempfile.TemporaryDirectory(prefix="tdx-bench-embedded-") as tmp:
        home = init_demo(Path(tmp) / "home", datetime.datetime.now(datetime.UTC))
        with Node(home) as node:
            return load(node, n, threads, progress)


def _anvil(n: int, threads: int, progress: Progress) -> dict[str, Any]:
    from network.evm.anvil import AnvilError, run_anvil
    from network.evm.home import deploy

    progress("evm engine on anvil")
    with tempfile.TemporaryDirectory(prefix="tdx-bench-anvil-") as tmp:
        home: Home = init_demo(Path(tmp) / "home", datetime.datetime.now(datetime.UTC))
        try:
            with run_anvil(Path(tmp) / "anvil.log") as url:
                deploy(url, home)
                with Node(home, engine="evm", rpc=url) as node:
                    return load(node, n, threads, progress)
        except AnvilError as exc:
            return {"unavailable": str(exc)}


def _ratio(fabric: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    if "unavailable" in other:
        return {"unavailable": other["unavailable"]}
    out: dict[str, Any] = {}
    for mode in ("sequential", "concurrent"):
        out[mode] = {
            "per_second": round(fabric[mode]["per_second"] / other[mode]["per_second"], 4),
            "p50_latency": round(fabric[mode]["p50_ms"] / max(other[mode]["p50_ms"], 1e-3), 1),
        }
    return out


def fabric_bench(
    n: int = 200,
    threads: int = 16,
    settings: tuple[Batching, ...] = SETTINGS,
    progress: Progress = lambda _: None,
) -> dict[str, Any]:
    """The figures of ``tdx bench fabric --json``."""
    runs = [_fabric(b, n, threads, progress) for b in settings]
    embedded = _embedded(n, threads, progress)
    anvil = _anvil(n, threads, progress)
    return {
        "machine": {"cpus": os.cpu_count(), "note": "shared 2-core machine: indicative figures"},
        "fabric": runs,
        "embedded": embedded,
        "anvil": anvil,
        "ratio_fabric_to_embedded": _ratio(runs[0], embedded),
        "ratio_fabric_to_anvil": _ratio(runs[0], anvil),
    }


__all__ = ["SETTINGS", "fabric_bench", "load"]
