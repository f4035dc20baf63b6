"""The ledger benchmark behind ``tdx bench ledger``: real signatures, real fsyncs.

Every figure comes from this code on a fresh temporary demo home, so anyone can rerun it.
"""

from __future__ import annotations

import base64
import datetime
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal
from chaincode.transactions import Op
from ledger.admission import batch_root
from ledger.interface import ProvableLedger, Receipt
from ledger.signed_tx import SignedTx
from ledger.tlog import merkle
from network.home import Home, init_demo
from network.node import Node


def _digest(rng: random.Random) -> str:
    return f"sha256:{rng.getrandbits(256):064x}"


def _disk(home: Path) -> int:
    """The ledger's bytes on disk: database plus write-ahead log."""
    db = home / "ledger.db"
    return sum(p.stat().st_size for p in (db, db.with_name("ledger.db-wal")) if p.exists())


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def latency_ms(seconds: list[float]) -> dict[str, float]:
    """The median and 99th percentile of durations given in seconds, in milliseconds."""
    return {"p50_ms": _ms(statistics.median(seconds)), "p99_ms": _ms(_percentile(seconds, 99))}


_GROUP = 2000


def _sign_group(home_path: str, seed: int, count: int) -> list[SignedTx]:
    """Sign ``count`` ISSUE transactions in a worker process (signing is CPU work)."""
    rng = random.Random(seed)  # noqa: S311
    node = Node(Home(Path(home_path)))
    try:
        return [
            node.transaction(
                "cn-gacc", Op.ISSUE, doc=_digest(rng), kind=DocumentKind.CO, country="CN"
            )
            for _ in range(count)
        ]
    finally:
        node.close()


def grow(node: Node, count: int, progress: Callable[[str], None]) -> None:
    """Append ``count`` entries: a worker process signs the next group while this one
    commits. Only two groups are signed ahead, so every transaction's time stays within
    the ledger's allowed clock skew."""
    groups = [min(_GROUP, count - start) for start in range(0, count, _GROUP)]
    with ProcessPoolExecutor(max_workers=1) as pool:
        ahead = [
            pool.submit(_sign_group, str(node.home.path), 10_000 + i, g)
            for i, g in enumerate(groups[:2])
        ]
        for i in range(len(groups)):
            signed = ahead.pop(0).result()
            if i + 2 < len(groups):
                ahead.append(
                    pool.submit(_sign_group, str(node.home.path), 10_002 + i, groups[i + 2])
                )
            refused = [r for r in node.ledger.import_many(signed) if isinstance(r, Refusal)]
            if refused:
                raise RuntimeError(f"the bench's own transactions were refused: {refused[0].rule}")
            if (i + 1) * _GROUP % 50_000 < _GROUP:
                progress(f"  {node.ledger.size()} entries")


_ISSUE: dict[str, Any] = {"kind": DocumentKind.CO, "country": "CN"}
THREADS = 8


def _single_submits(node: Node, rng: random.Random, n: int) -> tuple[dict[str, Any], list[Receipt]]:
    latencies = []
    receipts = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        receipts.append(node.submit("cn-gacc", Op.ISSUE, doc=_digest(rng), **_ISSUE))
        latencies.append(time.perf_counter() - t)
    rate = n / (time.perf_counter() - start)
    return {"n": n, "per_second": round(rate), **latency_ms(latencies)}, receipts


def _concurrent_submits(node: Node, n: int) -> dict[str, Any]:
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(count: int, seed: int) -> None:
        local = random.Random(seed)  # noqa: S311
        for _ in range(count):
            t = time.perf_counter()
            node.submit("cn-gacc", Op.ISSUE, doc=_digest(local), **_ISSUE)
            with lock:
                latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n // THREADS, i)) for i in range(THREADS)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    rate = len(latencies) / (time.perf_counter() - start)
    return {
        "n": len(latencies),
        "threads": THREADS,
        "per_second": round(rate),
        **latency_ms(latencies),
    }


def _batched_anchors(
    node: Node, rng: random.Random, batches: int, batch_size: int
) -> tuple[dict[str, Any], float]:
    """Documents per second anchored in batches, and the bytes on disk per document."""
    signed_batches = []
    for _ in range(batches):
        digests = [_digest(rng) for _ in range(batch_size)]
        signed_batches.append(
            node.transaction(
                "cn-gacc", Op.ANCHOR_BATCH, doc=batch_root(digests), digests=digests, **_ISSUE
            )
        )
    before = _disk(node.home.path)
    start = time.perf_counter()
    for signed in signed_batches:
        node.ledger.submit(signed)
    rate = batches * batch_size / (time.perf_counter() - start)
    per_document = (_disk(node.home.path) - before) / (batches * batch_size)
    figures = {"batches": batches, "batch_size": batch_size, "documents_per_second": round(rate)}
    return figures, per_document


def _proof_checks(log: ProvableLedger, rng: random.Random, receipts: list[Receipt]) -> int:
    """Inclusion proofs of sampled entries checked against the latest checkpoint, for a
    second: checks per second."""
    note = log.checkpoint()
    size = int(note.split("\n")[1])
    root = base64.b64decode(note.split("\n")[2])
    proof_inputs = []
    for r in rng.sample(receipts, min(500, len(receipts))):
        entry = log.prove(r.documents[0]["id"])["entries"][0]
        leaf = merkle.leaf_hash(base64.b64decode(entry["leaf"]))
        path = [bytes.fromhex(h) for h in entry["inclusionProof"]]
        proof_inputs.append((leaf, entry["index"], path))
    checks = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 1.0:
        for leaf, index, path in proof_inputs:
            assert merkle.verify_inclusion(leaf, index, size, path, root)
        checks += len(proof_inputs)
    return round(checks / (time.perf_counter() - start))


def _trace_latency(node: Node, rng: random.Random, receipts: list[Receipt]) -> list[float]:
    targets = [r.documents[0]["id"] for r in rng.sample(receipts, min(200, len(receipts)))]
    times = []
    for doc_id in targets:
        t = time.perf_counter()
        node.ledger.trace(doc_id)
        times.append(time.perf_counter() - t)
    return times


def _submits_on_large_log(node: Node, rng: random.Random, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        t = time.perf_counter()
        node.submit("cn-gacc", Op.ISSUE, doc=_digest(rng), **_ISSUE)
        latencies.append(time.perf_counter() - t)
    return latencies


def ledger(
    n: int,
    batch_size: int,
    batches: int,
    log_entries: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    rng = random.Random(6346)  # noqa: S311 (benchmark data, not secrets)
    with tempfile.TemporaryDirectory(prefix="tdx-bench-") as tmp:
        home = init_demo(Path(tmp) / "home", datetime.datetime.now(datetime.UTC))
        with Node(home) as node:
            log = node.provable
            assert log is not None  # the embedded engine proves its history
            progress(f"{n} single submits, one at a time")
            single, receipts = _single_submits(node, rng, n)
            progress(f"{n} single submits from {THREADS} threads (group commit)")
            concurrent = _concurrent_submits(node, n)
            progress(f"{batches} batches of {batch_size} documents")
            batched, batch_bytes = _batched_anchors(node, rng, batches, batch_size)
            progress("inclusion proof checks")
            proof_rate = _proof_checks(log, rng, receipts)
            added = max(0, log_entries - node.ledger.size())
            progress(f"growing the log to {log_entries} entries for the trace figure")
            before = _disk(home.path)
            grow(node, added, progress)
            entry_bytes = (_disk(home.path) - before) / max(added, 1)
            progress("trace latency")
            trace_times = _trace_latency(node, rng, receipts)
            entries = node.ledger.size()
            # Committing must not slow down as the log grows.
            progress(f"single submits on the log of {entries} entries")
            large_latencies = _submits_on_large_log(node, rng, min(n, 200))
        return {
            "machine": {"cpus": os.cpu_count()},
            "single_submit": single,
            "concurrent_submit": concurrent,
            "batched_anchor": batched,
            "proof_checks_per_second": proof_rate,
            "single_submit_on_large_log": {
                "log_entries": entries,
                "n": len(large_latencies),
                **latency_ms(large_latencies),
            },
            "trace": {"log_entries": entries, **latency_ms(trace_times)},
            "bytes_on_disk": {
                "per_single_issue_entry": round(entry_bytes),
                "per_batched_document": round(batch_bytes),
            },
        }
