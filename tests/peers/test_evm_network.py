"""``tdx network up --ledger evm``: two country nodes whose contracts live on one shared
anvil. A node on a chain engine has no Merkle checkpoint: its signed answer names the block
it read, and the asking node's verdict is VALID with that read as its inclusion check (it
was INVALID, "the ledger holds no log entry", before the answer's block was taken in)."""

import datetime

import httpx
import pytest

from network import launcher
from network.config import LedgerEngine
from network.home import Home
from tests.peers.conftest import check, fresh


@pytest.fixture(scope="module")
def evm_network(tmp_path_factory):
    path = tmp_path_factory.mktemp("evm-network")
    processes = launcher.up(["CN", "RU"], path, launcher.free_base_port(3), engine=LedgerEngine.EVM)
    try:
        yield path, {p.name: p.url for p in processes}
    finally:
        stopped = launcher.down(path)
        assert {p.name for p in stopped} == {"CN", "RU", "anvil"}


def _auth(path, country, org):
    home = Home(path / "homes" / country)
    return {"Authorization": f"Bearer {home.mint_token(org, datetime.datetime.now(datetime.UTC))}"}


def test_a_cn_co_on_a_chain_is_verified_by_the_ru_node_asking_the_cn_node(evm_network):
    path, urls = evm_network
    with httpx.Client(timeout=60) as http:
        r = http.post(
            urls["CN"] + "/v1/documents",
            json={"kind": "co", "document": fresh("co_cn_sg.json")},
            headers=_auth(path, "CN", "cn-gacc"),
        )
        assert r.status_code == 201, r.text
        digest = r.json()["documentId"]
        envelope = http.get(
            f"{urls['CN']}/v1/documents/{digest}/signed", headers=_auth(path, "CN", "cn-gacc")
        ).json()
        report = http.post(
            urls["RU"] + "/v1/verify", json={"document": envelope, "askIssuer": True}
        ).json()
    assert report["verdict"] == "VALID", report
    issuer_node = check(report, "issuer-node")
    assert issuer_node["status"] == "pass"
    assert (
        "no checkpoint on the CN node's chain engine: it read its contract at block"
        in (issuer_node["reason"])
    )
    inclusion = check(report, "inclusion")
    assert inclusion["status"] == "pass"
    assert inclusion["reason"].startswith("state read from contract 0x")
