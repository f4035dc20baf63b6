"""``tdx init --country CC --demo-network DIR``: a country's own home joined to the shared
network folder, and the clear refusals (no folder, an unknown country, a country the
folder already has) that change nothing."""

import datetime
import json
import os
import subprocess
import sys
from datetime import UTC

import pytest

from network.home import HomeError, init_country


def _tdx(*args):
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "TDX_HOME"},
    )


def test_a_country_home_joins_the_network_folder_once(tmp_path):
    net, home = tmp_path / "net", tmp_path / "cn"
    made = _tdx(
        "init", "--country", "CN", "--demo-network", str(net), "--home", str(home), "--json"
    )
    assert made.returncode == 0, made.stderr
    body = json.loads(made.stdout)
    assert body["country"] == "CN"
    assert body["baseUrl"] == "http://127.0.0.1:8100"
    assert (home / "node.crt").is_file()
    assert (net / "nodes").is_dir()

    again = _tdx(
        "init", "--country", "CN", "--demo-network", str(net), "--home", str(tmp_path / "b")
    )
    assert again.returncode != 0
    assert "already has a node of CN; nothing was changed" in again.stderr
    assert not (tmp_path / "b").exists()

    unknown = _tdx(
        "init", "--country", "FR", "--demo-network", str(net), "--home", str(tmp_path / "c")
    )
    assert unknown.returncode == 2
    assert "--country: FR is not a demo country" in unknown.stderr

    alone = _tdx("init", "--country", "RU", "--home", str(tmp_path / "d"))
    assert alone.returncode == 2
    assert "--country needs --demo-network DIR" in alone.stderr


def test_a_country_home_is_whole_with_its_network_folder_s_trust_list(tmp_path):
    home = init_country(
        tmp_path / "cn", "CN", tmp_path / "net", "http://127.0.0.1:9", datetime.datetime.now(UTC)
    )
    home.check()  # the trust list is the network folder's, not the home's
    (tmp_path / "net" / "trust-list.jws").unlink()
    with pytest.raises(HomeError, match=r"missing: .*net/trust-list\.jws"):
        home.check()
