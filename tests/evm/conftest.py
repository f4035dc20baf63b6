"""A real anvil node for the EVM tests: started on a free 127.0.0.1 port, stopped by PID."""

from __future__ import annotations

import contextlib
import json
import platform
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ID = 1337
POLL_INTERVAL = 0.05
POLL_ATTEMPTS = 200  # 10 s at most


def anvil_binary() -> Path:
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
    system = platform.system().lower()
    name = f"anvil-{system}-{arch.get(platform.machine().lower(), platform.machine())}"
    # The platform package ships the binary; node_modules/.bin/anvil is a node wrapper whose
    # PID is not anvil's.
    return ROOT / "node_modules" / "@foundry-rs" / name / "bin" / "anvil"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chain_id(url: str) -> int | None:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return int(json.loads(response.read())["result"], 16)
    except (OSError, urllib.error.URLError, ValueError, KeyError):
        return None


@contextlib.contextmanager
def run_anvil(log: Path, state: Path | None = None) -> Iterator[str]:
    """anvil on a free port (with ``--state FILE`` when given); yields its RPC URL."""
    binary = anvil_binary()
    if not binary.is_file():
        pytest.fail(f"{binary} is missing: run `npm ci --no-audit --no-fund` in {ROOT}")
    port = free_port()
    args = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(CHAIN_ID)]
    if state is not None:
        args += ["--state", str(state)]
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(POLL_ATTEMPTS):
            if proc.poll() is not None:
                pytest.fail(f"anvil exited with {proc.returncode}; see {log}")
            if _chain_id(url) == CHAIN_ID:
                break
            time.sleep(POLL_INTERVAL)
        else:
            pytest.fail(f"anvil did not answer eth_chainId on {url}; see {log}")
        yield url
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to this PID (anvil dumps --state on it), SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The RPC URL of an anvil node shared by the session's EVM tests."""
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with run_anvil(log) as url:
        yield url
