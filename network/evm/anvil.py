"""Running anvil, the EVM node from npm (`make tools`), on a free loopback port.

Used by the EVM tests and by ``tdx demo --ledger evm``. The binary is the platform
package's, not ``node_modules/.bin/anvil`` (a node wrapper whose PID is not anvil's), so
stopping by PID stops anvil itself.
"""

from __future__ import annotations

import contextlib
import platform
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ID = 1337
# anvil's (and hardhat's) well-known development mnemonic: its accounts are funded at genesis.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
POLL_INTERVAL = 0.05
POLL_ATTEMPTS = 200  # 10 s at most


def dev_accounts(count: int) -> list[LocalAccount]:
    """anvil's development accounts 0..count-1 (funded at genesis)."""
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        for i in range(count)
    ]


class AnvilError(RuntimeError):
    """anvil is missing, exited, or did not answer."""


def anvil_binary() -> Path:
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
    system = platform.system().lower()
    name = f"anvil-{system}-{arch.get(platform.machine().lower(), platform.machine())}"
    return ROOT / "node_modules" / "@foundry-rs" / name / "bin" / "anvil"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chain_id(url: str) -> int | None:
    """The node's chain id, or None while it does not answer."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        return int(httpx.post(url, json=body, timeout=1).json()["result"], 16)
    except (httpx.HTTPError, ValueError, KeyError):
        return None


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to this PID (anvil dumps --state on it), SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def run_anvil(log: Path, state: Path | None = None) -> Iterator[str]:
    """anvil on a free port (with ``--state FILE`` when given); yields its RPC URL."""
    binary = anvil_binary()
    if not binary.is_file():
        raise AnvilError(f"{binary} is missing: run `make tools` in {ROOT}")
    port = free_port()
    args = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(CHAIN_ID)]
    if state is not None:
        args += ["--state", str(state)]
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        for _ in range(POLL_ATTEMPTS):
            if proc.poll() is not None:
                raise AnvilError(f"anvil exited with {proc.returncode}; see {log}")
            if chain_id(url) == CHAIN_ID:
                break
            time.sleep(POLL_INTERVAL)
        else:
            raise AnvilError(f"anvil did not answer eth_chainId on {url}; see {log}")
        yield url
    finally:
        stop(proc)
