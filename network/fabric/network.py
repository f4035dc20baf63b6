"""``up``, ``down`` and ``status`` of a tdx Fabric network of native processes.

``create`` (once): the MSPs and TLS certificates from the home's country roots, the
certificate lint (the network does not start on a failed check), the configuration, and
each channel's genesis block (``configtxgen -outputBlock``; there is no system channel).
``up``: the four orderers, each joined to every channel by ``osnadmin channel join``; the
four chaincode servers; the four peers, each joined to its country's channels; then the
chaincode, deployed once (``deploy``). Each process is waited for until it answers, and
its PID recorded. ``down`` stops exactly the recorded PIDs; the data stays, and the next
``up`` resumes it.
"""

from __future__ import annotations

import datetime
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from identity.checks import Status
from network.fabric import binaries, cert_lint, config, deploy, msp, processes
from network.fabric.commands import NetworkError, peer_cli, run
from network.fabric.layout import Batching, Spec
from network.home import Home

Progress = Callable[[str], None]
READY_TIMEOUT = 90.0


def _quiet(_: str) -> None:
    return None


def network_folder(home: Home) -> Path:
    return home.path / "fabric"


def create(
    home: Home,
    folder: Path,
    now: datetime.datetime,
    batching: Batching | None = None,
    progress: Progress = _quiet,
) -> Spec:
    """A new network's crypto, configuration and channel blocks (nothing started)."""
    if (folder / "network.json").exists():
        raise NetworkError(f"a Fabric network already exists in {folder}")
    if not binaries.present():
        raise NetworkError(f"Fabric is not built: run `make fabric` ({binaries.BIN_DIR})")
    spec = Spec.new(folder, batching or Batching())
    folder.mkdir(parents=True, exist_ok=True)
    progress("issuing MSP and TLS certificates from the country roots")
    crypto = msp.generate(home, spec.countries, folder / "crypto", now)
    checks = cert_lint.lint(crypto, now, home.passphrase())
    failed = [c for c in checks if c.status is not Status.PASS]
    (folder / "cert-lint.json").write_text(
        json.dumps([c.to_json() for c in checks], indent=1) + "\n"
    )
    if failed:
        lines = "\n".join(f"  {c.name}: {c.reason}" for c in failed)
        raise NetworkError(f"the certificate lint failed; the network was not started:\n{lines}")
    progress(f"certificate lint: {len(checks)} checks passed")
    configtx_dir = config.write_configtx(spec)
    config.write_core_yaml(spec)
    for channel in spec.channels:
        spec.block(channel).parent.mkdir(parents=True, exist_ok=True)
        run(
            [
                str(binaries.binary("configtxgen")),
                "-configPath",
                str(configtx_dir),
                "-profile",
                channel,
                "-channelID",
                channel,
                "-outputBlock",
                str(spec.block(channel)),
            ],
            config._base_env(),
            f"configtxgen {channel}",
        )
    progress(f"genesis blocks of {', '.join(spec.channels)} (BFT, 4 consenters)")
    spec.save()
    return spec


# --- readiness --------------------------------------------------------------------------


def healthy(port: int) -> bool:
    """The operations endpoint answers ``/healthz`` with 200."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def osnadmin(spec: Spec, country: str, *args: str) -> str:
    admin = spec.crypto(country).node("admin")
    return run(
        [
            str(binaries.binary("osnadmin")),
            *args,
            "-o",
            f"127.0.0.1:{spec.orderers[country].admin}",
            "--ca-file",
            str(spec.crypto(country).ca),
            "--client-cert",
            str(admin.tls_cert),
            "--client-key",
            str(admin.tls_key),
        ],
        config._base_env(),
        f"osnadmin {' '.join(args[:2])} on the {country} orderer",
    )


def _orderer_channels(spec: Spec, country: str) -> list[str]:
    out = osnadmin(spec, country, "channel", "list")
    body = json.loads(out[out.index("{") :])
    return [c["name"] for c in body.get("channels") or []]


def peer_channels(spec: Spec, country: str) -> list[str]:
    out = peer_cli(spec, country, "channel", "list")
    lines = out.splitlines()
    start = next((i for i, line in enumerate(lines) if "Channels peers has joined" in line), -1)
    return [line.strip() for line in lines[start + 1 :] if line.strip()]


def chain_info(spec: Spec, country: str, channel: str) -> dict[str, Any]:
    """The peer's height and current block hash on a channel (``peer channel getinfo``)."""
    out = peer_cli(spec, country, "channel", "getinfo", "-c", channel, timeout=20)
    body: dict[str, Any] = json.loads(out[out.index("{") :])
    return body


def channel_view(spec: Spec, channel: str) -> dict[str, tuple[int, str]]:
    """Each running member peer's height and current block hash on ``channel``."""
    out = {}
    for country in spec.channels[channel]:
        try:
            info = chain_info(spec, country, channel)
        except NetworkError:
            continue
        out[country] = (int(info["height"]), str(info.get("currentBlockHash", "")))
    return out


def orderer_heights(spec: Spec, channel: str) -> dict[str, int]:
    out = {}
    for country in spec.countries:
        try:
            info = osnadmin(spec, country, "channel", "list", "--channelID", channel)
            out[country] = int(json.loads(info[info.index("{") :])["height"])
        except (NetworkError, ValueError, KeyError):
            continue
    return out


def converged(spec: Spec, timeout: float = 60.0) -> dict[str, dict[str, tuple[int, str]]]:
    """Wait until, on every channel, every member peer answers with the same height and
    block hash (and every orderer with that height); the view. Raises after ``timeout``."""
    deadline = time.monotonic() + timeout
    view: dict[str, dict[str, tuple[int, str]]] = {}
    while True:
        view = {c: channel_view(spec, c) for c in spec.channels}
        peers_agree = all(
            len(v) == len(spec.channels[c]) and len(set(v.values())) == 1 for c, v in view.items()
        )
        orderers_agree = peers_agree and all(
            set(orderer_heights(spec, c).values()) == {next(iter(view[c].values()))[0]}
            for c in spec.channels
        )
        if orderers_agree:
            return view
        if time.monotonic() > deadline:
            raise NetworkError(f"the nodes did not converge within {timeout:.0f} s: {view}")
        time.sleep(0.2)


# --- up and down ------------------------------------------------------------------------


def _start_orderer(spec: Spec, country: str) -> processes.Recorded:
    orderer = str(binaries.binary("orderer"))
    return processes.start(
        spec.folder, f"orderer-{country}", [orderer], config.orderer_env(spec, country), spec.logs
    )


def _start_peer(spec: Spec, country: str) -> processes.Recorded:
    peer = str(binaries.binary("peer"))
    return processes.start(
        spec.folder,
        f"peer-{country}",
        [peer, "node", "start"],
        config.peer_env(spec, country),
        spec.logs,
    )


def start_orderers(spec: Spec, countries: list[str] | None = None) -> None:
    chosen = countries or list(spec.countries)
    started = {c: _start_orderer(spec, c) for c in chosen}
    for country, entry in started.items():
        processes.wait_until(
            lambda c=country: healthy(spec.orderers[c].operations),  # type: ignore[misc]
            entry,
            f"the {country} orderer",
            READY_TIMEOUT,
        )


def start_peers(spec: Spec, countries: list[str] | None = None) -> None:
    chosen = countries or list(spec.countries)
    started = {c: _start_peer(spec, c) for c in chosen}
    for country, entry in started.items():
        processes.wait_until(
            lambda c=country: healthy(spec.peers[c].operations),  # type: ignore[misc]
            entry,
            f"the {country} peer",
            READY_TIMEOUT,
        )


def join_channels(spec: Spec, progress: Progress = _quiet) -> None:
    for country in spec.countries:
        have = set(_orderer_channels(spec, country))
        for channel in spec.channels:
            if channel not in have:
                osnadmin(
                    spec, country, "channel", "join", "--channelID", channel,
                    "--config-block", str(spec.block(channel)),
                )  # fmt: skip
    progress("orderers joined to " + ", ".join(spec.channels) + " (osnadmin channel join)")
    for country in spec.countries:
        joined = set(peer_channels(spec, country))
        for channel in spec.channels_of(country):
            if channel not in joined:
                peer_cli(spec, country, "channel", "join", "-b", str(spec.block(channel)))
    progress("peers joined to their corridors' channels")


@dataclass
class UpReport:
    seconds: float
    steps: list[tuple[str, float]] = field(default_factory=list)


def up(home: Home, folder: Path | None = None, progress: Progress = _quiet) -> UpReport:
    """Create the network if it is new, start every process, join channels, deploy the
    chaincode; idempotent (processes already running are kept)."""
    started = time.monotonic()
    report = UpReport(0.0)

    def step(name: str) -> None:
        report.steps.append((name, round(time.monotonic() - started, 2)))
        progress(f"[{time.monotonic() - started:5.1f} s] {name}")

    folder = folder or network_folder(home)
    if not (folder / "network.json").exists():
        create(home, folder, datetime.datetime.now(datetime.UTC), progress=progress)
        step("created")
    spec = Spec.load(folder)
    start_orderers(spec)
    step("4 orderers ready")
    spec = deploy.start_servers(spec)
    step("4 chaincode servers ready")
    start_peers(spec)
    step("4 peers ready")
    join_channels(spec, progress)
    step("channels joined")
    deploy.deploy(home, spec, progress)
    step("chaincode deployed")
    report.seconds = time.monotonic() - started
    return report


def down(folder: Path) -> list[str]:
    """Stop exactly the recorded processes; their names."""
    return processes.stop(folder)


def status(folder: Path) -> dict[str, Any]:
    """Each recorded process (alive or not), each peer's height per channel, and each
    channel's members."""
    spec = Spec.load(folder)
    entries = processes.recorded(folder)
    out: dict[str, Any] = {
        "fabric": f"v{binaries.VERSION} ({binaries.COMMIT[:7]})",
        "channels": {c: [msp.msp_id(m) for m in members] for c, members in spec.channels.items()},
        "processes": [],
    }
    for name, entry in sorted(entries.items()):
        item: dict[str, Any] = {"name": name, "pid": entry.pid, "alive": processes.alive(entry)}
        kind, _, country = name.partition("-")
        if kind == "peer" and item["alive"]:
            item["address"] = spec.peer_address(country)
            item["heights"] = {}
            for channel in spec.channels_of(country):
                try:
                    item["heights"][channel] = chain_info(spec, country, channel)["height"]
                except NetworkError as exc:
                    item["heights"][channel] = f"unknown: {exc}"
        elif kind == "orderer" and item["alive"]:
            item["address"] = spec.orderer_address(country)
            item["heights"] = {}
            for channel in spec.channels:
                try:
                    info = osnadmin(spec, country, "channel", "list", "--channelID", channel)
                    body = json.loads(info[info.index("{") :])
                    item["heights"][channel] = body.get("height")
                except (NetworkError, ValueError) as exc:
                    item["heights"][channel] = f"unknown: {exc}"
        out["processes"].append(item)
    return out


def python() -> str:
    return sys.executable


__all__ = [
    "NetworkError",
    "UpReport",
    "chain_info",
    "channel_view",
    "converged",
    "create",
    "down",
    "network_folder",
    "orderer_heights",
    "peer_cli",
    "run",
    "start_orderers",
    "start_peers",
    "status",
    "up",
]
