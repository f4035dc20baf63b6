"""The in-process verification benchmark behind ``tdx bench verify``: distinct documents
issued on a fresh demo home, then verified in turn through the node's one pipeline with
its ledger as the evidence, timed in this thread's CPU time (one core's worth of work).

Nothing whole is cached between verifications: each document is verified from its bytes,
every check runs, and each report must be valid (a bench that measured failures would
measure the wrong thing, so an invalid report stops it).
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from chaincode.documents.registry import DocumentKind
from identity.checks import CheckName
from network import examples
from network.home import init_demo
from network.node import Node
from network.verification import StepTimes

ISSUER = "cn-gacc"
AT_ISSUE = "validated by this node when it issued it"  # the document check's reason says so


def _signed_documents(node: Node, count: int) -> list[bytes]:
    """``count`` distinct certificates of origin issued by ``ISSUER``, as signed bytes."""
    template = json.loads(examples.read(examples.CO))
    out = []
    for i in range(count):
        doc = json.loads(json.dumps(template))
        doc["certificateNumber"] = f"{template['certificateNumber']}-V{i}"
        issued = node.issue(DocumentKind.CO, json.dumps(doc).encode(), ISSUER)
        data = node.store.get(issued.document.digest)
        if data is None:
            raise RuntimeError(f"issued {issued.document.digest} is not in the node's store")
        out.append(data)
    return out


def _p256_floor(rounds: int) -> float:
    """CPU seconds of one P-256 ECDSA verification with pyca/cryptography (the floor)."""
    key = ec.generate_private_key(ec.SECP256R1())
    message = b"x" * 512
    signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    public = key.public_key()
    start = time.thread_time()
    for _ in range(rounds):
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    return (time.thread_time() - start) / rounds


def verify(
    documents: int, n: int, progress: Callable[[str], None], warmup: int | None = None
) -> dict[str, Any]:
    """Verify ``n`` times, round-robin over ``documents`` distinct issued documents."""
    with tempfile.TemporaryDirectory(prefix="tdx-bench-verify-") as tmp:
        home = init_demo(Path(tmp) / "home", datetime.datetime.now(datetime.UTC))
        with Node(home) as node:
            progress(f"issuing {documents} certificates of origin")
            signed = _signed_documents(node, documents)
            for data in signed[: warmup if warmup is not None else documents]:
                node.verify(data)  # first use of each code path and certificate
            progress(f"{n} verifications, round-robin over {len(signed)} documents")
            timings: StepTimes = {}
            relied = 0
            start_cpu, start_wall = time.thread_time(), time.perf_counter()
            for i in range(n):
                report = node.pipeline.verify(
                    signed[i % len(signed)], node.clock(), node.ledger, timings
                )
                if not report.valid:
                    failed = report.failures()[0]
                    raise RuntimeError(f"an issued document did not verify: {failed.to_json()}")
                document = report.check(CheckName.DOCUMENT)
                relied += document is not None and AT_ISSUE in document.reason
            cpu, wall = time.thread_time() - start_cpu, time.perf_counter() - start_wall
            floor = _p256_floor(2000)
    ordered = [name for name in CheckName if name in timings]
    return {
        "machine": {"cpus": os.cpu_count()},
        "documents": len(signed),
        "n": n,
        "per_second_one_core": round(n / cpu),
        "per_second_wall": round(n / wall),
        "ms_each_cpu": round(cpu / n * 1000, 4),
        "split_ms_each": {name.value: round(timings[name] / n * 1000, 4) for name in ordered},
        # Verifications whose document check relied on this node's validation at issue
        # (recorded with the entry; the report's reason says so) instead of validating again.
        "document_validated_at_issue": relied,
        "p256_verify_ms": round(floor * 1000, 4),
        "times_the_signature": round(cpu / n / floor, 2),
    }


__all__ = ["verify"]
