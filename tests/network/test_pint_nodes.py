"""Two nodes on loopback, each its own PINT platform with its own ledger (AEOT for the
Chinese organisations, SGTD for the Singaporean ones), each serving PINT under /v3 from the
node's own app: exclusive control holds across them, on their ledgers."""

from __future__ import annotations

import contextlib
import datetime
import json
import shutil
from dataclasses import dataclass

import httpx
import pytest

from api.http.app import create_app
from api.http.serving import serving
from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.records import Away
from chaincode.transactions import Op
from interop.pint import ActionCode, IdentifyingCode, Peer, PlatformSigner, ResponseCode
from interop.pint.checksums import td_checksum_of
from interop.pint.config import public_key_pem
from network.evm.anvil import free_port
from network.home import Home
from network.node import Node
from network.platforms.pint_platform import PintPlatform
from tests.conftest import EXAMPLES

SIGNERS = {"AEOT": ("cn-cosco", "CN"), "SGTD": ("sg-dbs", "SG")}


@dataclass
class Platform:
    code: str
    node: Node
    url: str
    client: httpx.Client

    @property
    def pint(self) -> PintPlatform:
        platform = self.node.pint()
        assert platform is not None
        return platform

    @property
    def peer(self) -> Peer:
        return Peer(self.code, self.url)

    def send(self, doc_id, to: Platform, recipient: str, actor: str, action=ActionCode.TRANSFER):
        sender = self.pint.sender(self.client)
        whom = sender.receiver_party(to.peer, IdentifyingCode(codeListProvider=to.code,
                                                              partyCode=recipient))  # fmt: skip
        issued = self.node.store.get(doc_id)
        td = json.loads(issued)["document"] if issued else None
        transfer = self.pint.transfer(sender, doc_id, to.peer, whom, actor, action, (), td)
        return sender.send(transfer)


@pytest.fixture
def platforms(_demo_home_template, tmp_path):
    ports = {code: free_port() for code in SIGNERS}
    homes = {}
    for code in SIGNERS:
        path = tmp_path / code
        shutil.copytree(_demo_home_template, path)
        homes[code] = Home(path)
    keys = {
        code: public_key_pem(PlatformSigner.of(code, homes[code].signing_key(org)).public_key())
        for code, (org, _) in SIGNERS.items()
    }
    for code, (org, country) in SIGNERS.items():
        peers = [
            {"platform": other, "url": f"http://127.0.0.1:{ports[other]}", "keys": [keys[other]]}
            for other in SIGNERS
            if other != code
        ]
        settings = {"platform": code, "signer": org, "accounts": [country], "peers": peers}
        (homes[code].path / "pint.json").write_text(json.dumps(settings))
    with contextlib.ExitStack() as stack:
        built = {}
        for code in SIGNERS:
            node = stack.enter_context(Node(homes[code]))
            url = stack.enter_context(serving(create_app(node), port=ports[code]))
            client = stack.enter_context(httpx.Client(timeout=30))
            built[code] = Platform(code, node, url, client)
        yield built["AEOT"], built["SGTD"]


def issue(node: Node) -> str:
    data = (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes()
    return node.issue(DocumentKind.EBL, data, "cn-cosco").document.digest


def refused(node: Node, org: str, op: Op, **fields) -> Refusal:
    with pytest.raises(Refusal) as caught:
        node.submit(org, op, **fields)
    return caught.value


def test_a_transfer_moves_control_between_the_two_ledgers_and_back(platforms):
    a, b = platforms
    ebl = issue(a.node)
    outcome = a.send(ebl, b, "sg-importer", "cn-exporter")
    assert outcome.code is ResponseCode.RECE
    gone = a.node.ledger.document(ebl)
    assert (gone.away, gone.away_at, gone.holder) == (Away.TRANSFERRED_OUT, "SGTD", None)
    here = b.node.ledger.document(ebl)
    assert (here.issuer, here.holder, here.carrier_platform, here.away) == (
        "sg-importer",
        "sg-importer",
        "AEOT",
        None,
    )
    # After RECE the sender cannot act on it, naming where control lives; the receiver can.
    local = refused(a.node, "cn-exporter", Op.TRANSFER, doc=ebl, to="cn-boc")
    assert (local.kind, "lives on PINT platform SGTD" in local.rule) == (RefusalKind.CONFLICT, True)
    b.node.submit("sg-importer", Op.TRANSFER, doc=ebl, to="sg-dbs")
    assert [e.op for e in b.node.ledger.history(ebl)] == ["RECORD_RECEIVED", "TRANSFER"]

    # Back to a Chinese bank, from the chain SGTD keeps plus its local transfer.
    assert b.send(ebl, a, "cn-boc", "sg-dbs").code is ResponseCode.RECE
    home = a.node.ledger.document(ebl)
    assert (home.away, home.holder, home.carrier) == (None, "cn-boc", "cn-cosco")
    assert b.node.ledger.document(ebl).away is Away.TRANSFERRED_OUT
    assert a.pint.store.chain(td_checksum_of(ebl)) == b.pint.store.chain(td_checksum_of(ebl))
    a.node.submit("cn-boc", Op.TRANSFER, doc=ebl, to="cn-exporter")
    # And out again: the chain carries the transfer made at home since it came back.
    assert a.send(ebl, b, "sg-importer", "cn-exporter").code is ResponseCode.RECE
    assert b.node.ledger.document(ebl).holder == "sg-importer"
    assert len(b.pint.store.chain(td_checksum_of(ebl))) == 3


def test_a_surrender_is_routed_through_the_issuing_platform(platforms):
    a, b = platforms
    ebl = issue(a.node)
    assert a.send(ebl, b, "sg-importer", "cn-exporter").code is ResponseCode.RECE
    # On SGTD the carrier is elsewhere: no local surrender, and none to another platform.
    local = refused(b.node, "sg-importer", Op.SURRENDER, doc=ebl, purpose="delivery")
    assert "on PINT platform AEOT" in local.rule
    surrender = ActionCode.SURRENDER_FOR_DELIVERY
    assert b.send(ebl, a, "cn-cosco", "sg-importer", surrender).code is ResponseCode.RECE
    pending = a.node.ledger.document(ebl)
    assert (pending.state.value, pending.holder, pending.surrendered_from) == (
        "PENDING_SURRENDER_FOR_DELIVERY",
        "cn-cosco",
        "SGTD",
    )
    assert b.node.ledger.document(ebl).state.value == "PENDING_SURRENDER_FOR_DELIVERY"
    by_pint = refused(a.node, "cn-cosco", Op.REJECT, doc=ebl, reason="unpaid")
    assert "reject it by PINT (SREJ)" in by_pint.rule

    # The carrier accepts at home, releases, and tells SGTD (SACC moves no control).
    a.node.submit("cn-cosco", Op.ACCEPT, doc=ebl)
    container = a.node.ledger.document(ebl).containers[0]
    expires = a.node.clock() + datetime.timedelta(days=2)
    a.node.submit("cn-cosco", Op.RELEASE, doc=ebl, containers=[container], to="sg-importer",
                  expires=expires)  # fmt: skip
    assert a.send(ebl, b, "sg-importer", "cn-cosco", ActionCode.SACC).code is ResponseCode.RECE
    closed = b.node.ledger.document(ebl)
    assert (closed.state.value, closed.holder, closed.away) == (
        "SURRENDERED_FOR_DELIVERY",
        None,
        None,
    )
    assert a.node.ledger.document(ebl).state.value == "SURRENDERED_FOR_DELIVERY"


def test_a_rejected_surrender_goes_back_by_pint(platforms):
    a, b = platforms
    ebl = issue(a.node)
    assert a.send(ebl, b, "sg-importer", "cn-exporter").code is ResponseCode.RECE
    amendment = ActionCode.SURRENDER_FOR_AMENDMENT
    assert b.send(ebl, a, "cn-cosco", "sg-importer", amendment).code is ResponseCode.RECE
    assert a.send(ebl, b, "sg-importer", "cn-cosco", ActionCode.SREJ).code is ResponseCode.RECE
    back = b.node.ledger.document(ebl)
    assert (back.state.value, back.holder, back.away) == ("ISSUED", "sg-importer", None)
    gone = a.node.ledger.document(ebl)
    assert (gone.away, gone.away_at) == (Away.TRANSFERRED_OUT, "SGTD")
    b.node.submit("sg-importer", Op.TRANSFER, doc=ebl, to="sg-dbs")


def test_v3_speaks_dcsa_and_v1_keeps_its_rules(platforms):
    a, _ = platforms
    with httpx.Client(base_url=a.url, timeout=10) as http:
        unknown = http.put("/v3/envelopes/nope/finish-transfer", headers={"API-Version": "3"})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/json"
        assert unknown.headers["API-Version"] == "3.0.0"
        assert unknown.json()["statusCode"] == 404
        # No bearer token, and DCSA's own content handling (no 415).
        code = {"codeListProvider": "AEOT", "partyCode": "cn-boc"}
        found = http.post("/v3/receiver-validation", content=json.dumps(code))
        assert (found.status_code, found.json()) == (200, {"partyName": "Bank of China Limited"})
        elsewhere = {"codeListProvider": "AEOT", "partyCode": "sg-dbs"}  # an SGTD account
        assert http.post("/v3/receiver-validation", json=elsewhere).status_code == 404
        assert http.get("/v3/nothing").json()["errors"][0]["errorCode"] == 7404
        # /v1 as before: problem+json, bearer tokens, the 5 MiB limit.
        v1 = http.get("/v1/documents/sha256:" + "0" * 64)
        assert v1.status_code == 401
        assert v1.headers["content-type"] == "application/problem+json"
        big = http.post("/v1/verify", content=b"x" * (6 * 1024 * 1024),
                        headers={"content-type": "application/json"})  # fmt: skip
        assert big.status_code == 413
