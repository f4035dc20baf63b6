"""``tdx network fabric ...`` and ``tdx serve --ledger fabric`` where there is no network
up: one clear line naming the command that fixes it, and nothing started."""

import json
import os
import subprocess

import pytest
from typer.testing import CliRunner

from api.cli import app
from network.fabric import processes
from network.fabric.layout import SPEC_FILE
from network.fabric.settings import FABRIC_FILE, fabric_ready, record, running
from network.home import HomeError

runner = CliRunner()


def test_serve_on_fabric_without_a_network_names_the_command_that_makes_one(demo_home):
    result = runner.invoke(app, ["serve", "--ledger", "fabric", "--home", str(demo_home.path)])
    assert result.exit_code == 1
    assert f"no Fabric network at {demo_home.path / 'fabric'}" in result.stderr
    assert f"run tdx network fabric up --home {demo_home.path}" in result.stderr


def test_status_and_down_without_a_network(demo_home):
    h = ["--home", str(demo_home.path)]
    status = runner.invoke(app, ["network", "fabric", "status", *h])
    assert status.exit_code == 1
    assert "no Fabric network at" in status.stderr
    down = runner.invoke(app, ["network", "fabric", "down", *h, "--json"])
    assert down.exit_code == 0, down.output
    assert json.loads(down.stdout) == {
        "network": str(demo_home.path / "fabric"),
        "stopped": [],
    }


def test_a_network_with_a_process_down_is_not_ready(demo_home, tmp_path):
    folder = tmp_path / "net"
    folder.mkdir()
    (folder / SPEC_FILE).write_text("{}")
    record(demo_home, folder, "tdx-x")
    assert json.loads((demo_home.path / FABRIC_FILE).read_text()) == {
        "network": str(folder),
        "chaincode": "tdx-x",
    }
    # One process of ours that runs, one that has exited: the network is not up.
    with subprocess.Popen(["sleep", "60"]) as live:
        try:
            done = subprocess.Popen(["sleep", "0"])
            done.wait(timeout=10)
            processes._save(
                folder,
                {
                    "peer-CN": processes.Recorded("peer-CN", live.pid, "sleep", "log"),
                    "peer-SG": processes.Recorded("peer-SG", done.pid, "sleep", "log"),
                },
            )
            assert running(folder) == ["peer-CN"]
            with pytest.raises(HomeError, match=r"is not running \(peer-SG down\)") as raised:
                fabric_ready(demo_home)
            assert "run tdx network fabric up" in str(raised.value)
            served = runner.invoke(
                app, ["serve", "--ledger", "fabric", "--home", str(demo_home.path)]
            )
            assert served.exit_code == 1
            assert "peer-SG down" in served.stderr
        finally:
            live.kill()
    assert os.path.exists(folder / processes.PIDS_FILE)


def test_rpc_belongs_to_the_evm_engine(demo_home):
    for command in ("serve", "demo"):
        result = runner.invoke(
            app,
            [
                command,
                "--ledger",
                "fabric",
                "--rpc",
                "http://127.0.0.1:1",
                "--home",
                str(demo_home.path),
            ],
        )
        assert result.exit_code == 2, result.output
        assert "--rpc is the evm engine's option, not the fabric engine's" in result.stderr


def test_the_fabric_demo_where_fabric_is_not_built_is_one_line(demo_home, monkeypatch):
    from network.fabric import binaries

    monkeypatch.setattr(binaries, "present", lambda *_: False)
    result = runner.invoke(
        app, ["demo", "--ledger", "fabric", "--home", str(demo_home.path), "--json"]
    )
    assert result.exit_code == 1, result.output
    assert "the Fabric network did not start: Fabric is not built: run `make fabric`" in (
        result.stderr
    )
    assert result.stdout == ""
    assert not (demo_home.path / "fabric" / processes.PIDS_FILE).exists()
