"""Figures for ``tdx bench oa``: OpenAttestation wrapping, issuing and verifying on one EVM
node, beside the official library's own wrap rate measured in the same run.

- wrap: ``wrap_documents`` on batches of ``batch_size`` tdx exports (one Merkle root each);
- wrap + issue: the same, plus ``DocumentStore.issue(root)`` sent and its receipt awaited;
- verify: documents of an issued batch checked in full (integrity, DocumentStore status,
  DNS-TXT identity, tdx link), one document per call (one JSON-RPC batch request each) and
  a whole batch per call (its distinct chain reads in one request);
- official: ``@govtechsg/open-attestation``'s ``wrapDocuments`` on the same documents in a
  node loop (``js/official_wrap_rate.js``), and our wrap + issue rate over it.

Transactions are signed with anvil's well-known development account 0: a benchmark key.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from typing import Any

from chaincode.documents.registry import ValidDocument
from interop.oa import contracts
from interop.oa.dns_txt import StaticDnsTxt, record_text
from interop.oa.document_store import DocumentStore
from interop.oa.export import OaIssuer, oa_data
from interop.oa.issuance import issue_batch
from interop.oa.rpc import JsonRpc
from interop.oa.verify import Verifier
from interop.oa.wrap import wrap_documents
from ledger.evm.chain import Chain
from network.evm.anvil import dev_accounts

TARGET_RATIO = 2.0
DOMAIN = "bench.tdx.example"
JS_WRAP_RATE = contracts.ROOT / "interop" / "oa" / "js" / "official_wrap_rate.js"


def official_wrap_rate(data: dict[str, Any], batch_size: int, batches: int) -> dict[str, Any]:
    """The official library's ``wrapDocuments`` rate on ``batches`` batches of ``data``."""
    request = json.dumps({"data": data, "batchSize": batch_size, "batches": batches})
    done = subprocess.run(  # noqa: S603 (fixed command, our own script)
        [contracts.node_binary(), str(JS_WRAP_RATE)],
        input=request,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
        cwd=contracts.ROOT,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def oa_bench(
    rpc_url: str,
    sample: ValidDocument,
    progress: Callable[[str], None],
    batch_size: int = 1000,
    batches: int = 3,
    verifications: int = 1000,
) -> dict[str, Any]:
    """Deploy a DocumentStore on ``rpc_url`` and measure; JSON-able results."""
    chain = Chain.connect(rpc_url)
    (issuer,) = dev_accounts(1)
    progress(f"node {rpc_url}: chain id {chain.chain_id}; deploying TradeTrust's DocumentStore")
    store = DocumentStore.deploy(chain, issuer, "tdx bench oa")
    oa_issuer = OaIssuer("tdx bench", DOMAIN, document_store=store.address)
    data = oa_data(sample, oa_issuer)
    dns = StaticDnsTxt({DOMAIN: [record_text(store.address, chain.chain_id)]})

    progress(f"wrap: {batches} batch(es) of {batch_size}")
    started = time.perf_counter()
    for _ in range(batches):
        wrap_documents([data] * batch_size)
    wrap_seconds = time.perf_counter() - started

    progress(f"wrap + issue: {batches} batch(es) of {batch_size}, one issue(root) each")
    issued: list[dict[str, Any]] = []
    issue_only: list[float] = []
    gas = 0
    started = time.perf_counter()
    for _ in range(batches):
        issued = wrap_documents([data] * batch_size)
        sent = time.perf_counter()
        gas = int(issue_batch(store, issuer, issued)["gasUsed"])
        issue_only.append(time.perf_counter() - sent)
    issue_seconds = time.perf_counter() - started

    count = min(verifications, len(issued))
    progress(f"verify: {count} documents one by one, then the batch of {len(issued)} at once")
    with JsonRpc(rpc_url) as node:
        verifier = Verifier(node, dns)
        started = time.perf_counter()
        singles = [verifier.verify(d) for d in issued[:count]]
        single_seconds = time.perf_counter() - started
        started = time.perf_counter()
        batched = verifier.verify_many(issued)
        batch_seconds = time.perf_counter() - started
    if not all(v.valid for v in [*singles, *batched]):
        raise RuntimeError("a benchmark document did not verify")

    progress(f"official: wrapDocuments, {batches} batch(es) of {batch_size} in node")
    official = official_wrap_rate(data, batch_size, batches)
    ours = _rate(batch_size * batches, issue_seconds)
    ratio = round(ours / official["perSecond"], 2) if official["perSecond"] else None
    result = {
        "rpc": rpc_url,
        "chain_id": chain.chain_id,
        "documentStore": store.address,
        "document": {"kind": sample.kind.value, "fields": _leaves(data)},
        "batch_size": batch_size,
        "batches": batches,
        "wrap_per_second": _rate(batch_size * batches, wrap_seconds),
        "wrap_issue_per_second": ours,
        "issue_ms_per_batch": round(1000 * sum(issue_only) / len(issue_only), 1),
        "issue_gas_per_batch": gas,
        "verify_per_second": {
            "one_per_call": _rate(count, single_seconds),
            "batch_per_call": _rate(len(issued), batch_seconds),
        },
        "official": {
            "library": f"@govtechsg/open-attestation {official['version']}",
            "wrap_per_second": round(official["perSecond"], 1),
        },
        "ratio_wrap_issue_over_official_wrap": ratio,
        "target_ratio": TARGET_RATIO,
        "pass": ratio is not None and ratio >= TARGET_RATIO,
        "note": "2 shared cores: figures are indicative",
    }
    progress(f"ours {ours}/s wrap+issue vs official {official['perSecond']:.0f}/s wrap: x{ratio}")
    return result


def _leaves(data: Any) -> int:
    if type(data) is dict:
        return sum(_leaves(v) for v in data.values()) or 1
    if type(data) is list:
        return sum(_leaves(v) for v in data) or 1
    return 1


__all__ = ["TARGET_RATIO", "oa_bench", "official_wrap_rate"]
