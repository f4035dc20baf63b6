"""TradeLedger on a real anvil: governance, documents, batches, eBL control, restart."""

from __future__ import annotations

import datetime
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

from ledger.evm.chain import (
    Chain,
    consent,
    container_bytes,
    deploy_ledger,
    doc_id_bytes,
    kind_country,
    registration_digest,
    rotation_digest,
)
from ledger.evm.codes import STATE, roles_mask
from ledger.tlog import merkle
from network.bench.gas import gas_report
from network.evm.anvil import dev_accounts
from tests.evm.conftest import run_anvil

CERT = hashlib.sha256(b"organisation certificate").digest()
ACCOUNTS = dev_accounts(11)


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

    def no(self, who: LocalAccount) -> int:
        """The organisation's number in the contract (which keys its records)."""
        return int(self.f.organisation(who.address).call()[0])

    def state(self, doc: bytes, issuer: LocalAccount | None = None) -> str | None:
        return STATE[self.f.document(doc, self.no(issuer or self.carrier)).call()[0]]

    def record(self, doc: bytes, issuer: LocalAccount | None = None) -> list[Any]:
        return list(self.f.document(doc, self.no(issuer or self.carrier)).call())

    def register(
        self, authority: LocalAccount, account: LocalAccount, roles: int, country: str
    ) -> Any:
        return self.chain.send(authority, self.registration(account, roles, country, account))

    def registration(
        self, account: LocalAccount, roles: int, country: str, signer: LocalAccount, cert=CERT
    ) -> Any:
        digest = registration_digest(
            self.chain.chain_id, self.ledger.address, account.address, country, cert
        )
        return self.f.registerOrganisation(account.address, roles, cert, consent(signer, digest))


@pytest.fixture
def net(anvil: str) -> Net:
    chain = Chain.connect(anvil)
    sg, cn, ru, kz, carrier, alice, bob, terminal, cn_issuer, stranger = ACCOUNTS[:10]
    ledger = deploy_ledger(chain, sg, ["SG", "CN", "RU"], [sg.address, cn.address, ru.address])
    net = Net(chain, ledger, sg, cn, ru, kz, carrier, alice, bob, terminal, cn_issuer, stranger)
    net.register(sg, carrier, roles_mask("carrier", "co_issuer", "quarantine"), "SG")
    net.register(sg, alice, roles_mask("shipper"), "SG")
    net.register(cn, bob, roles_mask("consignee"), "CN")
    net.register(cn, terminal, roles_mask("terminal"), "CN")
    net.register(cn, cn_issuer, roles_mask("co_issuer", "quarantine"), "CN")
    return net


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


def test_a_country_registers_only_its_own_organisations_with_their_consent(net: Net) -> None:
    f = net.f
    assert f.organisation(net.carrier.address).call()[1:] == [
        roles_mask("carrier", "co_issuer", "quarantine"),
        b"SG",
    ]
    assert f.certificateOf(net.carrier.address).call() == CERT
    # CN may not re-register (or re-role) an SG organisation.
    assert net.refused(net.cn, net.registration(net.carrier, 64, "CN", net.carrier)) == (
        "NotYourOrganisation",
        (b"SG",),
    )
    assert net.refused(net.alice, net.registration(net.stranger, 1, "SG", net.stranger)) == (
        "NotCountryAuthority",
        (net.alice.address,),
    )
    assert net.refused(net.sg, net.registration(net.stranger, 1 << 11, "SG", net.stranger)) == (
        "InvalidRoles",
        (1 << 11,),
    )
    no_cert = net.registration(net.stranger, 1, "SG", net.stranger, cert=bytes(32))
    assert net.refused(net.sg, no_cert)[0] == "CertificateRequired"
    # Finding 6: an account is registered only with its own signed consent, for that country.
    for authority, country, signer in (
        (net.ru, "RU", net.ru),  # RU signs for SG's authority account itself: no
        (net.ru, "RU", net.stranger),  # someone else's key: no
        (net.ru, "SG", net.sg),  # consent to SG, presented by RU: no
    ):
        claim = net.registration(net.sg, 64, country, signer)
        assert net.refused(authority, claim) == ("ConsentRequired", (net.sg.address,))
    assert f.organisation(net.sg.address).call()[0] == 0
    assert net.refused(net.sg, f.registerOrganisation(net.stranger.address, 1, CERT, b""))[0] == (
        "ConsentRequired"
    )
    # Its own country may rebind the certificate and change the roles; the number stays.
    new_cert = hashlib.sha256(b"renewed").digest()
    before = f.organisation(net.alice.address).call()[0]
    net.chain.send(
        net.sg, f.registerOrganisation(net.alice.address, roles_mask("bank"), new_cert, b"")
    )
    assert f.organisation(net.alice.address).call() == [before, roles_mask("bank"), b"SG"]
    assert f.certificateOf(net.alice.address).call() == new_cert


def test_removal_and_key_rotation_need_two_thirds_of_the_members(net: Net) -> None:
    f, chain = net.f, net.chain
    number = net.no(net.carrier)
    co = digest("rotated-co")
    chain.send(net.carrier, f.issue(co, kind_country("co", "SG")))
    # Rotation: the new account consents; two of three members carry it.
    fresh = ACCOUNTS[10]  # beyond anvil's ten funded accounts: funded here
    chain.w3.provider.make_request("anvil_setBalance", [fresh.address, hex(10**18)])
    new_cert = hashlib.sha256(b"new ledger certificate").digest()
    digest_ = rotation_digest(
        chain.chain_id, net.ledger.address, net.carrier.address, fresh.address, new_cert
    )
    bad = f.voteRotation(
        net.carrier.address, fresh.address, new_cert, consent(net.carrier, digest_)
    )
    assert net.refused(net.sg, bad) == ("ConsentRequired", (fresh.address,))
    rotate = f.voteRotation(net.carrier.address, fresh.address, new_cert, consent(fresh, digest_))
    assert net.refused(net.alice, rotate)[0] == "NotCountryAuthority"
    chain.send(net.sg, rotate)
    assert net.refused(net.sg, rotate)[0] == "AlreadyVoted"
    assert f.organisation(fresh.address).call()[0] == 0  # 1 of 3: not yet
    chain.send(net.ru, rotate)
    assert f.organisation(fresh.address).call()[0] == number
    assert f.organisation(net.carrier.address).call()[0] == 0
    # The organisation keeps its records: the new key revokes what the old one issued.
    assert net.refused(net.carrier, f.revoke(co, "x"))[0] == "UnknownOrganisation"
    chain.send(fresh, f.revoke(co, "withdrawn"))
    assert STATE[f.document(co, number).call()[0]] == "REVOKED"
    # The old account is retired: nobody registers it again.
    again = net.registration(net.carrier, 8, "SG", net.carrier)
    assert net.refused(net.sg, again) == ("AccountRetired", (net.carrier.address,))
    # Removal, by two thirds.
    chain.send(net.cn, f.voteRemoval(net.alice.address))
    assert f.organisation(net.alice.address).call()[0] != 0
    chain.send(net.ru, f.voteRemoval(net.alice.address))
    assert f.organisation(net.alice.address).call()[0] == 0
    assert net.refused(net.sg, f.voteRemoval(net.alice.address))[0] == "UnknownOrganisation"
    # A country's own authority key, rotated by two thirds.
    chain.send(net.sg, f.voteAuthority(b"RU", net.kz.address))
    chain.send(net.cn, f.voteAuthority(b"RU", net.kz.address))
    assert f.countryAuthority(b"RU").call() == net.kz.address
    assert net.refused(net.ru, f.voteRemoval(net.bob.address))[0] == "NotCountryAuthority"


# --- documents --------------------------------------------------------------------------------


def test_issue_amend_revoke_follow_role_country_and_state_rules(net: Net) -> None:
    f, chain = net.f, net.chain
    co, co2, phyto = digest("co-1"), digest("co-2"), digest("phyto-1")
    shipper = roles_mask("shipper")
    # Role: a shipper does not issue certificates of origin (co_issuer = bit 2, kind 0).
    assert net.refused(net.alice, f.issue(co, kind_country("co", "SG"))) == (
        "RoleRequired",
        (4, shipper, 0),
    )
    assert net.refused(net.stranger, f.issue(co, kind_country("co", "SG"))) == (
        "UnknownOrganisation",
        (net.stranger.address,),
    )
    # Country: a CO issued in SG is issued by an SG organisation.
    assert net.refused(net.cn_issuer, f.issue(co, kind_country("co", "SG"))) == (
        "WrongCountry",
        (b"SG", b"CN", 0),
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
    state, kind, issuer, country = net.record(co)[:4]
    assert (STATE[state], kind, issuer, country) == ("ISSUED", 0, net.carrier.address, b"SG")
    assert net.refused(net.carrier, f.issue(co, kind_country("co", "SG"))) == (
        "AlreadyOnLedger",
        (co,),
    )
    # A document naming no country may be issued by any co_issuer.
    chain.send(net.cn_issuer, f.issue(digest("co-nowhere"), kind_country("co", None)))

    # Amend: only the issuer of record changes its document (others have no record of it).
    assert net.refused(net.cn_issuer, f.amend(co, co2, b"SG", "typo")) == ("NotOnLedger", (co,))
    assert net.refused(net.alice, f.amend(co, co2, b"SG", "typo")) == ("NotOnLedger", (co,))
    assert net.refused(net.carrier, f.amend(co, co2, b"SG", ""))[0] == "ReasonRequired"
    assert net.refused(net.carrier, f.amend(co, co, b"SG", "itself"))[0] == "SupersedeItself"
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
    assert net.refused(net.cn_issuer, f.revoke(co2, "withdrawn"))[0] == "NotOnLedger"
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


def test_each_issuer_anchors_in_its_own_namespace(net: Net) -> None:
    """Finding 7: a front-runner's issue of the same digest is its own record, never the
    issuer of record of the other's; the other's issue still goes through."""
    f, chain = net.f, net.chain
    co = digest("front-run")
    chain.send(net.cn_issuer, f.issue(co, kind_country("co", None)))  # mined first
    chain.send(net.carrier, f.issue(co, kind_country("co", "SG")))
    assert net.record(co, net.carrier)[2] == net.carrier.address
    assert net.record(co, net.cn_issuer)[2] == net.cn_issuer.address
    chain.send(net.cn_issuer, f.revoke(co, "mine"))
    assert net.state(co, net.carrier) == "ISSUED"
    assert net.state(co, net.cn_issuer) == "REVOKED"


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


def _batch(labels: list[str]) -> tuple[list[str], bytes, list[list[bytes]]]:
    ids = [doc_id(label) for label in labels]
    root = merkle.root_of_batch([d.encode() for d in ids])
    store = merkle.MemoryNodeStore()
    for d in ids:
        store.append(merkle.leaf_hash(d.encode()))
    return ids, root, [merkle.inclusion_proof(store, i, len(ids)) for i in range(len(ids))]


def test_batch_documents_are_provable_and_revocable_one_by_one(net: Net) -> None:
    f, chain = net.f, net.chain
    ids, root, proofs = _batch([f"batch-{i}" for i in range(7)])
    me = net.no(net.carrier)

    assert net.refused(net.alice, f.anchorBatch(root, 0, b"SG", 7))[0] == "RoleRequired"
    assert net.refused(net.carrier, f.anchorBatch(root, 1, b"SG", 7))[0] == "EblNotBatchable"
    assert net.refused(net.carrier, f.anchorBatch(root, 0, b"SG", 0))[0] == "EmptyBatch"
    chain.send(net.carrier, f.anchorBatch(root, 0, b"SG", 7))
    assert f.batch(root, me).call()[4] == 7
    assert net.refused(net.carrier, f.anchorBatch(root, 0, b"SG", 7)) == ("BatchExists", (root,))
    for i, d in enumerate(ids):
        state = f.batchDocumentState(doc_id_bytes(d), root, me, i, proofs[i]).call()
        assert STATE[state] == "ISSUED"
    assert f.batchDocumentState(digest("outsider"), root, me, 0, proofs[0]).call() == 0

    target = doc_id_bytes(ids[3])
    assert (
        net.refused(net.carrier, f.revokeInBatch(target, "x", root, 2, proofs[3]))[0]
        == "InvalidProof"
    )
    # Another organisation has no batch of that root: its own is looked up, and is not there.
    assert net.refused(net.cn_issuer, f.revokeInBatch(target, "x", root, 3, proofs[3])) == (
        "UnknownBatch",
        (root,),
    )
    assert net.refused(net.carrier, f.revokeInBatch(target, "x", digest("no"), 3, proofs[3]))[
        0
    ] == ("UnknownBatch")
    chain.send(net.carrier, f.revokeInBatch(target, "withdrawn", root, 3, proofs[3]))
    assert STATE[f.batchDocumentState(target, root, me, 3, proofs[3]).call()] == "REVOKED"
    state = f.batchDocumentState(doc_id_bytes(ids[4]), root, me, 4, proofs[4]).call()
    assert STATE[state] == "ISSUED"
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
    assert STATE[f.batchDocumentState(doc_id_bytes(ids[5]), root, me, 5, proofs[5]).call()] == (
        "AMENDED"
    )
    assert net.state(digest("batch-5b")) == "ISSUED"


def test_a_batch_member_cannot_be_taken_over(net: Net) -> None:
    """Finding 1 and 5: another organisation's one-leaf batch of a member, or its single
    issue of it, is its own record; the member's state stays under its own root, and a proof
    is checked on every change, a single record's included."""
    f, chain = net.f, net.chain
    ids, root, proofs = _batch(["member-0", "member-1"])
    me, them = net.no(net.carrier), net.no(net.cn_issuer)
    d0 = doc_id_bytes(ids[0])
    chain.send(net.carrier, f.anchorBatch(root, 0, b"SG", 2))
    leaf_root = f.leafHash(d0).call()
    chain.send(net.cn_issuer, f.anchorBatch(leaf_root, 0, b"\0\0", 1))  # the attacker's batch
    chain.send(net.cn_issuer, f.revokeInBatch(d0, "taken", leaf_root, 0, []))
    assert STATE[f.batchDocumentState(d0, root, me, 0, proofs[0]).call()] == "ISSUED"
    assert STATE[f.batchDocumentState(d0, leaf_root, them, 0, []).call()] == "REVOKED"
    chain.send(net.cn_issuer, f.issue(doc_id_bytes(ids[1]), kind_country("co", None)))
    assert net.record(doc_id_bytes(ids[1]), net.cn_issuer)[2] == net.cn_issuer.address
    chain.send(net.carrier, f.revokeInBatch(d0, "mine", root, 0, proofs[0]))  # still works
    assert STATE[f.batchDocumentState(d0, root, me, 0, proofs[0]).call()] == "REVOKED"
    # Finding 5: a root and proof on a singly issued document are checked, not ignored.
    co = digest("single")
    chain.send(net.carrier, f.issue(co, kind_country("co", "SG")))
    assert net.refused(net.carrier, f.revokeInBatch(co, "x", b"\x42" * 32, 999, [])) == (
        "UnknownBatch",
        (b"\x42" * 32,),
    )


# --- eBL control ------------------------------------------------------------------------------

C1, C2 = container_bytes("MSCU1234566"), container_bytes("TGHU1234560")
NOBODY = "0x" + "00" * 20


def _issued_ebl(net: Net, label: str, to_order: bool = True) -> bytes:
    ebl = digest(label)
    net.chain.send(net.carrier, net.f.issueEbl(ebl, b"SG", net.alice.address, to_order, [C1, C2]))
    return ebl


def _controller(net: Net, ebl: bytes) -> str:
    return str(net.record(ebl)[5])


def test_ebl_life_cycle_with_one_controller_at_a_time(net: Net) -> None:
    f, chain = net.f, net.chain
    ebl = digest("ebl-1")
    k = net.no(net.carrier)
    assert net.refused(net.alice, f.issueEbl(ebl, b"SG", net.bob.address, False, [C1])) == (
        "RoleRequired",
        (8, roles_mask("shipper"), 1),
    )
    assert net.refused(net.carrier, f.issueEbl(ebl, b"SG", net.stranger.address, False, [C1])) == (
        "UnknownOrganisation",
        (net.stranger.address,),
    )
    chain.send(net.carrier, f.issueEbl(ebl, b"SG", net.alice.address, True, [C1, C2]))
    assert _controller(net, ebl) == net.alice.address

    # Only the possessor transfers; the refusal names who controls it now.
    assert net.refused(net.bob, f.transfer(ebl, k, net.bob.address)) == (
        "NotPossessor",
        (net.alice.address,),
    )
    assert net.refused(net.alice, f.transfer(ebl, k + 1, net.bob.address)) == (
        "NotOnLedger",
        (ebl,),
    )
    assert net.refused(net.alice, f.transfer(ebl, k, net.alice.address))[0] == "SelfTransfer"
    chain.send(net.alice, f.transfer(ebl, k, net.bob.address))
    assert _controller(net, ebl) == net.bob.address
    assert net.refused(net.alice, f.transfer(ebl, k, net.carrier.address)) == (
        "NotPossessor",
        (net.bob.address,),
    )
    chain.send(net.bob, f.endorse(ebl, k, net.alice.address))
    assert net.record(ebl)[7] == net.alice.address  # endorsee

    # Surrender for delivery: the carrier controls it while pending.
    chain.send(net.alice, f.surrender(ebl, k, False))
    assert _controller(net, ebl) == net.carrier.address
    assert net.record(ebl)[6] == net.alice.address  # surrendered by
    assert net.refused(net.alice, f.transfer(ebl, k, net.bob.address)) == (
        "SurrenderPending",
        (5,),
    )
    assert net.refused(net.bob, f.accept(ebl, k)) == ("NotCarrier", (net.carrier.address,))
    chain.send(net.carrier, f.accept(ebl, k))
    assert net.state(ebl) == "SURRENDERED_FOR_DELIVERY"
    assert net.refused(net.alice, f.surrender(ebl, k, False)) == ("AlreadySurrendered", (7,))
    assert net.refused(net.carrier, f.accept(ebl, k)) == ("NoSurrenderPending", (7,))

    # Release with pickup rights (bound to CN, the holder's country), delegate, pick up once.
    block = chain.w3.eth.get_block("latest")
    expires = int(block["timestamp"]) + 3600
    rel = f.release(ebl, k, [C1, C2], [C1, C2], net.bob.address, expires, NOBODY, b"\0\0")
    assert net.refused(net.bob, rel) == ("NotCarrier", (net.carrier.address,))
    bad = container_bytes("ABCU0000000")
    assert net.refused(
        net.carrier, f.release(ebl, k, [C1, C2], [bad], net.bob.address, expires, NOBODY, b"\0\0")
    ) == ("ContainerNotOnEbl", (bad,))
    assert net.refused(
        net.carrier, f.release(ebl, k, [C1], [C1], net.bob.address, expires, NOBODY, b"\0\0")
    )[0] == ("ContainerListMismatch")
    assert net.refused(
        net.carrier,
        f.release(ebl, k, [C1, C2], [C1], net.bob.address, expires, net.alice.address, b"\0\0"),
    ) == ("NotATerminal", (net.alice.address,))
    assert net.refused(
        net.carrier,
        f.release(ebl, k, [C1, C2], [C1], net.bob.address, expires, net.terminal.address, b"CN"),
    ) == ("TerminalOrCountry", ())
    chain.send(net.carrier, rel)
    assert net.refused(net.carrier, rel) == ("AlreadyReleased", (C1,))
    right = f.pickupRight(C1).call()
    assert (right[0], right[1], right[7]) == (ebl, net.bob.address, b"CN")
    assert net.refused(net.alice, f.delegate(C1, ebl, net.alice.address)) == (
        "NotRightHolder",
        (net.bob.address,),
    )
    chain.send(net.bob, f.delegate(C1, ebl, net.alice.address))
    assert net.refused(net.bob, f.pickup(C1, ebl, net.alice.address)) == (
        "RoleRequired",
        (256, roles_mask("consignee"), 255),
    )
    assert net.refused(net.terminal, f.pickup(C1, ebl, net.bob.address)) == (
        "NotRightHolder",
        (net.alice.address,),
    )
    assert net.refused(net.terminal, f.pickup(C1, ebl, NOBODY)) == ("HolderRequired", ())
    assert (
        net.refused(net.terminal, f.pickup(C1, digest("other"), net.alice.address))[0]
        == "ReleasedUnderOtherEbl"
    )
    chain.send(net.terminal, f.pickup(C1, ebl, net.alice.address))
    assert net.refused(net.terminal, f.pickup(C1, ebl, net.alice.address))[0] == "AlreadyPickedUp"
    # Never released twice under the same eBL, even once picked up.
    again = f.release(ebl, k, [C1, C2], [C1], net.bob.address, expires, NOBODY, b"\0\0")
    assert net.refused(net.carrier, again) == ("ReleasedBefore", (C1,))

    # The other container's right expires unused; its own carrier may renew it.
    chain.w3.provider.make_request("evm_increaseTime", [3601])
    chain.w3.provider.make_request("evm_mine", [])
    assert net.refused(net.terminal, f.pickup(C2, ebl, net.bob.address)) == (
        "RightExpired",
        (expires,),
    )
    later = expires + 7200
    chain.send(
        net.carrier, f.release(ebl, k, [C1, C2], [C2], net.bob.address, later, NOBODY, b"\0\0")
    )
    chain.send(net.terminal, f.pickup(C2, ebl, net.bob.address))


def test_rejected_surrender_returns_control_and_amendment_voids(net: Net) -> None:
    f, chain = net.f, net.chain
    k = net.no(net.carrier)
    ebl = _issued_ebl(net, "ebl-2", to_order=False)
    assert net.refused(net.alice, f.endorse(ebl, k, net.bob.address))[0] == "NotToOrder"
    chain.send(net.alice, f.transfer(ebl, k, net.bob.address))
    chain.send(net.bob, f.surrender(ebl, k, True))
    assert net.refused(net.carrier, f.reject(ebl, k, ""))[0] == "ReasonRequired"
    chain.send(net.carrier, f.reject(ebl, k, "wrong holder chain"))
    assert net.state(ebl) == "ISSUED"
    assert _controller(net, ebl) == net.bob.address

    chain.send(net.bob, f.surrender(ebl, k, True))
    new = digest("ebl-2b")
    amend = f.amendEbl(ebl, new, b"SG", True, [C1], "port change")
    assert net.refused(net.carrier, amend) == ("NotSurrenderedForAmendment", (6,))
    chain.send(net.carrier, f.accept(ebl, k))
    assert net.refused(net.bob, amend) == ("NotOnLedger", (ebl,))
    assert net.refused(
        net.carrier, f.release(ebl, k, [C1, C2], [C1], net.bob.address, 2**40, NOBODY, b"\0\0")
    ) == ("NotSurrenderedForDelivery", (8,))
    # Finding 3: an amendment is issued as an eBL is (here: naming another country).
    assert net.refused(net.carrier, f.amendEbl(ebl, new, b"US", True, [C1], "x")) == (
        "WrongCountry",
        (b"US", b"SG", 1),
    )
    assert net.refused(net.carrier, f.amendEbl(ebl, ebl, b"SG", True, [C1], "x")) == (
        "SupersedeItself",
        (),
    )
    chain.send(net.carrier, amend)
    assert net.state(ebl) == "VOIDED"
    assert net.state(new) == "ISSUED"
    assert _controller(net, new) == net.bob.address  # back to who surrendered it
    assert net.refused(net.bob, f.transfer(ebl, k, net.alice.address))[0] == "Voided"


def test_revoke_refuses_an_ebl(net: Net) -> None:
    ebl = _issued_ebl(net, "ebl-3")
    assert net.refused(net.carrier, net.f.revoke(ebl, "no"))[0] == "EblNotRevocable"
    k = net.no(net.carrier)
    assert (
        net.refused(net.carrier, net.f.transfer(digest("co-x"), k, net.bob.address))[0]
        == "NotOnLedger"
    )


def test_every_contract_error_reads_as_a_rule() -> None:
    """Finding 10: no custom error falls back to the generic text."""
    from chaincode.evm import artifact
    from chaincode.transactions import Op, Transaction
    from ledger.evm.chain import TxError
    from ledger.evm.refusals import refusal

    tx = Transaction(op=Op.PICKUP, actor="sg-psa", time=T0, container="MSCU1234566", to="sg-x")
    for entry in artifact()["abi"]:
        if entry["type"] != "error":
            continue
        args = tuple(_sample(i["type"]) for i in entry["inputs"])
        text = refusal(TxError("x", entry["name"], args), tx, lambda a: None).rule
        assert not text.startswith("the contract refused it"), entry["name"]


T0 = datetime.datetime(2026, 11, 23, tzinfo=datetime.UTC)


def _sample(kind: str) -> Any:
    return {
        "address": "0x" + "11" * 20,
        "bytes2": b"SG",
        "bytes32": b"\x01" * 32,
        "uint8": 1,
        "uint16": 4,
        "uint64": 1_800_000_000,
        "uint256": 1 << 104,
    }[kind]


# --- persistence ------------------------------------------------------------------------------


def test_state_survives_an_anvil_restart(tmp_path: Path) -> None:
    state = tmp_path / "anvil-state.json"
    sg, carrier = ACCOUNTS[0], ACCOUNTS[4]
    co = digest("persisted")
    with run_anvil(tmp_path / "anvil.log", state=state) as url:
        chain = Chain.connect(url)
        ledger = deploy_ledger(chain, sg, ["SG"], [sg.address])
        signature = consent(
            carrier,
            registration_digest(chain.chain_id, ledger.address, carrier.address, "SG", CERT),
        )
        chain.send(
            sg,
            ledger.functions.registerOrganisation(
                carrier.address, roles_mask("co_issuer"), CERT, signature
            ),
        )
        chain.send(carrier, ledger.functions.issue(co, kind_country("co", "SG")))
        address, height = ledger.address, chain.w3.eth.block_number
    assert state.is_file()
    with run_anvil(tmp_path / "anvil.log", state=state) as url:
        chain = Chain.connect(url)
        assert chain.w3.eth.block_number >= height
        ledger = chain.w3.eth.contract(address=address, abi=ledger.abi)
        assert STATE[ledger.functions.document(co, 1).call()[0]] == "ISSUED"
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
