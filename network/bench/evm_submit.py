"""Submits through the EVM engine, as ``tdx bench evm`` reports them next to gas.

On a fresh demo home deployed to the given node: single submits of one certificate of origin
each (sign, check, send, receipt), timed one after the other with their JSON-RPC round
trips; then many submitted at once through ``submit_many`` (pipelined), beside the rate the
same client reaches sending presigned raw transactions straight to the node and collecting
their receipts, which is the node's own bound.
"""

from __future__ import annotations

import datetime
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal
from chaincode.transactions import Op
from ledger.evm import EvmLedger
from ledger.evm.chain import Chain, TxError, doc_id_bytes, kind_country
from network.bench.ledger import latency_ms
from network.evm.home import deploy, org_account
from network.home import init_demo
from network.node import Node

CO = {"kind": DocumentKind.CO, "country": "CN"}


def _digest() -> str:
    return "sha256:" + secrets.token_hex(32)


def submit_report(
    rpc_url: str, progress: Callable[[str], None], single: int = 200, pipelined: int = 500
) -> dict[str, Any]:
    """Single-submit latency and round trips, pipelined rate, and the node's raw rate."""
    with tempfile.TemporaryDirectory(prefix="tdx-bench-evm-") as tmp:
        home = init_demo(Path(tmp) / "home", datetime.datetime.now(datetime.UTC))
        deploy(rpc_url, home, progress)
        with Node(home, engine="evm", rpc=rpc_url) as node:
            ledger = node.ledger
            assert isinstance(ledger, EvmLedger)
            chain = ledger._chain
            for _ in range(5):  # warm: first reads of the organisations, connections
                node.submit("cn-gacc", Op.ISSUE, doc=_digest(), **CO)

            progress(f"{single} single submits through the engine, one after the other")
            seconds: list[float] = []
            waits: list[float] = []
            trips: list[int] = []
            for _ in range(single):
                signed = node.transaction("cn-gacc", Op.ISSUE, doc=_digest(), **CO)
                before, waited = chain.round_trips, chain.rpc_seconds
                started = time.perf_counter()
                ledger.submit(signed)
                seconds.append(time.perf_counter() - started)
                waits.append(chain.rpc_seconds - waited)
                trips.append(chain.round_trips - before)

            # The node's own rate before and after, averaged: it slows as its chain grows.
            progress(f"{pipelined} presigned raw transactions straight to the node, same client")
            raw_chain = Chain.connect(rpc_url)
            raw_before = _raw_rate(raw_chain, node, ledger, pipelined)
            progress(f"{pipelined} submits at once through submit_many (pipelined)")
            batch = [
                node.transaction("cn-gacc", Op.ISSUE, doc=_digest(), **CO) for _ in range(pipelined)
            ]
            before = chain.round_trips
            started = time.perf_counter()
            outcomes = ledger.submit_many(batch)
            engine_seconds = time.perf_counter() - started
            refused = [o for o in outcomes if isinstance(o, Refusal)]
            engine_trips = chain.round_trips - before
            progress("the raw transactions again")
            raw_after = _raw_rate(raw_chain, node, ledger, pipelined)
            raw_rate = {
                "transactions": pipelined,
                "per_second": round((raw_before["per_second"] + raw_after["per_second"]) / 2, 1),
                "before_and_after": [raw_before, raw_after],
            }

    engine_rate = pipelined / engine_seconds
    return {
        "single": {
            "submits": single,
            **latency_ms(seconds),
            "round_trips_median": statistics.median(trips),
            "round_trips_max": max(trips),
            # Of each submit: in its round trips (the node mining included), and the rest
            # (the checks, signing, the index): medians.
            "in_round_trips_p50_ms": round(statistics.median(waits) * 1000, 3),
            "in_the_engine_p50_ms": round(
                statistics.median(s - w for s, w in zip(seconds, waits, strict=True)) * 1000, 3
            ),
        },
        "pipelined": {
            "submits": pipelined,
            "refused": len(refused),
            "seconds": round(engine_seconds, 3),
            "per_second": round(engine_rate, 1),
            "round_trips": engine_trips,
        },
        "raw_send_and_receipt": raw_rate,
        "pipelined_vs_raw": round(engine_rate / raw_rate["per_second"], 3),
    }


def _raw_rate(chain: Chain, node: Node, ledger: EvmLedger, count: int) -> dict[str, Any]:
    """The node's own rate: presigned `issue` calls of another organisation, sent one after
    the other with eth_sendRawTransaction, then their receipts collected, over web3's HTTP
    client as the engine uses it."""
    account = org_account(node.home, "cn-ccpit")
    fn = ledger._contract.functions
    raws = []
    for _ in range(count):
        data = fn.issue(
            doc_id_bytes(_digest()), kind_country("co", "CN")
        )._encode_transaction_data()
        raws.append(chain.sign(account, ledger._contract.address, bytes.fromhex(data[2:]), 100_000))
    started = time.perf_counter()
    hashes = [chain.w3.eth.send_raw_transaction(raw) for raw in raws]
    sent = time.perf_counter() - started
    for tx_hash in hashes:
        receipt = chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.01)
        if receipt["status"] != 1:
            raise TxError(f"raw anchor {tx_hash.hex()} failed")
    seconds = time.perf_counter() - started
    return {
        "transactions": count,
        "seconds": round(seconds, 3),
        "per_second": round(count / seconds, 1),
        "send_only_per_second": round(count / sent, 1),
    }
