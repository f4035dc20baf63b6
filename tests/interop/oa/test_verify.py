"""Verification on a real anvil (chain id 1337) with TradeTrust's official DocumentStore:
ours against oa-verify 9.4.0, in both directions."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from chaincode.documents.registry import ValidDocument
from interop.oa import (
    DocumentStore,
    OaIssuer,
    StaticDnsTxt,
    Verifier,
    export_documents,
    obfuscate,
    record_text,
    verify_documents,
    wrap_documents,
)
from interop.oa.dns_txt import DnsTxtError
from interop.oa.issuance import issue_batch
from interop.oa.merkle import path_nodes
from interop.oa.rpc import JsonRpc
from interop.oa.verify import DNS_TXT, DOCUMENT_STORE, HASH, TDX_DIGEST, TOKEN_REGISTRY, Status
from tests.interop.oa.conftest import DOMAIN
from tests.interop.oa.judge import judge

OFFICIAL_NAMES = {HASH, DOCUMENT_STORE, DNS_TXT}


def official(documents: list[dict], anvil: str, dns: dict[str, list[str]]) -> list[dict]:
    answer = judge(
        {"op": "verify", "documents": documents, "rpc": anvil, "chainId": 1337, "dns": dns}
    )
    return answer["results"]


def statuses(result: dict) -> dict[str, str]:
    return {f["name"]: f["status"] for f in result["fragments"]}


@pytest.fixture(scope="module")
def dns_map(store: DocumentStore) -> dict[str, list[str]]:
    return {DOMAIN: [record_text(store.address, 1337)]}


@pytest.fixture(scope="module")
def exported(
    examples: list[ValidDocument],
    issuer: OaIssuer,
    store: DocumentStore,
    accounts: list[LocalAccount],
) -> list[dict]:
    batch = export_documents(examples, issuer)
    issue_batch(store, accounts[0], batch)
    return batch


def fresh_batch(
    co: ValidDocument, issuer: OaIssuer, store: DocumentStore, account: LocalAccount, n: int
) -> list[dict]:
    batch = export_documents([co] * n, issuer)
    issue_batch(store, account, batch)
    return batch


def test_exports_are_valid_for_us_and_for_oa_verify(
    exported: list[dict], anvil: str, dns: StaticDnsTxt, dns_map: dict
) -> None:
    ours = verify_documents(exported, anvil, dns)
    for result in ours:
        assert result.valid, result.to_json()
        assert {f.name: f.status for f in result.fragments} == {
            HASH: Status.VALID,
            DOCUMENT_STORE: Status.VALID,
            TOKEN_REGISTRY: Status.SKIPPED,
            DNS_TXT: Status.VALID,
            TDX_DIGEST: Status.VALID,
        }
    for result in official(exported, anvil, dns_map):
        assert result["valid"], result
        assert {n: s for n, s in statuses(result).items() if n in OFFICIAL_NAMES} == dict.fromkeys(
            OFFICIAL_NAMES, "VALID"
        )


def test_obfuscated_exports_stay_valid(
    exported: list[dict], anvil: str, dns: StaticDnsTxt, dns_map: dict
) -> None:
    hidden = [
        obfuscate(exported[0], ["document.exporter.address", "document.items.0.fobValue"]),
        obfuscate(exported[2], ["document"]),
        obfuscate(exported[3], ["tdx.canonicalization"]),
    ]
    ours = verify_documents(hidden, anvil, dns)
    assert all(r.valid for r in ours), [r.to_json() for r in ours]
    # the tdx digest cannot be recomputed once document fields are hidden; elsewhere it can
    assert [r.fragment(TDX_DIGEST).status for r in ours] == [
        Status.SKIPPED,
        Status.SKIPPED,
        Status.VALID,
    ]
    assert all(r["valid"] for r in official(hidden, anvil, dns_map))


def test_revoked_document_node_and_batch_are_invalid(
    co: ValidDocument,
    issuer: OaIssuer,
    store: DocumentStore,
    accounts: list[LocalAccount],
    anvil: str,
    dns: StaticDnsTxt,
    dns_map: dict,
) -> None:
    batch = fresh_batch(co, issuer, store, accounts[0], 4)
    sorted_batch = sorted(batch, key=lambda d: d["signature"]["targetHash"])
    first, second, third, fourth = sorted_batch
    # the document itself
    store.revoke(accounts[0], first["signature"]["targetHash"])
    # an intermediate node: the parent of the 3rd and 4th leaves
    node = path_nodes(
        bytes.fromhex(third["signature"]["targetHash"]),
        [bytes.fromhex(p) for p in third["signature"]["proof"]],
    )[1]
    store.revoke(accounts[0], node)
    ours = verify_documents(sorted_batch, anvil, dns)
    assert [r.valid for r in ours] == [False, True, False, False]
    assert "the document (targetHash)" in ours[0].fragment(DOCUMENT_STORE).reason
    assert "an intermediate node" in ours[2].fragment(DOCUMENT_STORE).reason
    assert ours[3].fragment(DOCUMENT_STORE).data["revoked"] == "0x" + node.hex()
    theirs = official(sorted_batch, anvil, dns_map)
    assert [r["valid"] for r in theirs] == [False, True, False, False]
    assert statuses(theirs[0])[DOCUMENT_STORE] == "INVALID"

    other = fresh_batch(co, issuer, store, accounts[0], 3)
    store.revoke(accounts[0], other[0]["signature"]["merkleRoot"])
    ours = verify_documents(other, anvil, dns)
    assert not any(r.valid for r in ours)
    assert all("the batch (merkleRoot)" in r.fragment(DOCUMENT_STORE).reason for r in ours)
    assert not any(r["valid"] for r in official(other, anvil, dns_map))
    del second, fourth


def test_a_document_never_issued_is_invalid(
    co: ValidDocument, issuer: OaIssuer, anvil: str, dns: StaticDnsTxt, dns_map: dict
) -> None:
    (doc,) = export_documents([co], issuer)
    (ours,) = verify_documents([doc], anvil, dns)
    assert not ours.valid
    assert ours.fragment(DOCUMENT_STORE).status is Status.INVALID
    assert "has not been issued" in ours.fragment(DOCUMENT_STORE).reason
    (theirs,) = official([doc], anvil, dns_map)
    assert not theirs["valid"]
    assert statuses(theirs)[DOCUMENT_STORE] == "INVALID"


def tampered_copies(doc: dict) -> list[dict]:
    value = copy.deepcopy(doc)
    salted = value["data"]["document"]["certificateNumber"]
    value["data"]["document"]["certificateNumber"] = salted[:-1] + "9"
    added = copy.deepcopy(doc)
    added["data"]["document"]["extra"] = added["data"]["name"]
    proof = copy.deepcopy(doc)
    proof["signature"]["proof"][0] = "00" * 32
    hidden_hash = copy.deepcopy(doc)
    hidden_hash["privacy"] = {"obfuscatedData": ["11" * 32]}
    return [value, added, proof, hidden_hash]


def test_tampered_exports_fail_naming_the_fragment(
    exported: list[dict], anvil: str, dns: StaticDnsTxt, dns_map: dict
) -> None:
    bad = tampered_copies(exported[0])
    for result in verify_documents(bad, anvil, dns):
        assert not result.valid
        # the data no longer hashes to the targetHash; a changed document also breaks its
        # tdx digest; the chain and DNS checks still pass
        failed = {f.name for f in result.failures()}
        assert HASH in failed, result.to_json()
        assert failed <= {HASH, TDX_DIGEST}, result.to_json()
    for result in official(bad, anvil, dns_map):
        assert not result["valid"]
        assert statuses(result)[HASH] == "INVALID"


def test_identity_needs_a_matching_dns_txt_record(
    exported: list[dict], store: DocumentStore, anvil: str
) -> None:
    wrong = {
        "another contract": [record_text("0x" + "12" * 20, 1337)],
        "another chain": [record_text(store.address, 1)],
        "no record": [],
    }
    for why, records in wrong.items():
        (ours,) = verify_documents(exported[:1], anvil, StaticDnsTxt({DOMAIN: records}))
        assert ours.fragment(DNS_TXT).status is Status.INVALID, why
        assert not ours.valid
        (theirs,) = official(exported[:1], anvil, {DOMAIN: records})
        assert statuses(theirs)[DNS_TXT] == "INVALID", why
    # quoted records and upper-case addresses are read as dnsprove reads them
    quoted = [f'"{record_text(store.address.upper().replace("0X", "0x"), 1337)}"']
    (ours,) = verify_documents(exported[:1], anvil, StaticDnsTxt({DOMAIN: quoted}))
    assert ours.valid


def test_what_cannot_be_read_fails_closed(exported: list[dict], anvil: str) -> None:
    def broken_dns(domain: str) -> list[str]:
        raise DnsTxtError("resolver down")

    (no_rpc,) = verify_documents(exported[:1], None, StaticDnsTxt({}))
    assert no_rpc.fragment(DOCUMENT_STORE).status is Status.ERROR
    assert not no_rpc.valid
    with JsonRpc(anvil) as node:
        (dns_down,) = Verifier(node, broken_dns).verify_many(exported[:1])
    assert dns_down.fragment(DNS_TXT).status is Status.ERROR
    assert "resolver down" in dns_down.fragment(DNS_TXT).reason
    assert not dns_down.valid
    (dead_rpc,) = verify_documents(exported[:1], "http://127.0.0.1:9", StaticDnsTxt({}))
    assert dead_rpc.fragment(DOCUMENT_STORE).status is Status.ERROR
    assert not dead_rpc.valid
    for junk in ({}, {"data": {}}, [], "text"):
        (result,) = verify_documents([junk], anvil, StaticDnsTxt({}))
        assert result.fragment(HASH).status is Status.INVALID
        assert not result.valid


def test_a_tdx_digest_that_does_not_match_is_invalid(
    co: ValidDocument,
    issuer: OaIssuer,
    store: DocumentStore,
    accounts: list[LocalAccount],
    anvil: str,
    dns: StaticDnsTxt,
) -> None:
    from interop.oa import oa_data

    data = oa_data(co, issuer)
    data["tdx"]["digest"] = "sha256:" + "0" * 64
    batch = wrap_documents([data])
    issue_batch(store, accounts[0], batch)
    (result,) = verify_documents(batch, anvil, dns)
    assert result.fragment(HASH).status is Status.VALID
    assert result.fragment(TDX_DIGEST).status is Status.INVALID
    assert not result.valid


def test_documents_wrapped_by_the_official_library_pass_ours(
    store: DocumentStore, accounts: list[LocalAccount], anvil: str, dns: StaticDnsTxt
) -> None:
    raw: dict[str, Any] = {
        "$template": {"name": "main", "type": "EMBEDDED_RENDERER", "url": "https://x.example"},
        "name": "Official",
        "issuers": [
            {
                "name": "Official issuer",
                "documentStore": store.address,
                "identityProof": {"type": "DNS-TXT", "location": DOMAIN},
            }
        ],
        "recipient": {"name": "Someone", "score": 9.5, "ok": True, "none": None},
    }
    single = judge({"op": "wrap", "documents": [raw], "batch": False})["wrapped"]
    batch = judge({"op": "wrap", "documents": [raw] * 5, "batch": True})["wrapped"]
    issue_batch(store, accounts[0], single)
    issue_batch(store, accounts[0], batch)
    hidden = judge({"op": "obfuscate", "document": batch[1], "fields": ["recipient.score"]})
    good = [*single, *batch, hidden["document"]]
    results = verify_documents(good, anvil, dns)
    assert all(r.valid for r in results), [r.to_json() for r in results if not r.valid]
    assert all(r.fragment(TDX_DIGEST).status is Status.SKIPPED for r in results)
    for result in verify_documents(tampered_official(batch[2]), anvil, dns):
        assert not result.valid
        assert [f.name for f in result.failures()] == [HASH]


def tampered_official(doc: dict) -> list[dict]:
    changed = copy.deepcopy(doc)
    changed["data"]["recipient"]["name"] = changed["data"]["recipient"]["name"][:-1] + "x"
    removed = copy.deepcopy(doc)
    del removed["data"]["recipient"]["ok"]
    return [changed, removed]


def test_verify_many_equals_one_by_one(exported: list[dict], anvil: str, dns: StaticDnsTxt) -> None:
    with JsonRpc(anvil) as node:
        verifier = Verifier(node, dns)
        assert [v.to_json() for v in verifier.verify_many(exported)] == [
            verifier.verify(d).to_json() for d in exported
        ]
