"""``tdx bench network`` on a small run: two real nodes up and down, every query's signed
answer believed, pushes verified on arrival, the figures in their JSON shape. It measures;
it asserts no speed (the machine is shared)."""

import json
import subprocess
import sys


def test_bench_network_measures_queries_pushes_and_signatures():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "bench",
            "network",
            "--queries",
            "40",
            "--concurrency",
            "2",
            "--verifications",
            "10",
            "--pushes",
            "2",
            "--node-workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["nodes"] == ["CN", "KZ"]
    assert result["node_workers"] == 2  # each node a tdx serve --workers 2
    queries = result["queries"]
    assert queries["n"] == 40
    assert queries["client_processes"] == 2  # the asking side is not one interpreter
    assert queries["failures"] == 0  # every answer checked in full and believed
    assert 0 < queries["p50_ms"] <= queries["p99_ms"]
    assert queries["per_second"] > 0
    assert queries["target"] == {"per_second": 500, "p99_ms": 50.0}
    assert isinstance(queries["meets_target"], bool)
    # Which side spends the CPU: the client (this process) and each node's process tree.
    per = queries["cpu"]["cpu_ms_per_operation"]
    assert set(per) == {"client", "CN", "KZ"}
    assert per["client"] > 0
    assert per["CN"] > 0  # the answering node did the work
    assert queries["server_per_core_per_second"] == round(1000 / per["CN"], 1)
    verify = result["verify_ask_issuer"]
    assert verify["n"] == 10
    assert verify["failures"] == 0  # VALID, having asked the CN node
    push = result["push"]
    assert push["n"] == 2
    assert push["failures"] == 0
    assert 0 < push["p50_ms"] <= push["max_ms"]
    algorithms = [s["algorithm"] for s in result["signatures"]]
    assert algorithms == ["ES256", "SM2SM3", "GOST3410-2012-256"]
    assert all(s["signPerSecond"] > 0 and s["verifyPerSecond"] > 0 for s in result["signatures"])
    assert "bench: starting the CN and KZ nodes" in done.stderr
