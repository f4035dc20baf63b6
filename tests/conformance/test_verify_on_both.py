"""A signed document verifies end to end on either engine, through the node."""

import json

from typer.testing import CliRunner

from api.cli import app
from chaincode.documents.registry import DocumentKind
from tests.conftest import EXAMPLES


def test_an_issued_document_verifies(node, engine):
    issued = node.issue(DocumentKind.CO, (EXAMPLES / "co_cn_sg.json").read_bytes(), "cn-gacc")
    report = node.verify(node.store.get(issued.document.digest))
    assert report.valid, report.to_json()
    inclusion = next(c for c in report.checks if c.name == "inclusion")
    expected = {"evm": "from contract 0x", "fabric": "from chaincode"}.get(
        engine, "signed checkpoint"
    )
    assert expected in inclusion.reason


def test_evm_deploy_command(anvil, demo_home):
    result = CliRunner().invoke(
        app, ["evm", "deploy", "--rpc", anvil, "--home", str(demo_home.path), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["contract"].startswith("0x")
    recorded = json.loads((demo_home.path / "evm.json").read_text())
    assert recorded["contract"] == body["contract"]


def test_the_demo_runs_on_the_evm_engine(tmp_path):
    """`tdx demo --ledger evm` starts its own anvil, deploys, and tells the whole story."""
    result = CliRunner().invoke(
        app, ["demo", "--ledger", "evm", "--home", str(tmp_path / "home"), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["ok"] is True
    assert any(s["step"] == "the eBL's state read from the chain" for s in body["steps"])
