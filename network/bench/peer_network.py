"""Figures for ``tdx bench network``: two country nodes (CN and KZ), each a real ``tdx serve``
process on 127.0.0.1 with its own home, started and stopped by PID in a temporary folder.

- queries: cross-border verification queries (联网核查): the KZ node's signed request
  (RFC 9421) to the CN node, the CN node's signed answer, and the asker's checks of every
  part (signature, certificate, question, checkpoint, inclusion, consistency), ``concurrency``
  at a time from this process with the KZ node's identity; per second, p50 and p99;
- verify: ``POST /v1/verify`` with ``askIssuer`` on the KZ node about CN documents (the KZ
  node asks the CN node on each call), per second, p50 and p99;
- push: from ``POST /v1/documents`` on the CN node (a phyto for KZ, P-256) to the document
  verified on arrival in the KZ node's inbox (its ``verifiedAt``), p50 and max;
- signatures: SM2 and GOST sign/verify per second next to P-256 (``identity.national.bench``).

Targets (issue 12): at least 500 queries/s with p99 at most 50 ms. The machine is shared;
the figures are indicative.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from identity.national.bench import signature_rates
from network import examples, launcher
from network.bench.load import CpuMeter, figures, run_threads
from network.bench.peer_queries import TARGET_P99_MS, TARGET_QUERIES_PER_SECOND, query_load
from network.home import Home

PUSH_TIMEOUT = 60.0


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _fresh(example: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(examples.read(example))
    key = "certificateNumber" if "certificateNumber" in document else "id"
    document[key] = str(document[key])[:-8] + f"{secrets.randbelow(10**8):08d}"
    return document


def _auth(home: Home, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {home.mint_token(org, _now())}"}


def _issue(http: httpx.Client, url: str, home: Home, org: str, kind: str, example: str) -> str:
    r = http.post(
        url + "/v1/documents",
        json={"kind": kind, "document": _fresh(example)},
        headers=_auth(home, org),
    )
    r.raise_for_status()
    return str(r.json()["documentId"])


def _verifications(
    urls: dict[str, str], pids: dict[str, int], envelopes: list[Any], n: int, concurrency: int
) -> dict[str, Any]:
    def one(i: int, http: httpx.Client) -> bool:
        body = {"document": envelopes[i % len(envelopes)], "askIssuer": True}
        try:
            r = http.post(urls["KZ"] + "/v1/verify", json=body)
        except httpx.HTTPError:
            return False
        return r.status_code == 200 and r.json().get("verdict") == "VALID"

    meter = CpuMeter(pids)
    latencies, elapsed, failures = run_threads(
        n, concurrency, one, lambda: httpx.Client(timeout=30)
    )
    return {
        **figures(latencies, elapsed, failures),
        "concurrency": concurrency,
        "cpu": meter.per_operation(len(latencies), elapsed),
    }


def _pushes(http: httpx.Client, path: Path, urls: dict[str, str], count: int) -> dict[str, Any]:
    cn, kz = Home(path / "homes" / "CN"), Home(path / "homes" / "KZ")
    spans: list[float] = []
    failures = 0
    for _ in range(count):
        start = _now()
        digest = _issue(http, urls["CN"], cn, "cn-gacc", "phyto", examples.PHYTO)
        deadline = time.monotonic() + PUSH_TIMEOUT
        arrival: dict[str, Any] | None = None
        while arrival is None and time.monotonic() < deadline:
            r = http.get(urls["KZ"] + "/v1/inbox", headers=_auth(kz, "kz-customs"))
            arrival = next((a for a in r.json() if a["key"] == digest and a["verdict"]), None)
            if arrival is None:
                time.sleep(0.01)  # polling another process, bounded by the deadline
        if arrival is None or arrival["verdict"] != "VALID":
            failures += 1
            continue
        verified = datetime.datetime.fromisoformat(str(arrival["verifiedAt"]))
        spans.append((verified - start).total_seconds())
    return {
        "n": len(spans),
        "failures": failures,
        "p50_ms": round(statistics.median(spans) * 1000, 2) if spans else None,
        "max_ms": round(max(spans) * 1000, 2) if spans else None,
        "measured": "POST /v1/documents on CN to verifiedAt in the KZ node's inbox",
    }


def network_bench(
    queries: int = 5000,
    concurrency: int = 8,
    verifications: int = 500,
    pushes: int = 20,
    documents: int = 50,
    signature_seconds: float = 1.0,
    progress: Callable[[str], None] = lambda _: None,
    node_workers: int = 1,
    client_processes: int = 2,
) -> dict[str, Any]:
    """Start CN and KZ (each ``tdx serve --workers node_workers``), measure, stop them (by
    PID) whatever happens."""
    with tempfile.TemporaryDirectory(prefix="tdx-bench-network-") as tmp:
        path = Path(tmp) / "network"
        progress("starting the CN and KZ nodes")
        processes = launcher.up(
            ["CN", "KZ"],
            path,
            launcher.free_base_port(2),
            progress=progress,
            workers=node_workers,
        )
        urls = {p.name: p.url for p in processes}
        pids = {p.name: p.pid for p in processes}
        http = httpx.Client(timeout=60)
        try:
            cn = Home(path / "homes" / "CN")
            progress(f"issuing {documents} COs on the CN node")
            digests = [
                _issue(http, urls["CN"], cn, "cn-gacc", "co", examples.CO) for _ in range(documents)
            ]
            envelopes = []
            for d in digests[: min(len(digests), 20)]:
                r = http.get(f"{urls['CN']}/v1/documents/{d}/signed", headers=_auth(cn, "cn-gacc"))
                r.raise_for_status()
                envelopes.append(r.json())
            progress(f"{queries} verification queries KZ -> CN, {concurrency} at a time")
            query_figures = query_load(
                path, urls["CN"], pids, digests, queries, concurrency, client_processes
            )
            progress(f"{verifications} POST /v1/verify askIssuer on KZ")
            verify_figures = _verifications(urls, pids, envelopes, verifications, concurrency)
            progress(f"{pushes} pushes CN -> KZ, verified on arrival")
            push_figures = _pushes(http, path, urls, pushes)
        finally:
            http.close()
            launcher.down(path)
    progress("signature rates")
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "note": "a machine shared with other work: the figures are indicative",
        },
        "nodes": ["CN", "KZ"],
        "node_workers": node_workers,
        "queries": query_figures,
        "verify_ask_issuer": verify_figures,
        "push": push_figures,
        "signatures": [r.to_json() for r in signature_rates(signature_seconds)],
    }


__all__ = ["TARGET_P99_MS", "TARGET_QUERIES_PER_SECOND", "network_bench"]
