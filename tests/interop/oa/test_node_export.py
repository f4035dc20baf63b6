"""tdx oa export ID / export-ebl / reclaim / sync on a demo node, against the official
TradeTrust contracts on the session's anvil, judged by the official OpenAttestation tools."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from api.http.app import create_app
from api.http.serving import serving
from interop.oa import TitleState, TokenRegistry
from ledger.evm.chain import Chain
from network.evm.home import address_of, org_account
from network.home import Home
from network.node import Node
from network.platforms import oa_settings
from tests.interop.oa.conftest import EXAMPLES
from tests.interop.oa.judge import judge

from .cli_runs import ok_json as _ok
from .cli_runs import tdx

DOMAIN = "node.tdx.example"
STORE = "OpenAttestationEthereumDocumentStoreStatus"
UNIFIED = (
    "format", "signature", "integrity", "document", "chain", "role-for-type", "revocation",
    "anchored", "status", "inclusion",
    "OpenAttestationHash", STORE, "OpenAttestationDnsTxtIdentityProof",
)  # fmt: skip


def _official(home: Home, anvil: str, *documents: Path) -> list[dict]:
    settings = oa_settings.load(home)
    answer = judge(
        {
            "op": "verify",
            "documents": [json.loads(d.read_text()) for d in documents],
            "rpc": anvil,
            "chainId": 1337,
            "dns": {DOMAIN: list(settings.resolver()(DOMAIN))},
        }
    )
    results: list[dict] = answer["results"]
    return results


def _fragment(result: dict, name: str) -> str:
    return next(f["status"] for f in result["fragments"] if f["name"] == name)


def test_export_from_the_store_and_revocation_propagates(
    anvil: str, demo_home: Home, tmp_path: Path
) -> None:
    home = ("--home", demo_home.path)
    deployed = _ok("oa", "deploy-store", "--rpc", anvil, "--as", "cn-gacc",
                   "--dns-location", DOMAIN, *home)  # fmt: skip
    assert deployed["settings"] == str(demo_home.path / "oa.json")
    issued = _ok("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc", *home)
    doc_id = issued["documentId"]

    whole, hidden = tmp_path / "co.json", tmp_path / "co-hidden.json"
    exported = _ok("oa", "export", doc_id, "--out", whole, *home)
    assert exported["issued"]["documentStore"] == deployed["documentStore"]
    assert exported["files"] == [str(whole)]
    _ok("oa", "export", doc_id, "--out", hidden, "--hide", "document.exporter", *home)
    shown = json.loads(hidden.read_text())
    assert "exporter" not in json.dumps(shown["data"]["document"])
    assert shown["privacy"]["obfuscatedData"]
    data = json.loads(whole.read_text())["data"]
    assert data["tdx"]["signature"].split(":", 2)[2].count(".") == 2  # a compact JWS

    # The official verifier calls both valid: integrity, the node's store, its DNS record.
    assert [r["valid"] for r in _official(demo_home, anvil, whole, hidden)] == [True, True]
    dns = ("--dns-txt", f"{DOMAIN}={deployed['dnsTxt']}")
    checked = tdx("oa", "verify", whole, "--rpc", anvil, *dns)
    assert checked.exit_code == 0, checked.output

    # tdx verify and POST /v1/verify judge the export as the signed original, with OA's checks.
    unified = tdx("verify", whole, "--json", *home)
    assert unified.exit_code == 0, unified.output
    report = json.loads(unified.stdout)
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses == dict.fromkeys(UNIFIED, "pass")
    assert report["facts"]["issuer"] == "cn-gacc"
    with (
        Node(demo_home) as node,
        serving(create_app(node)) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as http,
    ):
        answer = http.post("/v1/verify", content=whole.read_bytes(),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["valid"] is True
    assert [c["name"] for c in answer.json()["checks"]] == list(UNIFIED)
    partial = json.loads(tdx("verify", hidden, "--json", *home).stdout)
    assert {c["name"]: c["status"] for c in partial["checks"]}["OpenAttestationHash"] == "pass"

    # A batch: one root for both documents, one file each in the directory.
    phyto = _ok("issue", "phyto", EXAMPLES / "phyto_cn_kz_apples.json", "--as", "cn-gacc",
                *home)["documentId"]  # fmt: skip
    both = _ok("oa", "export", doc_id, phyto, "--out", tmp_path / "batch", *home)
    batch = [Path(f) for f in both["files"]]
    roots = {json.loads(f.read_text())["signature"]["merkleRoot"] for f in batch}
    assert len(batch) == 2
    assert roots == {both["merkleRoot"]}
    assert [r["valid"] for r in _official(demo_home, anvil, *batch)] == [True, True]

    tampered = tmp_path / "tampered.json"
    bad = json.loads(whole.read_text())
    bad["data"]["document"]["exporter"]["name"] = "ffff:string:Someone Else"
    tampered.write_text(json.dumps(bad))
    (result,) = _official(demo_home, anvil, tampered)
    assert result["valid"] is False
    assert _fragment(result, "OpenAttestationHash") == "INVALID"

    # Revoking in tdx revokes on the DocumentStore, right away: both exports are invalid.
    assert tdx("revoke", doc_id, "--as", "cn-gacc", "--reason", "withdrawn", *home).exit_code == 0
    for result in _official(demo_home, anvil, whole, hidden):
        assert result["valid"] is False
        assert _fragment(result, STORE) == "INVALID"
    # Its batch mate keeps its standing: the targetHash was revoked, not the root.
    assert [r["valid"] for r in _official(demo_home, anvil, *batch)] == [False, True]
    assert tdx("oa", "verify", whole, "--rpc", anvil, *dns).exit_code == 1
    revoked = json.loads(tdx("verify", whole, "--json", *home).stdout)
    statuses = {c["name"]: c["status"] for c in revoked["checks"]}
    assert (statuses["status"], statuses[STORE]) == ("fail", "fail")
    unified = tdx("verify", tampered, "--json", *home)
    assert unified.exit_code == 1
    assert {c["name"]: c["status"] for c in json.loads(unified.stdout)["checks"]}[
        "OpenAttestationHash"
    ] == "fail"
    assert _ok("oa", "sync", *home) == []  # nothing left due

    refused = tdx("oa", "export", doc_id, "--out", tmp_path / "again.json", *home)
    assert refused.exit_code == 1
    assert "is REVOKED: only a document in force" in refused.output


def test_ebl_to_a_token_registry_and_home_again(
    anvil: str, demo_home: Home, tmp_path: Path
) -> None:
    home = ("--home", demo_home.path)
    deployed = _ok("oa", "deploy-registry", "--rpc", anvil, "--as", "cn-cosco",
                   "--dns-location", DOMAIN, *home)  # fmt: skip
    registry = deployed["tokenRegistry"]
    doc_id = _ok("issue", "ebl", EXAMPLES / "ebl_cnsha_sgsin.json", "--as", "cn-cosco", *home)[
        "documentId"
    ]
    holder = _ok("status", doc_id, *home)["holder"]
    account = address_of(demo_home.credentials(holder).ledger_cert)

    not_here = tdx("oa", "reclaim", doc_id, *home)
    assert not_here.exit_code == 1
    assert "is not exported to a token registry" in not_here.output

    out = tmp_path / "ebl.json"
    title = _ok("oa", "export-ebl", doc_id, "--registry", registry, "--out", out, *home)
    assert title["registry"] == f"eip155:1337:{registry}"
    # The official tools read the same title: a TitleEscrow held by the holder's account.
    root = json.loads(out.read_text())["signature"]["merkleRoot"]
    seen = judge({"op": "title", "rpc": anvil, "chainId": 1337, "registry": registry,
                  "tokenId": "0x" + root})  # fmt: skip
    assert (seen["beneficiary"], seen["holder"]) == (account, account)
    (result,) = _official(demo_home, anvil, out)
    assert result["valid"] is True, result
    # Running the export again mints nothing new: the same token, the same escrow.
    assert (
        _ok("oa", "export-ebl", doc_id, "--registry", registry, *home)["titleEscrow"]
        == seen["owner"]
    )

    # Control lives on the registry: tdx refuses every control action, naming where.
    moved = tdx("ebl", "transfer", doc_id, "--to", "cn-boc", "--as", holder, *home)
    assert moved.exit_code == 1
    assert f"lives on the TradeTrust token registry {registry} (chain 1337)" in moved.output
    early = tdx("oa", "reclaim", doc_id, *home)
    assert early.exit_code == 1
    assert "it comes home once returned to the issuer there" in early.output

    # The holder returns the title to the issuer on chain; tdx checks it, burns it, and
    # takes control home as a surrender pending with the carrier.
    chain = Chain.connect(anvil)
    escrow_holder = oa_settings.funded(chain, org_account(demo_home, holder))
    token = int(title["tokenId"], 16)
    TokenRegistry.at(chain, registry).return_to_issuer(escrow_holder, token)
    back = _ok("oa", "reclaim", doc_id, *home)
    assert back["state"] == "PENDING_SURRENDER_FOR_DELIVERY", back
    assert back["title"]["state"] == "BURNT"
    assert back["surrenderedBy"] == holder
    assert TokenRegistry.at(chain, registry).title(token).state is TitleState.BURNT
    assert tdx("oa", "reclaim", doc_id, *home).exit_code == 1  # once only


def test_a_revocation_while_the_chain_is_away_is_carried_later(
    anvil: str, demo_home: Home, tmp_path: Path
) -> None:
    home = ("--home", demo_home.path)
    _ok("oa", "deploy-store", "--rpc", anvil, "--as", "cn-gacc", "--dns-location", DOMAIN, *home)
    doc_id = _ok("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc", *home)["documentId"]
    exported = tmp_path / "co.json"
    _ok("oa", "export", doc_id, "--out", exported, *home)

    # The chain is away: the revocation in tdx stands, and stays due.
    oa_settings.save(demo_home, rpc="http://127.0.0.1:9")
    assert tdx("revoke", doc_id, "--as", "cn-gacc", "--reason", "withdrawn", *home).exit_code == 0
    away = tdx("oa", "sync", *home)  # still unreachable: says so, loses nothing
    assert away.exit_code == 1
    assert away.exception is None or isinstance(away.exception, SystemExit), away.exception
    assert "tdx: error:" in away.output
    assert [r["valid"] for r in _official(demo_home, anvil, exported)] == [True]

    oa_settings.save(demo_home, rpc=anvil)
    (carried,) = _ok("oa", "sync", *home)
    assert carried["documentId"] == doc_id
    assert carried["txHash"].startswith("0x")
    (result,) = _official(demo_home, anvil, exported)
    assert _fragment(result, STORE) == "INVALID"
    assert _ok("oa", "sync", *home) == []  # once only


def test_an_amendment_revokes_the_old_export(anvil: str, demo_home: Home, tmp_path: Path) -> None:
    home = ("--home", demo_home.path)
    _ok("oa", "deploy-store", "--rpc", anvil, "--as", "cn-gacc", "--dns-location", DOMAIN, *home)
    doc_id = _ok("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc", *home)["documentId"]
    exported = tmp_path / "co.json"
    _ok("oa", "export", doc_id, "--out", exported, *home)
    corrected = json.loads((EXAMPLES / "co_cn_sg.json").read_text())
    corrected["certificateNumber"] = "S263100012600019"
    amended_file = tmp_path / "amended.json"
    amended_file.write_text(json.dumps(corrected))
    _ok("amend", doc_id, amended_file, "--as", "cn-gacc", "--reason", "number", *home)
    (result,) = _official(demo_home, anvil, exported)
    assert _fragment(result, STORE) == "INVALID"
    assert _ok("oa", "sync", *home) == []
