"""The audit's findings (issue 10), each as an attack on every engine: the attackers are
registered organisations of one member country acting against another's."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account import Account

from chaincode.documents.registry import DocumentKind, validate_document
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.transactions import Op
from ledger.admission import batch_root
from ledger.evm.chain import consent, container_bytes, doc_id_bytes, registration_digest
from ledger.evm.refusals import refusal as decode
from network.evm import home as evm_home
from network.home import Home
from network.node import Node
from tests.conformance.attackers import ATTACKERS, Attacker, add_organisation
from tests.conftest import EXAMPLES

C1, C2 = "CXRU1523418", "CXRU1608726"  # the example eBL's containers
CO = DocumentKind.CO
EBL = DocumentKind.EBL
NOBODY = "0x" + "00" * 20


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def refused(node: Node, org: str, op: Op, **fields: object) -> Refusal:
    before = node.ledger.size()
    with pytest.raises(Refusal) as caught:
        node.submit(org, op, **fields)
    assert node.ledger.size() == before  # a refusal changes nothing
    return caught.value


def ebl_document(reference: str | None = None) -> bytes:
    """The example eBL, or another one (its own digest) listing the same containers."""
    data = json.loads((EXAMPLES / "ebl_cnsha_sgsin.json").read_text())
    if reference is not None:
        data["transportDocumentReference"] = reference
    return json.dumps(data).encode()


def surrendered(node: Node, reference: str | None = None, holder: str | None = None) -> str:
    """An eBL of cn-cosco's, surrendered for delivery and accepted."""
    ebl = node.issue(EBL, ebl_document(reference), "cn-cosco", to=holder).document.digest
    first = holder or "cn-exporter"
    node.submit(first, Op.SURRENDER, doc=ebl, purpose="delivery")
    node.submit("cn-cosco", Op.ACCEPT, doc=ebl)
    return ebl


def later(node: Node, days: float = 2) -> datetime.datetime:
    return node.clock() + datetime.timedelta(days=days)


# --- finding 1 -----------------------------------------------------------------------------


def test_1_a_batch_member_cannot_be_taken_over(node: Node) -> None:
    members = [digest(101), digest(102), digest(103)]
    root = batch_root(members)
    node.submit("sg-chamber", Op.ANCHOR_BATCH, doc=root, digests=members, kind=CO, country="SG")
    # RU's one-leaf batch of SG's member, naming no country, and its revocation: RU's own.
    node.submit(
        "ru-mallory", Op.ANCHOR_BATCH, doc=batch_root(members[:1]), digests=members[:1], kind=CO
    )
    node.submit("ru-mallory", Op.REVOKE, doc=members[0], reason="taken over")
    sg = node.ledger.document(members[0], "sg-chamber")
    assert sg is not None
    assert (sg.issuer, sg.state.value, sg.batch) == ("sg-chamber", "ISSUED", root)
    first = node.ledger.document(members[0])
    assert first is not None
    assert first.issuer == "sg-chamber"
    mallory = node.ledger.document(members[0], "ru-mallory")
    assert mallory is not None
    assert mallory.state.value == "REVOKED"
    # The variant: a single issue of a member.
    node.submit("ru-mallory", Op.ISSUE, doc=members[1], kind=CO, country="RU")
    assert node.ledger.document(members[1]).issuer == "sg-chamber"  # type: ignore[union-attr]
    # SG's own revocation goes through.
    node.submit("sg-chamber", Op.REVOKE, doc=members[0], reason="withdrawn")
    sg = node.ledger.document(members[0], "sg-chamber")
    assert sg is not None
    assert sg.state.value == "REVOKED"
    assert node.ledger.issuers(members[0]) == ["sg-chamber", "ru-mallory"]


# --- finding 2 -----------------------------------------------------------------------------


def test_2_a_live_right_is_never_overwritten_and_a_container_leaves_once_per_ebl(
    node: Node,
) -> None:
    """The CLI repro: a second eBL of the same carrier, listing the same containers."""
    e1 = node.issue(EBL, ebl_document(), "cn-cosco").document.digest
    node.submit("cn-exporter", Op.ENDORSE, doc=e1, to="sg-importer")
    node.submit("sg-importer", Op.SURRENDER, doc=e1, purpose="delivery")
    node.submit("cn-cosco", Op.ACCEPT, doc=e1)
    node.submit(
        "cn-cosco", Op.RELEASE, doc=e1, containers=[C1, C2], to="sg-haulier", expires=later(node)
    )
    node.pickup(C2, "sg-psa", by="sg-haulier")

    e2 = surrendered(node, "COSU6401873151", holder="cn-cosco")
    both = refused(
        node,
        "cn-cosco",
        Op.RELEASE,
        doc=e2,
        containers=[C1, C2],
        to="cn-cosco",
        expires=later(node),
    )
    assert (both.kind, both.rule) == (
        RefusalKind.CONFLICT,
        f"container {C1} has a live pickup right under eBL {e1}",
    )
    right = node.ledger.pickup_right(C1)
    assert right is not None
    assert (right.ebl, right.holder) == (e1, "sg-haulier")
    # C2 left under e1: its next voyage is e2's, and the right is bound to CN (cn-cosco's).
    node.submit("cn-cosco", Op.RELEASE, doc=e2, containers=[C2], to="cn-cosco", expires=later(node))
    wrong_place = refused(node, "sg-psa", Op.PICKUP, container=C2, to="cn-cosco", doc=e2)
    assert (wrong_place.kind, wrong_place.rule) == (
        RefusalKind.FORBIDDEN,
        "the pickup right is for a terminal in CN, not in SG",
    )
    nameless = refused(node, "sg-psa", Op.PICKUP, container=C2, doc=e2)
    assert nameless.rule == "PICKUP needs to (the holder presenting itself at the gate)"
    node.pickup(C2, "cn-terminal", by="cn-cosco")
    for ebl in (e1, e2):
        again = refused(
            node, "cn-cosco", Op.RELEASE, doc=ebl, containers=[C2], to="sg-haulier",
            expires=later(node),
        )  # fmt: skip
        assert (again.kind, again.rule) == (
            RefusalKind.CONFLICT,
            f"container {C2} was already released under this eBL",
        )
    node.pickup(C1, "sg-psa", by="sg-haulier")  # e1's right on C1 was never touched


@pytest.fixture
def timed(engine: str, demo_home: Home, request: pytest.FixtureRequest) -> Iterator[TimedNode]:
    """A node whose clock (and, on the EVM engine, the chain's) moves forward on demand."""
    url = None
    if engine == "evm":
        url = request.getfixturevalue("anvil")
        evm_home.deploy(url, demo_home)
    elif engine == "fabric":
        request.getfixturevalue("fabric_chaincode")  # the network, and a fresh chaincode
    shift = [datetime.timedelta(0)]
    node = Node(demo_home, clock=lambda: _now() + shift[0], engine=engine, rpc=url)  # type: ignore[arg-type]
    if engine == "evm":
        # Start from the chain's time: another test may have moved it on.
        head = node.ledger._chain.w3.eth.get_block("latest")["timestamp"]
        shift[0] = datetime.datetime.fromtimestamp(int(head), datetime.UTC) - _now()
    with node:
        yield TimedNode(node, shift, engine)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class TimedNode:
    def __init__(self, node: Node, shift: list[datetime.timedelta], engine: str) -> None:
        self.node = node
        self._shift = shift
        self._engine = engine

    def advance(self, seconds: int) -> None:
        self._shift[0] += datetime.timedelta(seconds=seconds)
        if self._engine == "evm":
            chain = self.node.ledger._chain  # type: ignore[union-attr]
            chain.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
            chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def test_2_an_expired_right_is_renewed_by_its_own_carrier(timed: TimedNode) -> None:
    node = timed.node
    e1 = surrendered(node)
    soon = node.clock() + datetime.timedelta(seconds=60)
    node.submit("cn-cosco", Op.RELEASE, doc=e1, containers=[C1, C2], to="cn-exporter", expires=soon)
    timed.advance(120)
    expired = refused(node, "cn-terminal", Op.PICKUP, container=C1, to="cn-exporter")
    assert expired.rule.startswith("the pickup right expired at")
    # Its own carrier renews it; once renewed it is live again, and not released twice.
    node.submit(
        "cn-cosco", Op.RELEASE, doc=e1, containers=[C1], to="cn-exporter", expires=later(node)
    )
    live = refused(
        node, "cn-cosco", Op.RELEASE, doc=e1, containers=[C1], to="cn-exporter", expires=later(node)
    )
    assert live.rule == f"container {C1} is already released"
    node.pickup(C1, "cn-terminal", by="cn-exporter")
    # An expired right under one eBL does not block another eBL's release.
    e2 = surrendered(node, "COSU6401873152", holder="cn-cosco")
    node.submit("cn-cosco", Op.RELEASE, doc=e2, containers=[C2], to="cn-cosco", expires=later(node))
    right = node.ledger.pickup_right(C2)
    assert right is not None
    assert right.ebl == e2


# --- finding 3 -----------------------------------------------------------------------------


def test_3_an_ebl_amendment_is_authorised_as_an_issue(node: Node) -> None:
    ebl = node.issue(EBL, ebl_document(), "cn-cosco").document.digest
    node.submit("cn-exporter", Op.SURRENDER, doc=ebl, purpose="amendment")
    node.submit("cn-cosco", Op.ACCEPT, doc=ebl)
    new = digest(301)
    fields: dict[str, Any] = {
        "doc": ebl, "newDoc": new, "kind": EBL, "reason": "port", "toOrder": True,
        "containers": [C1],
    }  # fmt: skip
    foreign = refused(node, "cn-cosco", Op.AMEND, country="US", **fields)
    assert (foreign.kind, foreign.rule) == (
        RefusalKind.FORBIDDEN,
        "a ebl issued in US must be issued by an organisation of US, not CN",
    )
    other = refused(node, "sg-carrier", Op.AMEND, country="SG", **fields)
    assert other.rule == "only the issuing carrier may amend an eBL"
    node.submit("cn-cosco", Op.AMEND, country="CN", **fields)
    record = node.ledger.document(new)
    assert record is not None
    assert (record.holder, record.country) == ("cn-exporter", "CN")


# --- finding 4 -----------------------------------------------------------------------------


def test_4_a_document_never_supersedes_itself(node: Node) -> None:
    node.submit("cn-gacc", Op.ISSUE, doc=digest(401), kind=CO, country="CN")
    members = [digest(402), digest(403)]
    node.submit(
        "cn-gacc", Op.ANCHOR_BATCH, doc=batch_root(members), digests=members, kind=CO, country="CN"
    )
    for doc in (digest(401), members[0]):
        for op in (Op.AMEND, Op.REPLACE):
            itself = refused(
                node, "cn-gacc", op, doc=doc, newDoc=doc, reason="x", kind=CO, country="CN"
            )
            assert (itself.kind, itself.rule) == (
                RefusalKind.INVALID,
                "a document cannot supersede itself",
            )
    assert node.ledger.document(members[0]).state.value == "ISSUED"  # type: ignore[union-attr]
    assert node.ledger.document(members[0]).superseded_by is None  # type: ignore[union-attr]


# --- finding 5 -----------------------------------------------------------------------------


def test_5_a_change_names_only_the_actors_own_record(node: Node, engine: str) -> None:
    single = digest(501)
    node.submit("sg-chamber", Op.ISSUE, doc=single, kind=CO, country="SG")
    members = [digest(502), digest(503)]
    node.submit(
        "sg-chamber", Op.ANCHOR_BATCH, doc=batch_root(members), digests=members, kind=CO,
        country="SG",
    )  # fmt: skip
    for doc in (single, members[1]):
        stranger = refused(node, "ru-mallory", Op.REVOKE, doc=doc, reason="x")
        assert (stranger.kind, stranger.rule) == (
            RefusalKind.FORBIDDEN,
            f"only its issuer of record (sg-chamber) revokes document {doc}",
        )
    if engine == "evm":
        # The contract itself: a root and proof given for a single record are checked.
        chamber = evm_home.org_account(node.home, "sg-chamber")
        fn = _contract(node).functions.revokeInBatch(
            doc_id_bytes(single), "x", b"\x42" * 32, 999, []
        )
        error = node.ledger._chain.refusal(chamber, fn)  # type: ignore[union-attr]
        assert error.error == "UnknownBatch"
        tx = node.transaction("sg-chamber", Op.REVOKE, doc=single, reason="x").tx
        assert decode(error, tx, node.ledger._reads.org).rule == (  # type: ignore[union-attr]
            f"document {single} is not on the ledger"
        )
    node.submit("sg-chamber", Op.REVOKE, doc=single, reason="withdrawn")
    assert [e.op for e in node.ledger.history(single)] == ["ISSUE", "REVOKE"]


# --- finding 6 -----------------------------------------------------------------------------


def test_6_no_country_claims_another_countrys_account(
    engine: str, demo_home: Home, request: pytest.FixtureRequest
) -> None:
    if engine == "evm":
        url = request.getfixturevalue("anvil")
        evm_home.deploy(url, demo_home)
        with Node(demo_home, engine="evm", rpc=url) as node:
            chain, contract = node.ledger._chain, _contract(node)  # type: ignore[union-attr]
            ru = evm_home.authority_account(demo_home, "RU")
            sg = evm_home.authority_account(demo_home, "SG")
            newcomer = Account.create()  # an SG organisation's key, not registered yet
            cert = hashlib.sha256(b"claimed").digest()
            for target, signer in (  # a signature by anyone but the account itself
                (sg.address, ru),
                (sg.address, newcomer),
                (newcomer.address, ru),
                (newcomer.address, sg),
            ):
                signed = registration_digest(chain.chain_id, contract.address, target, "RU", cert)
                claim = contract.functions.registerOrganisation(
                    target, 1 << 2, cert, consent(signer, signed)
                )
                error = chain.refusal(ru, claim)
                assert (error.error, error.error_args) == ("ConsentRequired", (target,))
            importer = evm_home.org_account(demo_home, "sg-importer")
            signed = registration_digest(
                chain.chain_id, contract.address, importer.address, "RU", cert
            )
            taken = contract.functions.registerOrganisation(
                importer.address, 1 << 2, cert, consent(importer, signed)
            )
            assert chain.refusal(ru, taken).error == "NotYourOrganisation"
            assert contract.functions.organisation(sg.address).call()[0] == 0
            # SG registers its newcomer afterwards, with the newcomer's consent.
            signed = registration_digest(
                chain.chain_id, contract.address, newcomer.address, "SG", cert
            )
            chain.send(
                sg,
                contract.functions.registerOrganisation(
                    newcomer.address, 1 << 5, cert, consent(newcomer, signed)
                ),
            )
            assert contract.functions.organisation(newcomer.address).call()[2] == b"SG"
            _importer_still_acts(node)
        return
    # Embedded and Fabric: a certificate that RU issues over sg-importer's ledger key gives
    # that key no second identity. The key acts for the organisation that signed with it
    # first (on Fabric, RU registers the claimant on its own channel: the chaincode there
    # binds the key, and the engine checks the binding across its channels).
    claimant = Attacker("ru-claim", "RU", ATTACKERS[0].national_id, ATTACKERS[0].roles)
    add_organisation(demo_home, claimant, _now(), ledger_key_of="sg-importer")
    if engine == "fabric":
        request.getfixturevalue("fabric_chaincode")  # registers the claimant too
    with Node(demo_home, engine=engine) as node:  # type: ignore[arg-type]
        _importer_still_acts(node)
        claim = refused(node, "ru-claim", Op.ISSUE, doc=digest(601), kind=CO, country="RU")
        assert (claim.kind, claim.rule) == (
            RefusalKind.FORBIDDEN,
            "this ledger key acts for sg-importer; one key acts for one organisation",
        )


def _importer_still_acts(node: Node) -> None:
    ebl = node.issue(EBL, ebl_document(), "cn-cosco", to="sg-importer").document.digest
    node.submit("sg-importer", Op.TRANSFER, doc=ebl, to="cn-boc")
    assert node.ledger.document(ebl).holder == "cn-boc"  # type: ignore[union-attr]


# --- finding 7 -----------------------------------------------------------------------------


def test_7_front_running_makes_no_one_the_issuer_of_record_of_anothers_document(
    node: Node,
) -> None:
    d = digest(701)
    node.submit("ru-mallory", Op.ISSUE, doc=d, kind=CO)  # mined first
    node.submit("cn-gacc", Op.ISSUE, doc=d, kind=CO, country="CN")
    mine = node.ledger.document(d, "cn-gacc")
    assert mine is not None
    assert (mine.issuer, mine.state.value) == ("cn-gacc", "ISSUED")
    assert node.ledger.issuers(d) == ["ru-mallory", "cn-gacc"]
    node.submit("ru-mallory", Op.REVOKE, doc=d, reason="mine")
    assert node.ledger.document(d, "cn-gacc").state.value == "ISSUED"  # type: ignore[union-attr]
    # A batch front-run: the same root by another issuer is that issuer's own.
    members = [digest(702), digest(703)]
    root = batch_root(members)
    node.submit("ru-mallory", Op.ANCHOR_BATCH, doc=root, digests=members, kind=CO)
    node.submit("sg-chamber", Op.ANCHOR_BATCH, doc=root, digests=members, kind=CO, country="SG")
    node.submit("sg-chamber", Op.REVOKE, doc=members[1], reason="withdrawn")
    assert node.ledger.document(members[1], "ru-mallory").state.value == "ISSUED"  # type: ignore[union-attr]
    assert node.ledger.document(members[1], "sg-chamber").state.value == "REVOKED"  # type: ignore[union-attr]
    # An eBL front-run: the holder names the carrier once two carriers anchored the digest.
    data = ebl_document("COSU6401873170")
    ebl = validate_document(EBL, data).digest
    node.submit(
        "sg-carrier", Op.ISSUE, doc=ebl, kind=EBL, carrier="sg-carrier", to="sg-importer",
        country="SG", toOrder=True, containers=[C1],
    )  # fmt: skip
    assert node.issue(EBL, data, "cn-cosco").document.digest == ebl
    which = refused(node, "cn-exporter", Op.TRANSFER, doc=ebl, to="cn-boc")
    assert (which.kind, which.rule) == (
        RefusalKind.INVALID,
        f"eBL {ebl} was issued by several carriers (sg-carrier, cn-cosco): name the carrier",
    )
    node.submit("cn-exporter", Op.TRANSFER, doc=ebl, carrier="cn-cosco", to="cn-boc")
    assert node.ledger.document(ebl, "cn-cosco").holder == "cn-boc"  # type: ignore[union-attr]
    assert node.ledger.document(ebl, "sg-carrier").holder == "sg-importer"  # type: ignore[union-attr]


# --- finding 8 -----------------------------------------------------------------------------


def test_8_a_right_is_bound_to_a_terminal_or_country_and_names_its_holder(node: Node) -> None:
    ebl = surrendered(node)
    node.submit(
        "cn-cosco", Op.RELEASE, doc=ebl, containers=[C1], to="sg-haulier", expires=later(node),
        terminal="sg-psa",
    )  # fmt: skip
    node.submit(
        "cn-cosco", Op.RELEASE, doc=ebl, containers=[C2], to="sg-haulier", expires=later(node)
    )
    elsewhere = refused(node, "ru-terminal", Op.PICKUP, container=C1, to="sg-haulier")
    assert (elsewhere.kind, elsewhere.rule) == (
        RefusalKind.FORBIDDEN,
        "the pickup right is for terminal sg-psa, not ru-terminal",
    )
    abroad = refused(node, "ru-terminal", Op.PICKUP, container=C2, to="sg-haulier")
    assert abroad.rule == "the pickup right is for a terminal in SG, not in RU"
    unnamed = refused(node, "sg-psa", Op.PICKUP, container=C2)
    assert (unnamed.kind, unnamed.rule) == (
        RefusalKind.INVALID,
        "PICKUP needs to (the holder presenting itself at the gate)",
    )
    not_a_terminal = refused(
        node, "cn-cosco", Op.RELEASE, doc=ebl, containers=[C1], to="sg-haulier",
        expires=later(node), terminal="sg-haulier",
    )  # fmt: skip
    assert not_a_terminal.rule in (
        f"container {C1} is already released",  # the live right is checked per container
        "sg-haulier does not hold the terminal role",
    )
    node.pickup(C1, "sg-psa", by="sg-haulier")
    node.pickup(C2, "sg-psa", by="sg-haulier")


# --- finding 9 -----------------------------------------------------------------------------


def test_9_a_foreign_link_stays_out_of_the_linked_documents_provenance(node: Node) -> None:
    sg_doc, ru_doc = digest(901), digest(902)
    node.submit("sg-chamber", Op.ISSUE, doc=sg_doc, kind=CO, country="SG", containers=[C1])
    node.submit(
        "ru-mallory", Op.ISSUE, doc=ru_doc, kind=CO, country="RU", links=[sg_doc], containers=[C1]
    )
    assert node.ledger.links(sg_doc) == []
    assert [(e.op, e.actor) for e in node.ledger.trace(sg_doc)] == [("ISSUE", "sg-chamber")]
    assert node.ledger.links(ru_doc) == [sg_doc]
    assert [e.actor for e in node.ledger.trace(ru_doc)] == ["sg-chamber", "ru-mallory"]
    # A container look-up is a search: each record there is its issuer's claim.
    assert node.ledger.documents_for_container(C1) == sorted([sg_doc, ru_doc])
    # Within one country, a link shows from both sides.
    cn_doc = digest(903)
    node.submit("sg-chamber", Op.ISSUE, doc=cn_doc, kind=CO, country="SG", links=[sg_doc])
    assert node.ledger.links(sg_doc) == [cn_doc]


# --- finding 10 ----------------------------------------------------------------------------


def test_10_every_refusal_reads_the_same_from_the_rules_and_from_the_contract(
    node: Node, engine: str
) -> None:
    """Each refusal, with its exact text, on every engine; on the EVM engine the contract's
    own error for the same call (the chaincode's check skipped) decodes to the same text."""
    ebl = surrendered(node)
    pending = node.issue(EBL, ebl_document("COSU6401873180"), "cn-cosco").document.digest
    node.submit(
        "cn-cosco", Op.RELEASE, doc=ebl, containers=[C1], to="sg-haulier", expires=later(node)
    )
    node.submit("cn-gacc", Op.ISSUE, doc=digest(1001), kind=CO, country="CN")
    f = _contract(node).functions if engine == "evm" else None
    k = _number(node, "cn-cosco") if engine == "evm" else 0
    cases: list[tuple[str, Op, dict[str, Any], RefusalKind, str, Callable[[], Any] | None]] = [
        (
            "cn-boc", Op.TRANSFER, {"doc": pending, "to": "sg-dbs"}, RefusalKind.CONFLICT,
            "not the current possessor (possessor: cn-exporter, state ISSUED)",
            lambda: f.transfer(doc_id_bytes(pending), k, _address(node, "sg-dbs")),
        ),
        (
            "cn-exporter", Op.TRANSFER, {"doc": pending, "to": "cn-exporter"},
            RefusalKind.INVALID, "a transfer to oneself changes nothing",
            lambda: f.transfer(doc_id_bytes(pending), k, _address(node, "cn-exporter")),
        ),
        (
            "cn-cosco", Op.RELEASE,
            {"doc": ebl, "containers": ["MSKU1234565"], "to": "sg-haulier", "expires": later(node)},
            RefusalKind.INVALID, "container MSKU1234565 is not on this eBL",
            lambda: f.release(
                doc_id_bytes(ebl), k, [container_bytes(C1), container_bytes(C2)],
                [container_bytes("MSKU1234565")], _address(node, "sg-haulier"),
                int(later(node).timestamp()), NOBODY, b"\0\0",
            ),
        ),
        (
            "cn-cosco", Op.RELEASE,
            {"doc": ebl, "containers": [C2], "to": "sg-haulier", "expires": node.clock()},
            RefusalKind.INVALID, "a pickup right must expire after its release",
            lambda: f.release(
                doc_id_bytes(ebl), k, [container_bytes(C1), container_bytes(C2)],
                [container_bytes(C2)], _address(node, "sg-haulier"), 1, NOBODY, b"\0\0",
            ),
        ),
        (
            "cn-cosco", Op.RELEASE,
            {"doc": pending, "containers": [C2], "to": "sg-haulier", "expires": later(node)},
            RefusalKind.CONFLICT,
            "containers are released only after surrender for delivery is accepted "
            "(state ISSUED)",
            lambda: f.release(
                doc_id_bytes(pending), k, [container_bytes(C1), container_bytes(C2)],
                [container_bytes(C2)], _address(node, "sg-haulier"),
                int(later(node).timestamp()), NOBODY, b"\0\0",
            ),
        ),
        (
            "sg-psa", Op.PICKUP, {"container": C1, "to": "sg-haulier", "doc": pending},
            RefusalKind.INVALID, f"container {C1} was released under another eBL",
            lambda: f.pickup(
                container_bytes(C1), doc_id_bytes(pending), _address(node, "sg-haulier")
            ),
        ),
        (
            "cn-cosco", Op.PICKUP, {"container": C1, "to": "sg-haulier"},
            RefusalKind.FORBIDDEN, "role terminal required",
            lambda: f.pickup(container_bytes(C1), bytes(32), _address(node, "sg-haulier")),
        ),
        (
            "cn-terminal", Op.PICKUP, {"container": C1, "to": "sg-haulier"},
            RefusalKind.FORBIDDEN, "the pickup right is for a terminal in SG, not in CN",
            lambda: f.pickup(container_bytes(C1), bytes(32), _address(node, "sg-haulier")),
        ),
        (
            "sg-psa", Op.PICKUP, {"container": C1, "to": "cn-boc"},
            RefusalKind.FORBIDDEN, "cn-boc does not hold the pickup right; sg-haulier does",
            lambda: f.pickup(container_bytes(C1), bytes(32), _address(node, "cn-boc")),
        ),
        (
            "cn-boc", Op.DELEGATE, {"container": C1, "to": "cn-boc"},
            RefusalKind.FORBIDDEN, "not the holder of the pickup right",
            lambda: f.delegate(container_bytes(C1), bytes(32), _address(node, "cn-boc")),
        ),
        (
            "cn-boc", Op.ACCEPT, {"doc": pending}, RefusalKind.CONFLICT,
            "no surrender is pending (state ISSUED)",
            lambda: f.accept(doc_id_bytes(pending), k),
        ),
        (
            "cn-cosco", Op.REVOKE, {"doc": ebl, "reason": "x"}, RefusalKind.INVALID,
            "an eBL is not revoked; it is surrendered for amendment and voided",
            lambda: f.revoke(doc_id_bytes(ebl), "x"),
        ),
        (
            "cn-gacc", Op.AMEND,
            {"doc": digest(1001), "newDoc": digest(1001), "reason": "x", "kind": CO,
             "country": "CN"},
            RefusalKind.INVALID, "a document cannot supersede itself",
            lambda: f.amend(doc_id_bytes(digest(1001)), doc_id_bytes(digest(1001)), b"CN", "x"),
        ),
        (
            "cn-gacc", Op.ISSUE, {"doc": digest(1002), "kind": CO, "country": "SG"},
            RefusalKind.FORBIDDEN,
            "a co issued in SG must be issued by an organisation of SG, not CN",
            lambda: f.issue(doc_id_bytes(digest(1002)), bytes([0]) + b"SG"),
        ),
        (
            "cn-cosco", Op.ISSUE, {"doc": digest(1003), "kind": CO, "country": "CN"},
            RefusalKind.FORBIDDEN, "role co_issuer required to issue co (signer holds: carrier)",
            lambda: f.issue(doc_id_bytes(digest(1003)), bytes([0]) + b"CN"),
        ),
        (
            "cn-gacc", Op.ISSUE, {"doc": digest(1001), "kind": CO, "country": "CN"},
            RefusalKind.CONFLICT, f"document {digest(1001)} is already on the ledger",
            lambda: f.issue(doc_id_bytes(digest(1001)), bytes([0]) + b"CN"),
        ),
        (
            "cn-gacc", Op.REVOKE, {"doc": digest(1004), "reason": "x"}, RefusalKind.NOT_FOUND,
            f"document {digest(1004)} is not on the ledger",
            lambda: f.revoke(doc_id_bytes(digest(1004)), "x"),
        ),
        (
            "sg-psa", Op.PICKUP, {"container": "MSKU1234565", "to": "sg-haulier"},
            RefusalKind.NOT_FOUND, "no pickup right for container MSKU1234565",
            lambda: f.pickup(
                container_bytes("MSKU1234565"), bytes(32), _address(node, "sg-haulier")
            ),
        ),
    ]  # fmt: skip
    for org, op, fields, kind, text, call in cases:
        refusal = refused(node, org, op, **fields)
        assert (refusal.kind, refusal.rule) == (kind, text), (org, op, fields)
        if engine == "evm" and call is not None:
            account = evm_home.org_account(node.home, org)
            error = node.ledger._chain.refusal(account, call())  # type: ignore[union-attr]
            tx = node.transaction(org, op, **fields).tx
            contract = decode(error, tx, node.ledger._reads.org)  # type: ignore[union-attr]
            assert (contract.kind, contract.rule) == (kind, text), (error, op)


def _contract(node: Node) -> Any:
    return node.ledger._contract  # type: ignore[union-attr]


def _address(node: Node, org: str) -> str:
    return node.ledger._reads.address(org)  # type: ignore[union-attr]


def _number(node: Node, org: str) -> int:
    return node.ledger._reads.number(org)  # type: ignore[union-attr]
