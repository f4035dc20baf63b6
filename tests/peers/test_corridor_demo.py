"""``tdx demo --network`` end to end, as a reader runs it: four real nodes up, the corridor's
steps 1, 2, 7, the rail corridor (R) and 3 over HTTP, the nodes down again by their PIDs."""

import json
import socket
import subprocess
import sys


def test_tdx_demo_network_runs_the_corridor_and_brings_the_nodes_down():
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--network", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    body = json.loads(done.stdout)
    assert body["ok"] is True
    assert sorted(body["nodes"]) == ["CN", "KZ", "RU", "SG"]
    steps = {s["step"][:2]: s for s in body["steps"]}
    assert set(steps) == {"1.", "2.", "7.", "R.", "3."}
    rail = [s for s in body["steps"] if s["step"].startswith("R.")]
    assert [s["actual"] for s in rail] == ["VALID (held pass)", "DIRECT_RELEASE"]
    assert all(s["ok"] for s in body["steps"]), body["steps"]
    assert body["steps"][-1]["actual"] == "UNKNOWN (issuer-node not_checked)"
    # Every node it started is gone: none of their ports answers.
    for url in body["nodes"].values():
        port = int(url.rsplit(":", 1)[1])
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"{url} still answers"


def test_tdx_demo_network_refuses_the_single_home_options():
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--network", "--ledger", "evm"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "--network: runs its own four nodes" in done.stderr
