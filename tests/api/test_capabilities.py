"""An engine without a capability says so through its type: on the evm engine the node has
no ``ProvableLedger``, and the HTTP API answers 501 naming what is not offered (never the
422 an ``EvmUnsupported`` refusal used to become)."""

import httpx
import pytest

from api.http.app import create_app
from api.http.serving import serving
from network.evm.home import deploy
from network.node import Node, NotOffered
from tests.api.conftest import auth
from tests.api.test_http import issue
from tests.evm.conftest import anvil  # noqa: F401 (the session's anvil node, reused)


@pytest.fixture
def evm_http(anvil, demo_home):  # noqa: F811
    deploy(anvil, demo_home)
    with (
        Node(demo_home, engine="evm", rpc=anvil) as node,
        serving(create_app(node, log_level="WARNING")) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        client.home = demo_home
        client.node = node
        yield client


def test_what_the_evm_engine_does_not_offer_is_a_501(evm_http):
    assert evm_http.node.provable is None
    doc = issue(evm_http, "co", "co_cn_sg.json", "cn-gacc")
    for method, path, org in (
        ("GET", "/v1/checkpoints/latest", None),
        ("GET", f"/v1/documents/{doc}/proof", "kz-auditor"),
        ("POST", "/v1/ledger/verification", "kz-auditor"),
    ):
        headers = auth(evm_http.home, org) if org else {}
        response = evm_http.request(method, path, json={}, headers=headers)
        assert response.status_code == 501, (path, response.text)
        problem = response.json()
        assert problem["type"].endswith("/not-offered")
        assert "not offered by this node's evm ledger" in problem["detail"]
    with pytest.raises(NotOffered):
        evm_http.node.checkpoint()


def test_the_evm_inclusion_check_names_the_block_it_read(evm_http):
    doc = issue(evm_http, "co", "co_cn_sg.json", "cn-gacc")
    signed = evm_http.get(f"/v1/documents/{doc}/signed", headers=auth(evm_http.home, "cn-gacc"))
    report = evm_http.node.verify(signed.content)
    assert report.valid, report.to_json()
    inclusion = report.check(report.checks[-1].name)
    assert inclusion.name.value == "inclusion"
    head = int(evm_http.node.ledger._chain.w3.eth.block_number)
    contract = evm_http.node.ledger._contract.address
    assert f"contract {contract} on chain 1337 at block " in inclusion.reason
    read_at = int(inclusion.reason.split(" at block ")[1].split(" ")[0])
    assert 0 < read_at <= head
    assert "no Merkle checkpoint" in inclusion.reason
