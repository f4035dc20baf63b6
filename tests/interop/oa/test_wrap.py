"""Wrapping, byte for byte against @govtechsg/open-attestation 6.9.7's wrapDocument(s).

The official wrap draws random salts; replaying its salts into ours must give the very same
JSON text, targetHashes, proofs and Merkle root.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode.documents.registry import ValidDocument
from interop.oa import OaError, OaIssuer, dumps, oa_data, wrap_document, wrap_documents
from interop.oa.flatten import flatten
from interop.oa.hashing import digest_document, keccak256
from interop.oa.salt import UUID4, RandomSalts, unsalt_data
from interop.oa.wrap import SCHEMA_V2
from tests.interop.oa.judge import judge

ISSUER = OaIssuer(
    "Issuer", "issuer.example", document_store="0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d"
)
TRICKY = {
    "issuers": [ISSUER.block()],
    "empty": {"object": {}, "array": [], "nested": [[], {}]},
    "numbers": [0, -0.0, 5.0, 1e-7, 1e21, 0.1, -2.5, 2**53],
    "text": ["中文", 'quote " and \\ backslash', "line\nbreak\ttab\x01", "🚀 rocket", ""],
    "flags": [True, False, None],
    "10": "an index-like key",
    "2": {"b": 1, "a": 2},
    "": {"under an empty key": "flatley drops the empty prefix"},
}


def replay(official: dict[str, Any]):
    """A salt source giving back the salts of an officially wrapped document."""
    salts = {p: v[:36] for p, v in flatten(official["data"]) if isinstance(v, str)}
    return lambda path: salts[path]


def test_single_documents_are_byte_identical(co: ValidDocument) -> None:
    raws = [TRICKY, oa_data(co, ISSUER)]
    answer = judge({"op": "wrap", "documents": raws, "batch": False})
    for raw, official, text in zip(raws, answer["wrapped"], answer["texts"], strict=True):
        ours = wrap_document(raw, replay(official))
        assert dumps(ours) == text
        assert ours["signature"]["targetHash"] == official["signature"]["targetHash"]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_batches_are_byte_identical(size: int, co: ValidDocument) -> None:
    raws = [oa_data(co, ISSUER) | {"n": i} for i in range(size)]
    answer = judge({"op": "wrap", "documents": raws, "batch": True})
    ours = wrap_documents(raws, [replay(o) for o in answer["wrapped"]])
    assert [dumps(d) for d in ours] == answer["texts"]
    assert len({d["signature"]["merkleRoot"] for d in ours}) == 1


def test_official_verify_signature_accepts_ours(co: ValidDocument) -> None:
    ours = wrap_documents([TRICKY, oa_data(co, ISSUER), TRICKY])
    assert judge({"op": "verifySignature", "documents": ours})["results"] == [True] * 3


def test_wrapped_shape_and_salts() -> None:
    doc = wrap_document(TRICKY)
    assert doc["version"] == SCHEMA_V2
    assert list(doc) == ["version", "data", "signature"]
    sig = doc["signature"]
    assert sig["type"] == "SHA3MerkleProof"
    assert sig["merkleRoot"] == sig["targetHash"]
    assert sig["proof"] == []
    salts = [v[:36] for _, v in flatten(doc["data"]) if isinstance(v, str)]
    assert all(UUID4.fullmatch(s) and s == s.lower() for s in salts)
    assert len(set(salts)) == len(salts)
    assert doc["data"]["empty"] == {"object": {}, "array": [], "nested": [[], {}]}
    assert doc["data"]["numbers"][1].endswith(":number:0")
    assert doc["data"]["numbers"][3].endswith(":number:1e-7")
    assert unsalt_data(doc["data"]) == {
        **TRICKY,
        "numbers": [0, 0, 5, 1e-7, 1e21, 0.1, -2.5, 2**53],
    }


def test_random_salts_are_version_4_uuids() -> None:
    source = RandomSalts()
    salts = [source("x") for _ in range(500)]
    assert all(UUID4.fullmatch(s) for s in salts)
    assert len(set(salts)) == 500


def test_digest_document_recomputes_the_target_hash() -> None:
    doc = wrap_document(TRICKY)
    assert digest_document(doc["data"]) == doc["signature"]["targetHash"]
    changed = copy.deepcopy(doc["data"])
    changed["flags"][0] = changed["flags"][0].replace("true", "false")
    assert digest_document(changed) != doc["signature"]["targetHash"]


def test_keccak_is_ethereum_keccak_not_sha3() -> None:
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


@settings(max_examples=50)
@given(st.binary(max_size=300))
def test_keccak_agrees_with_pycryptodome(data: bytes) -> None:
    assert keccak256(data) == pycryptodome_keccak.new(digest_bits=256, data=data).digest()


@pytest.mark.parametrize(
    ("raw", "field", "rule"),
    [
        ({"issuers": [ISSUER.block()], "a": {"b.c": 1}}, "a.b.c", "must not contain '.'"),
        ({"name": "no issuers"}, "issuers", "non-empty array"),
        ({"issuers": []}, "issuers", "non-empty array"),
        ({"issuers": [{"documentStore": "0x1"}]}, "issuers.0.name", "required"),
        (
            {"issuers": [{"name": "x", "documentStore": "0x12", "identityProof": {}}]},
            "issuers.0.documentStore",
            "20-byte hex address",
        ),
        (
            {"issuers": [{"name": "x", "documentStore": "0x" + "1" * 40}]},
            "issuers.0.identityProof",
            "required",
        ),
        ({"issuers": [ISSUER.block()], "n": float("nan")}, "n", "not a JSON number"),
    ],
)
def test_bad_raw_data_is_refused_naming_the_field(raw: Any, field: str, rule: str) -> None:
    with pytest.raises(OaError) as caught:
        wrap_document(raw)
    assert caught.value.field == field
    assert rule in caught.value.rule


def test_a_bad_document_in_a_batch_is_named() -> None:
    with pytest.raises(OaError) as caught:
        wrap_documents([TRICKY, {"issuers": []}])
    assert caught.value.field == "documents.1.issuers"


KEYS = st.text(
    alphabet=st.characters(exclude_characters=".", exclude_categories=("Cs",)), max_size=6
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
TREES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.dictionaries(KEYS, TREES, max_size=5), min_size=1, max_size=4))
def test_random_documents_are_byte_identical(bodies: list[dict]) -> None:
    raws = [{**body, "issuers": [ISSUER.block()]} for body in bodies]
    answer = judge({"op": "wrap", "documents": raws, "batch": True})
    ours = wrap_documents(raws, [replay(o) for o in answer["wrapped"]])
    assert [dumps(d) for d in ours] == answer["texts"]
