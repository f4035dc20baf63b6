"""tdx verify and POST /v1/verify of an OA export with hidden fields (selective disclosure):
the tdx signature covers the whole document, so the steps that need it are not_checked,
saying why, and the verdict rests on OpenAttestation's checks and the ledger's record of the
document this node exported under that targetHash."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from api.http.app import create_app
from api.http.pages.verdicts import Verdict, verdict_of
from api.http.serving import serving
from network.home import Home
from network.node import Node
from tests.interop.oa.conftest import EXAMPLES

from .cli_runs import ok_json as _ok
from .cli_runs import tdx

DOMAIN = "hidden.tdx.example"
WAIVED = ("signature", "integrity", "document", "chain", "role-for-type", "revocation")
JUDGED = (
    "format",
    "anchored",
    "status",
    "inclusion",
    "OpenAttestationHash",
    "OpenAttestationEthereumDocumentStoreStatus",
    "OpenAttestationDnsTxtIdentityProof",
)


def _verify(home: Home, document: Path, exit_code: int) -> dict:
    done = tdx("verify", document, "--json", "--home", home.path)
    assert done.exit_code == exit_code, done.output
    report: dict = json.loads(done.stdout)
    return report


def _by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def test_a_document_with_hidden_fields_is_judged_by_its_oa_checks_and_the_ledger(
    anvil: str, demo_home: Home, tmp_path: Path
) -> None:
    h = ("--home", demo_home.path)
    _ok("oa", "deploy-store", "--rpc", anvil, "--as", "cn-gacc", "--dns-location", DOMAIN, *h)
    doc_id = _ok("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc", *h)["documentId"]
    hidden = tmp_path / "hidden.json"
    exported = _ok("oa", "export", doc_id, "--out", hidden, "--hide", "document.exporter", *h)
    wrapped = json.loads(hidden.read_text())
    assert wrapped["privacy"]["obfuscatedData"]
    target = "0x" + wrapped["signature"]["targetHash"]

    report = _verify(demo_home, hidden, 0)
    assert report["verdict"] == "VALID"
    assert report["waived"] == sorted(WAIVED)
    assert verdict_of(report) is Verdict.VALID  # the Verify page reads the same
    checks = _by_name(report)
    assert {n: checks[n]["status"] for n in WAIVED} == dict.fromkeys(WAIVED, "not_checked")
    for name in WAIVED:
        assert "hidden by selective disclosure" in checks[name]["reason"]
        assert "the tdx signature covers the full document" in checks[name]["reason"]
    assert {n: checks[n]["status"] for n in JUDGED} == dict.fromkeys(JUDGED, "pass")
    assert set(checks) == {*WAIVED, *JUDGED}
    assert f"exported by this node as targetHash {target}" in checks["anchored"]["reason"]
    assert f"merkleRoot 0x{exported['merkleRoot']}" in checks["anchored"]["reason"]
    assert (report["facts"]["digest"], report["facts"]["issuer"]) == (doc_id, "cn-gacc")

    with (
        Node(demo_home) as node,
        serving(create_app(node)) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as http,
    ):
        answer = http.post("/v1/verify", content=hidden.read_bytes(),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert (answer.json()["verdict"], answer.json()["valid"]) == ("VALID", True)
    assert _by_name(answer.json())["signature"]["status"] == "not_checked"

    # A visible field changed: OpenAttestation's integrity fails, and so does the verdict.
    tampered = tmp_path / "tampered.json"
    bad = json.loads(hidden.read_text())
    bad["data"]["document"]["importer"]["name"] = "ffff:string:Someone Else"
    tampered.write_text(json.dumps(bad))
    report = _verify(demo_home, tampered, 1)
    assert report["verdict"] == "INVALID"
    assert _by_name(report)["OpenAttestationHash"]["status"] == "fail"

    # A hidden field's hash removed, so that a field seems never to have been there: the
    # targetHash no longer matches.
    dropped = tmp_path / "dropped.json"
    bad = json.loads(hidden.read_text())
    bad["privacy"]["obfuscatedData"] = [*bad["privacy"]["obfuscatedData"][1:], "00" * 32]
    dropped.write_text(json.dumps(bad))
    assert _by_name(_verify(demo_home, dropped, 1))["OpenAttestationHash"]["status"] == "fail"

    # A node that did not export it cannot tie it to a tdx document: nobody vouches (UNKNOWN).
    book = demo_home.path / "oa.db"
    book.rename(tmp_path / "oa.db")
    try:
        report = _verify(demo_home, hidden, 3)
    finally:
        (tmp_path / "oa.db").rename(book)
    assert report["verdict"] == "UNKNOWN"
    assert verdict_of(report) is Verdict.UNKNOWN
    anchored = _by_name(report)["anchored"]
    assert anchored["status"] == "not_checked"
    assert f"this node did not export targetHash {target}" in anchored["reason"]

    # Its kind and tdx signature hidden too: the kind is the exported document's.
    bare = tmp_path / "bare.json"
    _ok("oa", "export", doc_id, "--out", bare, "--hide", "tdx.kind", "--hide", "tdx.signature",
        "--hide", "document.exporter", *h)  # fmt: skip
    assert "kind" not in json.loads(bare.read_text())["data"]["tdx"]
    report = _verify(demo_home, bare, 0)
    assert (report["verdict"], report["facts"]["kind"]) == ("VALID", "co")

    # Revoked in tdx: the ledger's status fails, and the DocumentStore's.
    assert tdx("revoke", doc_id, "--as", "cn-gacc", "--reason", "withdrawn", *h).exit_code == 0
    report = _verify(demo_home, hidden, 1)
    assert report["verdict"] == "INVALID"
    checks = _by_name(report)
    assert checks["status"]["status"] == "fail"
    assert checks["OpenAttestationEthereumDocumentStoreStatus"]["status"] == "fail"
