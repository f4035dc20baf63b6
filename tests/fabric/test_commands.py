"""The Fabric engine from the command line, on the session's network: ``tdx network fabric
status|up``, ``tdx serve --ledger fabric`` and ``tdx demo --ledger fabric``."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.http.client import NodeClient
from network import examples
from network.evm.anvil import free_port
from network.fabric import processes
from network.fabric.settings import record
from network.home import Home
from tests.fabric.fixtures import FabricNet

TDX = str(Path(sys.executable).parent / "tdx")
PROCESSES = {
    f"{kind}-{c}" for kind in ("orderer", "peer", "ccserver") for c in ("CN", "SG", "RU", "KZ")
}


def _pids(folder: Path) -> dict[str, int]:
    return {name: entry.pid for name, entry in processes.recorded(folder).items()}


def test_status_shows_every_process_its_heights_and_the_channels(
    fabric_network: FabricNet, demo_home: Home
) -> None:
    record(demo_home, fabric_network.folder)
    result = CliRunner().invoke(
        app, ["network", "fabric", "status", "--home", str(demo_home.path), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["network"] == str(fabric_network.folder)
    assert body["channels"] == {
        "cn-sg": ["CNMSP", "SGMSP"],
        "cn-kz-ru": ["CNMSP", "KZMSP", "RUMSP"],
    }
    by_name = {p["name"]: p for p in body["processes"]}
    assert set(by_name) == PROCESSES
    assert all(p["alive"] for p in by_name.values())
    assert set(by_name["peer-SG"]["heights"]) == {"cn-sg"}
    assert set(by_name["peer-CN"]["heights"]) == {"cn-sg", "cn-kz-ru"}
    for p in by_name.values():
        for height in (p.get("heights") or {}).values():
            assert isinstance(height, int), p
            assert height >= 1, p
    text = CliRunner().invoke(app, ["network", "fabric", "status", "--home", str(demo_home.path)])
    assert text.exit_code == 0, text.output
    assert "channel cn-kz-ru: CNMSP, KZMSP, RUMSP" in text.stdout
    assert "peer-KZ" in text.stdout


def test_up_on_a_running_network_keeps_its_processes(
    fabric_network: FabricNet, demo_home: Home
) -> None:
    record(demo_home, fabric_network.folder)
    before = _pids(fabric_network.folder)
    result = CliRunner().invoke(
        app, ["network", "fabric", "up", "--home", str(demo_home.path), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["ok"] is True
    assert body["network"] == str(fabric_network.folder)
    assert [s["step"] for s in body["steps"]][-1] == "chaincode deployed"
    assert _pids(fabric_network.folder) == before


def _wait_ready(base: str, proc: subprocess.Popen[str]) -> None:
    for _ in range(900):  # bounded: about 90 s (the import of grpc and the index's catch-up)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/readyz", timeout=0.1).status_code == 200:
                return
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.1)
    pytest.fail("tdx serve --ledger fabric did not become ready")


def test_serve_on_fabric_issues_with_a_receipt_naming_its_channel(
    fabric_chaincode: str, demo_home: Home
) -> None:
    port = free_port()
    command = [TDX, "serve", "--ledger", "fabric", "--home", str(demo_home.path)]
    command += ["--port", str(port), "--log-level", "WARNING"]
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, proc)
            client = NodeClient(base, demo_home)
            try:
                document = json.loads(examples.read("co_cn_sg.json"))
                receipt = client.call(
                    "POST", "/v1/documents", "cn-gacc", {"kind": "co", "document": document}
                )
            finally:
                client.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    placed = receipt["ledger"]
    assert placed["engine"] == "fabric"
    assert placed["channel"] == "cn-sg"  # a CN certificate of origin: CN's smallest channel
    assert isinstance(placed["block"], int)
    assert placed["block"] >= 1
    assert re.fullmatch(r"[0-9a-f]{64}", placed["transaction"])
    assert "evm" not in receipt


def test_the_demo_runs_on_the_fabric_engine(fabric_network: FabricNet, demo_home: Home) -> None:
    """On a network that is up, the demo takes a fresh chaincode of its own, tells the
    whole story, and leaves the network running."""
    record(demo_home, fabric_network.folder)
    before = _pids(fabric_network.folder)
    result = CliRunner().invoke(
        app, ["demo", "--ledger", "fabric", "--home", str(demo_home.path), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["ok"] is True, [s for s in body["steps"] if not s["ok"]]
    assert any(s["step"] == "the eBL's state read from its channel" for s in body["steps"])
    settings = json.loads((demo_home.path / "fabric.json").read_text())
    assert settings["chaincode"].startswith("tdx-run-")
    assert _pids(fabric_network.folder) == before
    assert all(processes.alive(e) for e in processes.recorded(fabric_network.folder).values())
