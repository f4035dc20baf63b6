"""tdx oa ...: deploy a store, export, obfuscate, revoke and verify from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.interop.oa.conftest import EXAMPLES
from tests.interop.oa.judge import judge

runner = CliRunner()
DOMAIN = "cli.tdx.example"


def tdx(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def test_deploy_export_verify_obfuscate_revoke(anvil: str, tmp_path: Path) -> None:
    deployed = tdx("oa", "deploy-store", "--rpc", anvil, "--json")
    assert deployed.exit_code == 0, deployed.output
    store = json.loads(deployed.stdout)["documentStore"]
    record = json.loads(deployed.stdout)["dnsTxt"]
    assert record == f"openatts net=ethereum netId=1337 addr={store}"

    out = tmp_path / "exported"
    exported = tdx(
        "oa", "export-files", "co", EXAMPLES / "co_cn_sg.json", EXAMPLES / "co_cn_sg.json",
        "--issuer-name", "Shanghai Customs", "--dns-location", DOMAIN, "--store", store,
        "--rpc", anvil, "--out", out, "--json",
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    files = json.loads(exported.stdout)["files"]
    # two copies of one CO: distinct salts, one batch, two files
    assert sorted(Path(f).name for f in files) == ["co_cn_sg-0.json", "co_cn_sg-1.json"]
    first, second = (json.loads(Path(f).read_text()) for f in files)
    assert first["signature"]["merkleRoot"] == second["signature"]["merkleRoot"]
    assert first["signature"]["targetHash"] != second["signature"]["targetHash"]
    doc = Path(files[0])

    dns = ("--dns-txt", f"{DOMAIN}={record}")
    ok = tdx("oa", "verify", doc, "--rpc", anvil, *dns, "--json")
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["valid"] is True
    assert {c["name"]: c["status"] for c in report["checks"]}[
        "OpenAttestationEthereumDocumentStoreStatus"
    ] == "VALID"

    no_dns = tdx("oa", "verify", doc, "--rpc", anvil)
    assert no_dns.exit_code == 1
    assert "OpenAttestationDnsTxtIdentityProof" in no_dns.stdout

    hidden = tmp_path / "hidden.json"
    obf = tdx("oa", "obfuscate", doc, "--field", "document.exporter", "--out", hidden)
    assert obf.exit_code == 0, obf.output
    assert tdx("oa", "verify", hidden, "--rpc", anvil, *dns).exit_code == 0
    refused = tdx("oa", "obfuscate", doc, "--field", "issuers.0.name")
    assert refused.exit_code == 1
    assert "issuers" in refused.stderr

    revoked = tdx("oa", "revoke", doc, "--rpc", anvil, "--json")
    assert revoked.exit_code == 0, revoked.output
    bad = tdx("oa", "verify", doc, hidden, "--rpc", anvil, *dns, "--json")
    assert bad.exit_code == 1
    assert [r["valid"] for r in json.loads(bad.stdout)] == [False, False]
    theirs = judge({"op": "verify", "documents": [json.loads(doc.read_text())], "rpc": anvil,
                    "chainId": 1337, "dns": {DOMAIN: [record]}})  # fmt: skip
    assert theirs["results"][0]["valid"] is False


def test_wrap_raw_data_and_bad_input(anvil: str, tmp_path: Path) -> None:
    raw = tmp_path / "raw.json"
    raw.write_text(
        json.dumps(
            {
                "issuers": [
                    {
                        "name": "x",
                        "documentStore": "0x" + "ab" * 20,
                        "identityProof": {"type": "DNS-TXT", "location": "x.example"},
                    }
                ],
                "note": "hello",
            }
        )
    )
    wrapped = tdx("oa", "wrap", raw)
    assert wrapped.exit_code == 0, wrapped.output
    doc = json.loads(wrapped.stdout)
    assert judge({"op": "verifySignature", "documents": [doc]})["results"] == [True]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"issuers": [{"name": "x", "documentStore": "nope"}]}))
    refused = tdx("oa", "wrap", bad)
    assert refused.exit_code == 1
    assert "issuers.0.documentStore" in refused.stderr

    invalid_co = tmp_path / "co.json"
    invalid_co.write_text("{}")
    failed = tdx("oa", "export-files", "co", invalid_co, "--issuer-name", "x",
                 "--dns-location", "d", "--store", "0x" + "ab" * 20)  # fmt: skip
    assert failed.exit_code == 1
    assert "invalid co" in failed.stderr
