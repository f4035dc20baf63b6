"""The in-process verification benchmark behind ``tdx bench verify``: distinct documents
issued on a fresh demo home, then verified in turn through the node's one pipeline with
its ledger as the evidence, timed in this thread's CPU time (one core's worth of work).

Nothing whole is cached between verifications: each document is verified from its bytes,
every check runs, and each report must be valid (a bench that measured failures would
measure the wrong thing, so an invalid report stops it). Two figures: ``Node.verify``'s
default, where the bytes this node verified at issue rely on that for format, signature and
integrity (``network.verification.kept``), and the full path, where they are recomputed.
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
SIGNATURE_AT_ISSUE = "verified by this node at issue"  # the relying signature check's reason


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


def _run(
    node: Node, signed: list[bytes], n: int, full: bool, timings: StepTimes | None
) -> tuple[float, float, dict[str, int]]:
    """``n`` verifications round-robin: CPU and wall seconds, and how many relied on this
    node's checks at issue (per check, as their reasons say). With ``timings``, the split
    (whose clock reads cost a little: the rate is measured in a run without them)."""
    relied = {SIGNATURE_AT_ISSUE: 0, AT_ISSUE: 0}
    start_cpu, start_wall = time.thread_time(), time.perf_counter()
    for i in range(n):
        report = node.pipeline.verify(
            signed[i % len(signed)], node.clock(), node.ledger, timings, full=full
        )
        if not report.valid:
            failed = report.failures()[0]
            raise RuntimeError(f"an issued document did not verify: {failed.to_json()}")
        signature = report.check(CheckName.SIGNATURE)
        document = report.check(CheckName.DOCUMENT)
        relied[SIGNATURE_AT_ISSUE] += (
            signature is not None and SIGNATURE_AT_ISSUE in signature.reason
        )
        relied[AT_ISSUE] += document is not None and AT_ISSUE in document.reason
    cpu, wall = time.thread_time() - start_cpu, time.perf_counter() - start_wall
    return cpu, wall, relied


def _measured(
    node: Node, signed: list[bytes], n: int, full: bool
) -> tuple[float, float, StepTimes, dict[str, int]]:
    """The rate from a run without the split's clock reads, then the split from another."""
    cpu, wall, relied = _run(node, signed, n, full, None)
    timings: StepTimes = {}
    _run(node, signed, n, full, timings)
    return cpu, wall, timings, relied


def _figures(n: int, cpu: float, wall: float, timings: StepTimes, floor: float) -> dict[str, Any]:
    ordered = [name for name in CheckName if name in timings]
    return {
        "per_second_one_core": round(n / cpu),
        "per_second_wall": round(n / wall),
        "ms_each_cpu": round(cpu / n * 1000, 4),
        "split_ms_each": {name.value: round(timings[name] / n * 1000, 4) for name in ordered},
        "times_the_signature": round(cpu / n / floor, 2),
    }


def verify(
    documents: int, n: int, progress: Callable[[str], None], warmup: int | None = None
) -> dict[str, Any]:
    """Verify ``n`` times, round-robin over ``documents`` distinct issued documents, as
    ``Node.verify`` does (relying on this node's checks at issue of the same bytes), then
    ``n`` times more on the full path (format, signature and integrity recomputed)."""
    with tempfile.TemporaryDirectory(prefix="tdx-bench-verify-") as tmp:
        home = init_demo(Path(tmp) / "home", datetime.datetime.now(datetime.UTC))
        with Node(home) as node:
            progress(f"issuing {documents} certificates of origin")
            signed = _signed_documents(node, documents)
            for data in signed[: warmup if warmup is not None else documents]:
                node.verify(data)  # first use of each code path and certificate
                node.verify(data, full=True)
            progress(f"{n} verifications, round-robin over {len(signed)} documents")
            cpu, wall, timings, relied = _measured(node, signed, n, full=False)
            progress(f"{n} verifications on the full path")
            full_cpu, full_wall, full_timings, full_relied = _measured(node, signed, n, True)
            if full_relied[SIGNATURE_AT_ISSUE]:
                raise RuntimeError("the full path relied on the signature check at issue")
            floor = _p256_floor(2000)
    return {
        "machine": {"cpus": os.cpu_count()},
        "documents": len(signed),
        "n": n,
        # Node.verify's default: format, signature and integrity of the exact bytes this
        # node verified at issue are relied on (the reasons say so); the rest is judged.
        **_figures(n, cpu, wall, timings, floor),
        "format_signature_integrity_relied_at_issue": relied[SIGNATURE_AT_ISSUE],
        # Verifications whose document check relied on this node's validation at issue
        # (recorded with the entry; the report's reason says so) instead of validating again.
        "document_validated_at_issue": relied[AT_ISSUE],
        # Node.verify(full=True) / tdx verify --full: every check computed from the bytes.
        "full": _figures(n, full_cpu, full_wall, full_timings, floor)
        | {"document_validated_at_issue": full_relied[AT_ISSUE]},
        "p256_verify_ms": round(floor * 1000, 4),
    }


__all__ = ["verify"]
