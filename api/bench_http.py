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
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from network.home import init_demo

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "co_cn_sg.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _figures(latencies: list[float], elapsed: float, errors: int) -> dict[str, Any]:
    return {
        "n": len(latencies),
        "errors": errors,
        "per_second": round(len(latencies) / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 3),
    }


async def _load(
    base: str, requests: list[tuple[str, dict[str, Any], dict[str, str]]], concurrency: int
) -> tuple[list[float], float, int]:
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

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, time.perf_counter() - start, errors


def _wait_ready(base: str, proc: subprocess.Popen[bytes], attempts: int = 300) -> None:
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
    base: str, body: dict[str, Any], connections: int, seconds: int, tmp: Path
) -> dict[str, Any]:
    """Load /v1/verify with wrk (a C load generator in its own process), bounded in time."""
    (tmp / "body.json").write_text(json.dumps(body))
    script = tmp / "verify.lua"
    script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f'local f = io.open("{tmp / "body.json"}", "r"); wrk.body = f:read("*a"); f:close()\n'
    )
    result = subprocess.run(  # noqa: S603 (fixed arguments; wrk from PATH)
        [
            shutil.which("wrk") or "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"{base}/v1/verify",
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

    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if rate is None or total is None:
        raise RuntimeError("could not read wrk's output")
    return {
        "client": "wrk",
        "seconds": seconds,
        "n": int(total.group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "per_second": round(float(rate.group(1))),
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
    }


def api(
    verify_n: int,
    issue_n: int,
    workers: int,
    concurrency: int,
    progress: Callable[[str], None],
    verify_seconds: int = 10,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tdx-bench-api-") as tmp:
        home = init_demo(Path(tmp) / "home", datetime.datetime.now(datetime.UTC))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        tdx = Path(sys.executable).parent / "tdx"
        progress(f"starting tdx serve with {workers} workers on {base}")
        proc = subprocess.Popen(  # noqa: S603 (our own command, fixed arguments)
            [
                str(tdx),
                "serve",
                "--home",
                str(home.path),
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "TDX_LOG_LEVEL": "WARNING"},
        )
        try:
            _wait_ready(base, proc)
            document = json.loads(EXAMPLE.read_text())

            def auth() -> dict[str, str]:
                now = datetime.datetime.now(datetime.UTC)
                return {"Authorization": f"Bearer {home.mint_token('cn-gacc', now)}"}

            first = httpx.post(
                f"{base}/v1/documents", json={"kind": "co", "document": document}, headers=auth()
            )
            first.raise_for_status()
            doc_id = first.json()["documentId"]
            signed = httpx.get(f"{base}/v1/documents/{doc_id}/signed", headers=auth()).json()

            progress(f"verifications, {concurrency} connections")
            asyncio.run(_load(base, [("/v1/verify", signed, {})] * min(200, verify_n), concurrency))
            if shutil.which("wrk"):
                verify = _wrk(base, signed, concurrency, verify_seconds, Path(tmp))
            else:
                verify = _figures(
                    *asyncio.run(_load(base, [("/v1/verify", signed, {})] * verify_n, concurrency))
                ) | {"client": "httpx (install wrk for a load generator that costs less CPU)"}

            progress(f"{issue_n} issues, {concurrency} at a time")
            bodies = []
            for i in range(issue_n):
                doc = json.loads(json.dumps(document))
                doc["certificateNumber"] = f"{document['certificateNumber']}-B{i}"
                bodies.append(("/v1/documents", {"kind": "co", "document": doc}, auth()))
            issue = _figures(*asyncio.run(_load(base, bodies, concurrency)))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        return {
            "machine": {"cpus": os.cpu_count()},
            "server": {"workers": workers},
            "client": {"concurrency": concurrency, "same_machine": True},
            "verify": verify,
            "issue": issue,
        }
