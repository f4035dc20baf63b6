"""tdx bench api runs end to end and prints its JSON (figures are not asserted: performance
lives in the bench, not in tests)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TDX = str(Path(sys.executable).parent / "tdx")


def _bench(*args, path=None):
    env = None if path is None else {"PATH": path}
    result = subprocess.run(
        [TDX, "bench", "api", "--json", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_bench_api_with_the_httpx_client(tmp_path):
    # An empty PATH hides wrk, if installed: the fallback client is used.
    out = _bench("--n", "40", "--issues", "5", path=str(tmp_path))
    assert out["server"] == {"workers": 2}
    assert out["verify"]["n"] == 40
    assert out["verify"]["errors"] == 0
    assert out["verify"]["documents"] == 5
    assert out["verify_at_rate"] == {"skipped": "an offered rate needs wrk"}
    assert out["issue"]["n"] == 5
    assert out["issue"]["errors"] == 0


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_bench_api_with_wrk_back_to_back_and_at_a_rate():
    out = _bench("--issues", "5", "--seconds", "1", "--rate", "100")
    assert out["verify"]["client"] == "wrk"
    assert out["verify"]["errors"] == 0
    assert out["verify"]["n"] > 0
    paced = out["verify_at_rate"]
    assert paced["offered_per_second"] == 100
    assert paced["errors"] == 0
    assert 0 < paced["n"] <= 200  # about a second at 100/s; back to back gives far more


def test_bench_verify_prints_the_rate_split_by_check():
    result = subprocess.run(
        [TDX, "bench", "verify", "--json", "--documents", "3", "--n", "9"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["documents"] == 3
    assert out["n"] == 9
    assert out["per_second_one_core"] > 0
    assert out["p256_verify_ms"] > 0
    # Every check the pipeline runs has its share (none skipped on the fast path), on the
    # default path (relying on this node's checks at issue of the same bytes) and the full.
    every = {
        "format",
        "signature",
        "integrity",
        "document",
        "chain",
        "role-for-type",
        "revocation",
        "anchored",
        "status",
        "inclusion",
    }
    assert set(out["split_ms_each"]) == every
    assert set(out["full"]["split_ms_each"]) == every
    assert out["format_signature_integrity_relied_at_issue"] == 9
    assert out["full"]["per_second_one_core"] > 0
