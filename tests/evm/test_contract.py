"""TradeLedger on a real anvil: governance, documents, batches, eBL control, restart."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD

from ledger.evm.chain import Chain, container_bytes, deploy_ledger, doc_id_bytes, kind_country
from ledger.evm.codes import STATE, roles_mask
from ledger.tlog import merkle
from network.bench.gas import gas_report
from network.evm.anvil import dev_accounts
from tests.evm.conftest import run_anvil

CERT = hashlib.sha256(b"organisation certificate").digest()
ACCOUNTS = dev_accounts(10)


def doc_id(label: str) -> str:
    return "sha256:" + hashlib.sha256(label.encode()).hexdigest()


def digest(label: str) -> bytes:
    return doc_id_bytes(doc_id(label))


@dataclass
class Net:
    chain: Chain
    ledger: Contract
    sg: LocalAccount  # country authorities
    cn: LocalAccount
    ru: LocalAccount
    kz: LocalAccount  # a candidate country's authority
    carrier: LocalAccount  # SG: carrier, co_issuer, quarantine
    alice: LocalAccount  # SG shipper
    bob: LocalAccount  # CN consignee
    terminal: LocalAccount  # CN terminal
    cn_issuer: LocalAccount  # CN co_issuer, quarantine
    stranger: LocalAccount  # registered nowhere

    @property
    def f(self) -> Any:
        return self.ledger.functions

    def refused(self, who: LocalAccount, call: Any) -> tuple[str | None, tuple[Any, ...]]:
        failure = self.chain.refusal(who, call)
        return failure.error, failure.error_args

    def state(self, doc: bytes) -> str | None:
        return STATE[self.f.document(doc).call()[0]]


@pytest.fixture
def net(anvil: str) -> Net:
    chain = Chain.connect(anvil)
    sg, cn, ru, kz, carrier, alice, bob, terminal, cn_issuer, stranger = ACCOUNTS
    ledger = deploy_ledger(chain, sg, ["SG", "CN", "RU"], [sg.address, cn.address, ru.address])
    f = ledger.functions
    chain.send(
        sg,
        f.registerOrganisation(
            carrier.address, roles_mask("carrier", "co_issuer", "quarantine"), CERT
        ),
    )
    chain.send(sg, f.registerOrganisation(alice.address, roles_mask("shipper"), CERT))
    chain.send(cn, f.registerOrganisation(bob.address, roles_mask("consignee"), CERT))
    chain.send(cn, f.registerOrganisation(terminal.address, roles_mask("terminal"), CERT))
    chain.send(
        cn, f.registerOrganisation(cn_issuer.address, roles_mask("co_issuer", "quarantine"), CERT)
    )
    return Net(chain, ledger, sg, cn, ru, kz, carrier, alice, bob, terminal, cn_issuer, stranger)


# --- governance -------------------------------------------------------------------------------


def test_a_country_is_admitted_by_two_thirds_of_the_members(net: Net) -> None:
    f = net.f
    assert f.memberCount().call() == 3
    assert net.refused(net.stranger, f.voteAdmission(b"KZ", net.kz.address)) == (
        "NotCountryAuthority",
        (net.stranger.address,),
    )
    net.chain.send(net.sg, f.voteAdmission(b"KZ", net.kz.address))
    assert f.countryAuthority(b"KZ").call() == "0x" + "0" * 40  # 1 of 3: not yet
    assert net.refused(net.sg, f.voteAdmission(b"KZ", net.kz.address))[0] == "AlreadyVoted"
    receipt = net.chain.send(net.cn, f.voteAdmission(b"KZ", net.kz.address))  # 2 of 3
    admitted = net.ledger.events.CountryAdmitted().process_receipt(receipt, errors=DISCARD)
    assert admitted[0]["args"]["country"] == b"KZ"
    assert f.countryAuthority(b"KZ").call() == net.kz.address
    assert f.memberCount().call() == 4
    assert net.refused(net.ru, f.voteAdmission(b"KZ", net.kz.address)) == (
        "CountryAlreadyMember",
        (b"KZ",),
    )
    # With 4 members, 2 votes are not enough (2 * 3 < 4 * 2); 3 are.
    net.chain.send(net.sg, f.voteAdmission(b"UZ", net.stranger.address))
    net.chain.send(net.cn, f.voteAdmission(b"UZ", net.stranger.address))
    assert f.memberCount().call() == 4
    net.chain.send(net.kz, f.voteAdmission(b"UZ", net.stranger.address))
    assert f.memberCount().call() == 5
    assert net.refused(net.sg, f.voteAdmission(b"s1", net.terminal.address))[0] == "InvalidCountry"


def test_a_country_registers_only_its_own_organisations(net: Net) -> None:
    f = net.f
    assert f.organisation(net.carrier.address).call()[1:] == [
        roles_mask("carrier", "co_issuer", "quarantine"),
        b"SG",
    ]
    assert f.certificateOf(net.carrier.address).call() == CERT
    # CN may not re-register (or re-role) an SG organisation.
    assert net.refused(
        net.cn, f.registerOrganisation(net.carrier.address, roles_mask("bank"), CERT)
    ) == (
        "NotYourOrganisation",
        (b"SG",),
    )
    assert net.refused(net.alice, f.registerOrganisation(net.stranger.address, 1, CERT)) == (
        "NotCountryAuthority",
        (net.alice.address,),
    )
    assert net.refused(net.sg, f.registerOrganisation(net.stranger.address, 1 << 11, CERT)) == (
        "InvalidRoles",
        (1 << 11,),
    )
    assert net.refused(net.sg, f.registerOrganisation(net.stranger.address, 1, bytes(32)))[0] == (
        "CertificateRequired"
    )
    # Its own country may rebind the certificate and change the roles; the number stays.
    new_cert = hashlib.sha256(b"renewed").digest()
    before = f.organisation(net.alice.address).call()[0]
    net.chain.send(net.sg, f.registerOrganisation(net.alice.address, roles_mask("bank"), new_cert))
    assert f.organisation(net.alice.address).call() == [before, roles_mask("bank"), b"SG"]
    assert f.certificateOf(net.alice.address).call() == new_cert


# --- documents --------------------------------------------------------------------------------


def test_issue_amend_revoke_follow_role_country_and_state_rules(net: Net) -> None:
    f, chain = net.f, net.chain
    co, co2, phyto = digest("co-1"), digest("co-2"), digest("phyto-1")
    # Role: a shipper does not issue certificates of origin (co_issuer = bit 2).
    assert net.refused(net.alice, f.issue(co, kind_country("co", "SG"))) == ("RoleRequired", (4,))
    assert net.refused(net.stranger, f.issue(co, kind_country("co", "SG"))) == (
        "UnknownOrganisation",
        (net.stranger.address,),
    )
    # Country: a CO issued in SG is issued by an SG organisation.
    assert net.refused(net.cn_issuer, f.issue(co, kind_country("co", "SG"))) == (
        "WrongCountry",
        (b"SG", b"CN"),
    )
    assert (
        net.refused(net.carrier, f.issue(co, kind_country("ebl", "SG")))[0] == "EblNeedsEblFunction"
    )
    assert net.refused(net.carrier, f.issue(co, bytes([9]) + b"SG")) == ("InvalidKind", (9,))

    receipt = chain.send(net.carrier, f.issue(co, kind_country("co", "SG")))
    (log,) = receipt["logs"]
    assert log["topics"] == []  # Issued is the only anonymous event
    doc, record = abi_decode(["bytes32", "uint256"], bytes(log["data"]))
    assert doc == co
    assert record & (2**160 - 1) == int(net.carrier.address, 16)
    assert (record >> 160) & 0xFF == 0
    assert (record >> 176) & 0xFFFF == int.from_bytes(b"SG", "big")
    state, kind, issuer, country = f.document(co).call()[:4]
    assert (STATE[state], kind, issuer, country) == ("ISSUED", 0, net.carrier.address, b"SG")
    assert net.refused(net.carrier, f.issue(co, kind_country("co", "SG"))) == (
        "AlreadyOnLedger",
        (co,),
    )
    # A document naming no country may be issued by any co_issuer.
    chain.send(net.cn_issuer, f.issue(digest("co-nowhere"), kind_country("co", None)))

    # Amend: same rules, on the old document's country.
    assert net.refused(net.cn_issuer, f.amend(co, co2, b"SG", "typo")) == (
        "WrongCountry",
        (b"SG", b"CN"),
    )
    assert net.refused(net.alice, f.amend(co, co2, b"SG", "typo")) == ("RoleRequired", (4,))
    assert net.refused(net.carrier, f.amend(co, co2, b"SG", ""))[0] == "ReasonRequired"
    assert net.refused(net.carrier, f.amend(co, co2, b"CN", "typo")) == (
        "CountryMismatch",
        (b"SG",),
    )
    assert net.refused(net.carrier, f.replace(co, co2, b"SG", "x")) == ("OnlyPhytoReplaced", (0,))
    chain.send(net.carrier, f.amend(co, co2, b"SG", "typo"))
    assert net.state(co) == "AMENDED"
    assert net.state(co2) == "ISSUED"
    assert (
        net.refused(net.carrier, f.amend(co, digest("co-3"), b"SG", "again"))[0] == "AlreadyAmended"
    )
    assert net.refused(net.carrier, f.revoke(co, "withdrawn"))[0] == "AlreadyAmended"

    # Revoke.
    assert net.refused(net.cn_issuer, f.revoke(co2, "withdrawn"))[0] == "WrongCountry"
    assert net.refused(net.carrier, f.revoke(digest("nothing"), "x")) == (
        "NotOnLedger",
        (digest("nothing"),),
    )
    chain.send(net.carrier, f.revoke(co2, "withdrawn"))
    assert net.state(co2) == "REVOKED"
    assert net.refused(net.carrier, f.revoke(co2, "again"))[0] == "AlreadyRevoked"

    # Replace: quarantine certificates only.
    chain.send(net.carrier, f.issue(phyto, kind_country("phyto", "SG")))
    chain.send(net.carrier, f.replace(phyto, digest("phyto-2"), b"SG", "damaged"))
    assert net.state(phyto) == "REPLACED"


# --- batches ----------------------------------------------------------------------------------


def test_leaf_hash_and_inclusion_match_ledger_merkle(net: Net) -> None:
    f = net.f
    ids = [doc_id(f"leaf-{i}") for i in range(9)]
    assert f.leafHash(doc_id_bytes(ids[0])).call() == merkle.leaf_hash(ids[0].encode())
    for size in (1, 2, 3, 5, 8, 9):
        store = merkle.MemoryNodeStore()
        for d in ids[:size]:
            store.append(merkle.leaf_hash(d.encode()))
        root = merkle.root_of_batch([d.encode() for d in ids[:size]])
        for index in range(size):
            proof = merkle.inclusion_proof(store, index, size)
            leaf = merkle.leaf_hash(ids[index].encode())
            assert f.verifyInclusion(leaf, index, size, proof, root).call(), (size, index)
            if size > 1:
                assert not f.verifyInclusion(leaf, (index + 1) % size, size, proof, root).call()
        assert not f.verifyInclusion(leaf, size, size, [], root).call()


def test_batch_documents_are_provable_and_revocable_one_by_one(net: Net) -> None:
    f, chain = net.f, net.chain
    ids = [doc_id(f"batch-{i}") for i in range(7)]
    root = merkle.root_of_batch([d.encode() for d in ids])
    store = merkle.MemoryNodeStore()
    for d in ids:
        store.append(merkle.leaf_hash(d.encode()))
    proofs = [merkle.inclusion_proof(store, i, len(ids)) for i in range(len(ids))]

    assert net.refused(net.alice, f.anchorBatch(root, 0, b"SG", 7)) == ("RoleRequired", (4,))
    assert net.refused(net.carrier, f.anchorBatch(root, 1, b"SG", 7))[0] == "EblNotBatchable"
    assert net.refused(net.carrier, f.anchorBatch(root, 0, b"SG", 0))[0] == "EmptyBatch"
    chain.send(net.carrier, f.anchorBatch(root, 0, b"SG", 7))
    assert f.batch(root).call()[4] == 7
    assert net.refused(net.carrier, f.anchorBatch(root, 0, b"SG", 7)) == ("BatchExists", (root,))
    for i, d in enumerate(ids):
        assert STATE[f.batchDocumentState(doc_id_bytes(d), root, i, proofs[i]).call()] == "ISSUED"
    assert f.batchDocumentState(digest("outsider"), root, 0, proofs[0]).call() == 0

    target = doc_id_bytes(ids[3])
    assert (
        net.refused(net.carrier, f.revokeInBatch(target, "x", root, 2, proofs[3]))[0]
        == "InvalidProof"
    )
    assert (
        net.refused(net.cn_issuer, f.revokeInBatch(target, "x", root, 3, proofs[3]))[0]
        == "WrongCountry"
    )
    assert net.refused(net.carrier, f.revokeInBatch(target, "x", digest("no"), 3, proofs[3]))[
        0
    ] == ("UnknownBatch")
    chain.send(net.carrier, f.revokeInBatch(target, "withdrawn", root, 3, proofs[3]))
    assert STATE[f.batchDocumentState(target, root, 3, proofs[3]).call()] == "REVOKED"
    assert STATE[f.batchDocumentState(doc_id_bytes(ids[4]), root, 4, proofs[4]).call()] == "ISSUED"
    assert net.refused(net.carrier, f.revokeInBatch(target, "again", root, 3, proofs[3]))[0] == (
        "AlreadyRevoked"
    )
    # A batch document can also be amended on its own.
    chain.send(
        net.carrier,
        f.supersedeInBatch(
            doc_id_bytes(ids[5]), digest("batch-5b"), b"SG", "fix", False, root, 5, proofs[5]
        ),
    )
    assert net.state(doc_id_bytes(ids[5])) == "AMENDED"
    assert net.state(digest("batch-5b")) == "ISSUED"


# --- eBL control ------------------------------------------------------------------------------

C1, C2 = container_bytes("MSCU1234566"), container_bytes("TGHU1234560")


def _issued_ebl(net: Net, label: str, to_order: bool = True) -> bytes:
    ebl = digest(label)
    net.chain.send(net.carrier, net.f.issueEbl(ebl, b"SG", net.alice.address, to_order, [C1, C2]))
    return ebl


def _controller(net: Net, ebl: bytes) -> str:
    return str(net.f.document(ebl).call()[5])


def test_ebl_life_cycle_with_one_controller_at_a_time(net: Net) -> None:
    f, chain = net.f, net.chain
    ebl = digest("ebl-1")
    assert net.refused(net.alice, f.issueEbl(ebl, b"SG", net.bob.address, False, [C1])) == (
        "RoleRequired",
        (8,),
    )
    assert net.refused(net.carrier, f.issueEbl(ebl, b"SG", net.stranger.address, False, [C1])) == (
        "UnknownOrganisation",
        (net.stranger.address,),
    )
    chain.send(net.carrier, f.issueEbl(ebl, b"SG", net.alice.address, True, [C1, C2]))
    assert _controller(net, ebl) == net.alice.address

    # Only the possessor transfers; the refusal names who controls it now.
    assert net.refused(net.bob, f.transfer(ebl, net.bob.address)) == (
        "NotPossessor",
        (net.alice.address,),
    )
    assert net.refused(net.alice, f.transfer(ebl, net.alice.address))[0] == "SelfTransfer"
    chain.send(net.alice, f.transfer(ebl, net.bob.address))
    assert _controller(net, ebl) == net.bob.address
    assert net.refused(net.alice, f.transfer(ebl, net.carrier.address)) == (
        "NotPossessor",
        (net.bob.address,),
    )
    chain.send(net.bob, f.endorse(ebl, net.alice.address))
    assert f.document(ebl).call()[7] == net.alice.address  # endorsee

    # Surrender for delivery: the carrier controls it while pending.
    chain.send(net.alice, f.surrender(ebl, False))
    assert _controller(net, ebl) == net.carrier.address
    assert f.document(ebl).call()[6] == net.alice.address  # surrendered by
    assert net.refused(net.alice, f.transfer(ebl, net.bob.address)) == ("SurrenderPending", (5,))
    assert net.refused(net.bob, f.accept(ebl)) == ("NotCarrier", (net.carrier.address,))
    chain.send(net.carrier, f.accept(ebl))
    assert net.state(ebl) == "SURRENDERED_FOR_DELIVERY"
    assert net.refused(net.alice, f.surrender(ebl, False)) == ("AlreadySurrendered", (7,))
    assert net.refused(net.carrier, f.accept(ebl)) == ("NoSurrenderPending", (7,))

    # Release with pickup rights, delegate, pick up once.
    block = chain.w3.eth.get_block("latest")
    expires = int(block["timestamp"]) + 3600
    rel = f.release(ebl, [C1, C2], [C1, C2], net.bob.address, expires)
    assert net.refused(net.bob, rel) == ("NotCarrier", (net.carrier.address,))
    bad = container_bytes("ABCU0000000")
    assert net.refused(net.carrier, f.release(ebl, [C1, C2], [bad], net.bob.address, expires)) == (
        "ContainerNotOnEbl",
        (bad,),
    )
    assert net.refused(net.carrier, f.release(ebl, [C1], [C1], net.bob.address, expires))[0] == (
        "ContainerListMismatch"
    )
    chain.send(net.carrier, rel)
    assert net.refused(net.carrier, rel) == ("AlreadyReleased", (C1,))
    assert f.pickupRight(C1).call()[:2] == [ebl, net.bob.address]
    assert net.refused(net.alice, f.delegate(C1, ebl, net.alice.address)) == (
        "NotRightHolder",
        (net.bob.address,),
    )
    chain.send(net.bob, f.delegate(C1, ebl, net.alice.address))
    assert net.refused(net.bob, f.pickup(C1, ebl, net.alice.address)) == ("RoleRequired", (256,))
    assert net.refused(net.terminal, f.pickup(C1, ebl, net.bob.address)) == (
        "NotRightHolder",
        (net.alice.address,),
    )
    assert (
        net.refused(net.terminal, f.pickup(C1, digest("other"), bytes(20)))[0]
        == "ReleasedUnderOtherEbl"
    )
    chain.send(net.terminal, f.pickup(C1, ebl, net.alice.address))
    assert net.refused(net.terminal, f.pickup(C1, ebl, net.alice.address))[0] == "AlreadyPickedUp"

    # The other container's right expires unused.
    chain.w3.provider.make_request("evm_increaseTime", [3601])
    chain.w3.provider.make_request("evm_mine", [])
    assert net.refused(net.terminal, f.pickup(C2, ebl, net.bob.address)) == (
        "RightExpired",
        (expires,),
    )


def test_rejected_surrender_returns_control_and_amendment_voids(net: Net) -> None:
    f, chain = net.f, net.chain
    ebl = _issued_ebl(net, "ebl-2", to_order=False)
    assert net.refused(net.alice, f.endorse(ebl, net.bob.address))[0] == "NotToOrder"
    chain.send(net.alice, f.transfer(ebl, net.bob.address))
    chain.send(net.bob, f.surrender(ebl, True))
    assert net.refused(net.carrier, f.reject(ebl, ""))[0] == "ReasonRequired"
    chain.send(net.carrier, f.reject(ebl, "wrong holder chain"))
    assert net.state(ebl) == "ISSUED"
    assert _controller(net, ebl) == net.bob.address

    chain.send(net.bob, f.surrender(ebl, True))
    new = digest("ebl-2b")
    amend = f.amendEbl(ebl, new, b"SG", True, [C1], "port change")
    assert net.refused(net.carrier, amend) == ("NotSurrenderedForAmendment", (6,))
    chain.send(net.carrier, f.accept(ebl))
    assert net.refused(net.bob, amend) == ("NotCarrier", (net.carrier.address,))
    assert net.refused(net.carrier, f.release(ebl, [C1, C2], [C1], net.bob.address, 2**40)) == (
        "NotSurrenderedForDelivery",
        (8,),
    )
    chain.send(net.carrier, amend)
    assert net.state(ebl) == "VOIDED"
    assert net.state(new) == "ISSUED"
    assert _controller(net, new) == net.bob.address  # back to who surrendered it
    assert net.refused(net.bob, f.transfer(ebl, net.alice.address))[0] == "Voided"


def test_revoke_refuses_an_ebl(net: Net) -> None:
    ebl = _issued_ebl(net, "ebl-3")
    assert net.refused(net.carrier, net.f.revoke(ebl, "no"))[0] == "EblNotRevocable"
    assert (
        net.refused(net.carrier, net.f.transfer(digest("co-x"), net.bob.address))[0]
        == "NotOnLedger"
    )


# --- persistence ------------------------------------------------------------------------------


def test_state_survives_an_anvil_restart(tmp_path: Path) -> None:
    state = tmp_path / "anvil-state.json"
    sg, carrier = ACCOUNTS[0], ACCOUNTS[4]
    co = digest("persisted")
    with run_anvil(tmp_path / "anvil.log", state=state) as url:
        chain = Chain.connect(url)
        ledger = deploy_ledger(chain, sg, ["SG"], [sg.address])
        chain.send(
            sg,
            ledger.functions.registerOrganisation(carrier.address, roles_mask("co_issuer"), CERT),
        )
        chain.send(carrier, ledger.functions.issue(co, kind_country("co", "SG")))
        address, height = ledger.address, chain.w3.eth.block_number
    assert state.is_file()
    with run_anvil(tmp_path / "anvil.log", state=state) as url:
        chain = Chain.connect(url)
        assert chain.w3.eth.block_number >= height
        ledger = chain.w3.eth.contract(address=address, abi=ledger.abi)
        assert STATE[ledger.functions.document(co).call()[0]] == "ISSUED"
        chain.learn_errors(ledger.abi)
        failure = chain.refusal(carrier, ledger.functions.issue(co, kind_country("co", "SG")))
        assert failure.error == "AlreadyOnLedger"


# --- gas --------------------------------------------------------------------------------------


def test_gas_report_meets_every_target_against_tradetrust(anvil: str) -> None:
    lines: list[str] = []
    report = gas_report(anvil, lines.append, batch_size=1000, pipelined=20)
    assert lines, "the report shows progress"
    failed = {name: t for name, t in report["targets"].items() if not t["pass"]}
    assert not failed, failed
    assert report["gas"]["ours"]["issue"] <= report["gas"]["tradetrust"]["DocumentStore.issue"]
    assert report["pipelined_anchors"]["transactions"] == 20
    json.dumps(report)  # JSON-able
