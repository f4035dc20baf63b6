"""The HTTP benchmark behind ``tdx bench api``: a real ``tdx serve`` with worker processes
on loopback, loaded by an asyncio client with bounded concurrency and a bounded count.

Client and server share this machine's cores, so the figures are a floor for the server.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from network import examples
from network.bench import raw_load
from network.bench.ledger import latency_ms
from network.bench.process_cpu import tree_cpu_seconds
from network.home import Home, init_demo

VERIFY_DOCUMENTS = 100  # distinct signed documents that the verify load cycles through
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_verify.lua"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _figures(latencies: list[float], elapsed: float, errors: int) -> dict[str, Any]:
    return {
        "n": len(latencies),
        "errors": errors,
        "per_second": round(len(latencies) / elapsed),
        **latency_ms(latencies),
    }


async def _load(
    base: str,
    requests: list[tuple[str, dict[str, Any], dict[str, str]]],
    concurrency: int,
    document_ids: list[str] | None = None,
) -> tuple[list[float], float, int]:
    """Send the requests, ``concurrency`` at a time; collect issued ids if asked."""
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[tuple[str, dict[str, Any], dict[str, str]]] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                path, body, headers = queue.get_nowait()
                t = time.perf_counter()
                response = await client.post(path, json=body, headers=headers)
                latencies.append(time.perf_counter() - t)
                if response.status_code >= 400:
                    errors += 1
                elif document_ids is not None:
                    document_ids.append(response.json()["documentId"])

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, time.perf_counter() - start, errors


def wait_ready(base: str, proc: subprocess.Popen[bytes], attempts: int = 300) -> None:
    """Until ``tdx serve`` at ``base`` answers /readyz (at most ``attempts`` polls, 50 ms
    apart); raises if it exits first or never does."""
    for _ in range(attempts):
        if proc.poll() is not None:
            raise RuntimeError("tdx serve exited before it was ready")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("tdx serve did not become ready")


def _wrk(
    base: str,
    bodies: Path,
    connections: int,
    seconds: int,
    rate: int | None = None,
) -> dict[str, Any]:
    """Load /v1/verify with wrk (a C load generator in its own process), bounded in time;
    the requests present the documents in ``bodies`` in turn, paced at ``rate`` if given."""
    result = subprocess.run(  # noqa: S603 (fixed arguments; wrk from PATH)
        [
            shutil.which("wrk") or "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(WRK_SCRIPT),
            f"{base}/v1/verify",
            "--",
            str(bodies),
            *([str(rate)] if rate else []),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    text = result.stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if match is None:
            raise RuntimeError(f"wrk printed no {label} latency")
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 3)

    served = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if served is None or total is None:
        raise RuntimeError("could not read wrk's output")
    return {
        "client": "wrk",
        **({"offered_per_second": rate} if rate else {}),
        "seconds": seconds,
        "n": int(total.group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "per_second": round(float(served.group(1))),
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
    }


def _serve(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``tdx serve`` with ``workers`` worker processes, request logging off."""
    tdx = Path(sys.executable).parent / "tdx"
    return subprocess.Popen(  # noqa: S603 (our own command, fixed arguments)
        [
            str(tdx),
            "serve",
            "--home",
            str(home),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _issues(
    port: int, home: Home, issue_n: int, concurrency: int, server: int
) -> tuple[dict[str, Any], list[str]]:
    """``issue_n`` distinct certificates of origin issued over HTTP, each with its own
    token, by the lean client (``network.bench.raw_load``): figures, with the server's CPU
    milliseconds per issue where ``/proc`` tells them, and the issued ids."""
    document = json.loads(examples.read(examples.CO))
    requests = []
    for i in range(issue_n):
        doc = json.loads(json.dumps(document))
        doc["certificateNumber"] = f"{document['certificateNumber']}-B{i}"
        requests.append(
            raw_load.json_request("/v1/documents", {"kind": "co", "document": doc}, _auth(home))
        )
    cpu_before = tree_cpu_seconds(server)
    outcome, elapsed = asyncio.run(
        raw_load.load("127.0.0.1", port, requests, concurrency, keep_bodies=True)
    )
    cpu_after = tree_cpu_seconds(server)
    issued = [str(json.loads(body)["documentId"]) for body in outcome.bodies]
    if not issued:
        raise RuntimeError("no document was issued; see the node's log")
    figures = _figures(outcome.latencies, elapsed, outcome.errors) | {"client": "raw_load"}
    if cpu_before is not None and cpu_after is not None:
        figures["server_cpu_ms_each"] = round((cpu_after - cpu_before) * 1000 / issue_n, 3)
    figures["load_average_1m"] = round(os.getloadavg()[0], 2)
    return figures, issued


def _auth(home: Home) -> dict[str, str]:
    now = datetime.datetime.now(datetime.UTC)
    return {"Authorization": f"Bearer {home.mint_token('cn-gacc', now)}"}


def _verifications(
    base: str,
    signed: list[dict[str, Any]],
    tmp: Path,
    options: _VerifyLoad,
    progress: Callable[[str], None],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Verification of the signed documents in turn: back to back and, with wrk and a
    rate, offered at that rate."""
    warm: list[tuple[str, dict[str, Any], dict[str, str]]] = [("/v1/verify", b, {}) for b in signed]
    asyncio.run(_load(base, warm * max(1, 200 // len(warm)), options.concurrency))
    paced: dict[str, Any] | None = None
    if shutil.which("wrk"):
        bodies = tmp / "bodies.jsonl"
        bodies.write_text("".join(json.dumps(b) + "\n" for b in signed))
        verify = _wrk(base, bodies, options.concurrency, options.seconds)
        if options.rate:
            progress(f"verifications offered at {options.rate}/s")
            paced = _wrk(base, bodies, options.concurrency, options.seconds, options.rate)
            paced["documents"] = len(signed)
    else:
        if options.rate:
            paced = {"skipped": "an offered rate needs wrk"}
        cycle = [warm[i % len(warm)] for i in range(options.n)]
        verify = _figures(*asyncio.run(_load(base, cycle, options.concurrency))) | {
            "client": "httpx (install wrk for a load generator that costs less CPU)"
        }
    verify["documents"] = len(signed)
    return verify, paced


@dataclass(frozen=True)
class _VerifyLoad:
    n: int
    concurrency: int
    seconds: int
    rate: int | None


def api(
    verify_n: int,
    issue_n: int,
    workers: int,
    concurrency: int,
    progress: Callable[[str], None],
    verify_seconds: int = 10,
    rate: int | None = None,
) -> dict[str, Any]:
    """Issue ``issue_n`` documents, then load verification of 100 of them: back to back
    (the most the node serves) and, with ``rate`` and wrk, at that offered rate."""
    with tempfile.TemporaryDirectory(prefix="tdx-bench-api-") as tmp:
        home = init_demo(Path(tmp) / "home", datetime.datetime.now(datetime.UTC))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        progress(f"starting tdx serve with {workers} workers on {base}")
        proc = _serve(home.path, port, workers)
        try:
            wait_ready(base, proc)
            progress(f"{issue_n} issues, {concurrency} at a time")
            issue, issued = _issues(port, home, issue_n, concurrency, proc.pid)
            # Verification presents distinct documents in turn, so that nothing about one
            # document (its digest, its ledger entry) is the same from request to request.
            signed = [
                httpx.get(f"{base}/v1/documents/{doc_id}/signed", headers=_auth(home)).json()
                for doc_id in issued[:VERIFY_DOCUMENTS]
            ]
            progress(f"verifications of {len(signed)} documents, {concurrency} connections")
            load = _VerifyLoad(verify_n, concurrency, verify_seconds, rate)
            verify, paced = _verifications(base, signed, Path(tmp), load, progress)
        finally:
            _stop(proc)
        return {
            "machine": {"cpus": os.cpu_count()},
            "server": {"workers": workers},
            "client": {"concurrency": concurrency, "same_machine": True},
            "verify": verify,
            **({"verify_at_rate": paced} if paced else {}),
            "issue": issue,
        }
