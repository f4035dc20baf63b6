"""The local multi-node launcher: ``tdx network up``, ``down`` and ``status``.

``up`` gives each country its own home (``homes/<CC>`` of the network folder, created on
first use with ``network.home.init_country``) and starts one ``tdx serve`` process per
country on 127.0.0.1, at consecutive ports from the base port; with the EVM engine it
first starts one anvil that every node's contract lives on. The processes run in their own
sessions (they outlive the command) and are recorded, PID by PID, in ``run.json``;
``down`` stops exactly those PIDs (each checked to still be the process it started), and
``status`` asks each node for its health, checkpoint size, outbox depth and witnesses.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from network.config import LedgerEngine
from network.demo_network import COUNTRIES, DEFAULT_BASE_PORT
from network.home import Home, init_country
from network.network_folder import NetworkFolder
from network.peers.outbox import Outbox
from network.witness.peers import WitnessPeer, descriptor_fields, register_peers

RUN_FILE = "run.json"
RUN_FORMAT = "tdx-network-run/1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
POLL = 0.05

# The Popen objects of the processes this process started: kept so that they are reaped by
# ``poll`` (and not reported as still running when the object is collected).
_children: dict[int, subprocess.Popen[bytes]] = {}


class LauncherError(RuntimeError):
    """A network that cannot be started, stopped or read; the message says why."""


@dataclass(frozen=True)
class Process:
    name: str  # a country code, or "anvil"
    pid: int
    url: str
    home: str | None
    log: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "pid": self.pid,
            "url": self.url,
            "home": self.home,
            "log": self.log,
        }


def default_dir() -> Path:
    return Path(os.environ.get("TDX_NETWORK") or Path.home() / ".tdx-network")


def parse_countries(text: str) -> list[str]:
    countries = [c.strip().upper() for c in text.split(",") if c.strip()]
    known = [c.code for c in COUNTRIES]
    unknown = [c for c in countries if c not in known]
    if unknown or not countries:
        raise LauncherError(
            f"--countries: {', '.join(unknown) or 'none given'} (known: {', '.join(known)})"
        )
    if len(set(countries)) != len(countries):
        raise LauncherError("--countries: a country is listed twice")
    return countries


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base_port(count: int, low: int = 20000, high: int = 60000, tries: int = 200) -> int:
    """A port P with P..P+count-1 all free on 127.0.0.1 now (for a throwaway network)."""
    rng = random.Random()  # noqa: S311 (spreading port choices, not secrecy)
    for _ in range(tries):
        base = rng.randint(low, high - count)
        if all(_port_free(p) for p in range(base, base + count)):
            return base
    raise LauncherError(f"no run of {count} free ports on 127.0.0.1 in {tries} tries")


def _tdx() -> list[str]:
    return [sys.executable, "-m", "api.cli"]


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    if state == "Z":  # a zombie child of ours: reap it
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return True


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        return ""


def _is_ours(process: Process) -> bool:
    """Still the process we started (a PID may have been reused since)?"""
    line = _cmdline(process.pid)
    marker = process.home if process.home is not None else process.url.rsplit(":", 1)[1]
    return _alive(process.pid) and marker in line


def read_run(network_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((network_dir / RUN_FILE).read_text())
    except FileNotFoundError:
        return None
    if data.get("format") != RUN_FORMAT:
        raise LauncherError(f"{network_dir / RUN_FILE} is not a {RUN_FORMAT} file")
    return dict(data)


def _processes(run: dict[str, Any]) -> list[Process]:
    return [Process(**p) for p in run["processes"]]


def _wait_ready(url: str, path: str, proc: _Pid, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-1500:] if log.is_file() else ""
            raise LauncherError(f"{url}: the process exited with {proc.returncode}\n{tail}")
        try:
            if httpx.get(url + path, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(POLL)
    raise LauncherError(f"{url} did not answer within {START_TIMEOUT:.0f} s; see {log}")


def _start_anvil(network_dir: Path, port: int) -> Process:
    from network.evm.anvil import CHAIN_ID, AnvilError, anvil_binary

    binary = anvil_binary()
    if not binary.is_file():
        raise LauncherError(f"{binary} is missing: run `make tools` first")
    log = network_dir / "logs" / "anvil.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    args = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(CHAIN_ID)]
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603
            args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _children[proc.pid] = proc
    url = f"http://127.0.0.1:{port}"
    try:
        from network.evm.anvil import chain_id

        deadline = time.monotonic() + START_TIMEOUT
        while chain_id(url) != CHAIN_ID:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AnvilError(f"anvil did not start on {url}; see {log}")
            time.sleep(POLL)
    except AnvilError as exc:
        proc.kill()
        proc.wait(STOP_TIMEOUT)
        raise LauncherError(str(exc)) from None
    return Process("anvil", proc.pid, url, None, str(log))


def up(
    countries: list[str],
    network_dir: Path,
    base_port: int = DEFAULT_BASE_PORT,
    engine: LedgerEngine = LedgerEngine.EMBEDDED,
    progress: Callable[[str], None] = lambda _: None,
    environment: dict[str, str] | None = None,
    workers: int = 1,
) -> list[Process]:
    """Start one node per country (and an anvil for the EVM engine); the processes, also
    written to ``run.json``. Refuses while a network recorded there is running.
    ``workers``: each node's ``tdx serve --workers`` (a node started again has one)."""
    network_dir = network_dir.resolve()
    running = read_run(network_dir)
    if running is not None and any(_is_ours(p) for p in _processes(running)):
        raise LauncherError(f"a network is already up in {network_dir} (tdx network down first)")
    ports = {c: base_port + i for i, c in enumerate(countries)}
    anvil_port = base_port + len(countries)
    wanted = list(ports.values()) + ([anvil_port] if engine is LedgerEngine.EVM else [])
    busy = [p for p in wanted if not _port_free(p)]
    if busy:
        raise LauncherError(
            f"port(s) {', '.join(map(str, busy))} on 127.0.0.1 are in use (--base-port)"
        )
    folder = NetworkFolder(network_dir)
    now = datetime.datetime.now(datetime.UTC)
    for country, port in ports.items():
        url = f"http://127.0.0.1:{port}"
        home_dir = network_dir / "homes" / country
        if not Home(home_dir).exists():
            progress(f"creating the {country} node's home in {home_dir}")
            init_country(home_dir, country, network_dir, url, now)
        else:
            folder.set_base_url(country, url)
    folder.refresh_peers()
    _witness_each_other(network_dir, ports)
    started: list[Process] = []
    try:
        rpc: str | None = None
        if engine is LedgerEngine.EVM:
            anvil = _start_anvil(network_dir, anvil_port)
            started.append(anvil)
            rpc = anvil.url
            from network.evm import home as evm_home

            for country in countries:
                progress(f"deploying the {country} node's contract on {rpc}")
                evm_home.deploy(rpc, Home(network_dir / "homes" / country))
        for country, port in ports.items():
            started.append(
                _start_node(network_dir, country, port, engine, rpc, environment, workers)
            )
            progress(f"{country} node starting at {started[-1].url} (pid {started[-1].pid})")
        _write_run(network_dir, engine, started)
        for p in started:
            if p.name != "anvil":
                _wait_ready(p.url, "/readyz", _Pid(p.pid), Path(p.log))
    except BaseException:
        for p in reversed(started):
            _stop(p)
        (network_dir / RUN_FILE).unlink(missing_ok=True)
        raise
    return started


def _witness_each_other(network_dir: Path, ports: dict[str, int]) -> None:
    """Every node started together witnesses the others' checkpoints (C2SP tlog-witness),
    recorded in each home before its ``tdx serve`` starts, which then submits by itself."""
    homes = {c: Home(network_dir / "homes" / c) for c in ports}
    peers = [
        WitnessPeer.from_descriptor(
            {"name": c, "baseUrl": f"http://127.0.0.1:{ports[c]}", **descriptor_fields(h)}
        )
        for c, h in homes.items()
    ]
    for home in homes.values():
        register_peers(home, peers)


class _Pid:
    """``poll`` for a process started by ``up`` (the Popen object is not kept)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if _alive(self.pid):
            return None
        self.returncode = -1
        return self.returncode


def _start_node(
    network_dir: Path,
    country: str,
    port: int,
    engine: LedgerEngine,
    rpc: str | None,
    environment: dict[str, str] | None,
    workers: int = 1,
) -> Process:
    home = network_dir / "homes" / country
    log = network_dir / "logs" / f"{country}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    args = [
        *_tdx(),
        "serve",
        "--home",
        str(home),
        "--port",
        str(port),
        "--ledger",
        engine.value,
        "--log-level",
        "WARNING",
    ]
    if rpc is not None:
        args += ["--rpc", rpc]
    if workers > 1:
        args += ["--workers", str(workers)]
    env = {**os.environ, **(environment or {})}
    env.pop("TDX_HOME", None)
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603
            args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    _children[proc.pid] = proc
    return Process(country, proc.pid, f"http://127.0.0.1:{port}", str(home), str(log))


def start_again(
    network_dir: Path, country: str, environment: dict[str, str] | None = None
) -> Process:
    """Start one recorded node again (after it was stopped or died), on its port."""
    network_dir = network_dir.resolve()
    run = read_run(network_dir)
    if run is None:
        raise LauncherError(f"no network is up in {network_dir}")
    processes = _processes(run)
    old = next((p for p in processes if p.name == country), None)
    if old is None:
        raise LauncherError(f"no {country} node in {network_dir / RUN_FILE}")
    if _is_ours(old):
        raise LauncherError(f"the {country} node is running (pid {old.pid})")
    anvil = next((p for p in processes if p.name == "anvil"), None)
    engine = LedgerEngine(run["ledger"])
    port = int(old.url.rsplit(":", 1)[1])
    new = _start_node(network_dir, country, port, engine, anvil.url if anvil else None, environment)
    _write_run(network_dir, engine, [new if p.name == country else p for p in processes])
    _wait_ready(new.url, "/readyz", _Pid(new.pid), Path(new.log))
    return new


def _write_run(network_dir: Path, engine: LedgerEngine, processes: list[Process]) -> None:
    body = {
        "format": RUN_FORMAT,
        "ledger": engine.value,
        "startedAt": datetime.datetime.now(datetime.UTC).isoformat(),
        "processes": [p.to_json() for p in processes],
    }
    tmp = network_dir / f".{RUN_FILE}.tmp"
    tmp.write_text(json.dumps(body, indent=2) + "\n")
    tmp.replace(network_dir / RUN_FILE)


def _stop(process: Process) -> bool:
    """SIGTERM, then SIGKILL after the timeout; False if it was not running (or not ours)."""
    if not _is_ours(process):
        return False
    try:
        os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(process.pid) and time.monotonic() < deadline:
            time.sleep(POLL)
        if _alive(process.pid):
            os.kill(process.pid, signal.SIGKILL)
            deadline = time.monotonic() + STOP_TIMEOUT
            while _alive(process.pid) and time.monotonic() < deadline:
                time.sleep(POLL)
    except ProcessLookupError:
        pass
    return True


def stop_one(network_dir: Path, name: str, kill: bool = False) -> bool:
    """Stop one recorded process (``kill``: SIGKILL at once, as a crash)."""
    run = read_run(network_dir.resolve())
    process = next((p for p in _processes(run) if p.name == name), None) if run else None
    if process is None:
        raise LauncherError(f"no {name} process recorded in {network_dir}")
    if kill and _is_ours(process):
        os.kill(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(process.pid) and time.monotonic() < deadline:
            time.sleep(POLL)
        return True
    return _stop(process)


def down(network_dir: Path) -> list[Process]:
    """Stop exactly the processes ``up`` recorded; those that were running."""
    network_dir = network_dir.resolve()
    run = read_run(network_dir)
    if run is None:
        return []
    stopped = [p for p in reversed(_processes(run)) if _stop(p)]
    (network_dir / RUN_FILE).unlink(missing_ok=True)
    return stopped


def status(network_dir: Path) -> list[dict[str, Any]]:
    """Each recorded node: running or not, health, checkpoint size, outbox depth, witnesses."""
    network_dir = network_dir.resolve()
    run = read_run(network_dir)
    if run is None:
        raise LauncherError(f"no network is up in {network_dir} (tdx network up)")
    rows = []
    for p in _processes(run):
        if p.name == "anvil":
            continue
        row: dict[str, Any] = {"country": p.name, "url": p.url, "pid": p.pid}
        row["running"] = _is_ours(p)
        try:
            health = httpx.get(p.url + "/healthz", timeout=2).json()
            state = httpx.get(p.url + "/v1/network/status", timeout=5).json()
            row.update(
                health=health.get("status", "?"),
                checkpointSize=state.get("checkpointSize"),
                entries=state.get("entries"),
                outboxDepth=state.get("outboxDepth"),
                inbox=state.get("inbox"),
                witnesses=state.get("witnesses"),
            )
        except (httpx.HTTPError, ValueError) as exc:
            depth = Outbox(Path(str(p.home)) / "outbox.db", frozenset(), _utcnow).depth()
            row.update(
                health=f"down ({type(exc).__name__})",
                checkpointSize=None,
                entries=None,
                outboxDepth=depth,
                inbox=None,
                witnesses=None,
            )
        rows.append(row)
    return rows


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


__all__ = [
    "DEFAULT_BASE_PORT",
    "LauncherError",
    "Process",
    "default_dir",
    "down",
    "free_base_port",
    "parse_countries",
    "read_run",
    "start_again",
    "status",
    "stop_one",
    "up",
]
