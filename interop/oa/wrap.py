"""Wrapping: raw OpenAttestation v2 ``data`` in, wrapped documents out, byte for byte what
``@govtechsg/open-attestation`` 6.9's ``wrapDocument`` / ``wrapDocuments`` write.

One pass over ``data`` salts every leaf and hashes its field (rather than salting, then
flattening, then hashing, as the official library does): that and a C Keccak make it
several times faster. A batch shares one Merkle root; each document carries its proof.

The raw ``data`` is checked first against the parts of the official v2 schema that
verification relies on (``issuers``: at least one, each named, with at most one of
``documentStore`` / ``tokenRegistry`` / ``certificateStore`` as a 20-byte hex address and,
for the first two, an ``identityProof``). The rest of the schema (``$template``,
``attachments``) is not checked here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from sha3 import keccak_256  # type: ignore[import-untyped]  # safe-pysha3: no type hints

from interop.oa.errors import OaError
from interop.oa.js_text import escape_lone_surrogates, js_keys
from interop.oa.merkle import MerkleTree
from interop.oa.salt import RandomSalts, SaltSource, typed

SCHEMA_V2 = "https://schema.openattestation.com/2.0/schema.json"
PROOF_TYPE = "SHA3MerkleProof"
STORE_KEYS = ("documentStore", "tokenRegistry", "certificateStore")
IDENTITY_TYPES = ("DNS-TXT", "DNS-DID", "DID")
ADDRESS = re.compile(r"0x[a-fA-F0-9]{40}")

WrappedDocument = dict[str, Any]


def check_raw(data: Any) -> None:
    """Refuse raw ``data`` that the official schema refuses where verification depends on
    it; the error names the field."""
    if type(data) is not dict:
        raise OaError("data", "must be a JSON object")
    issuers = data.get("issuers")
    if type(issuers) is not list or not issuers:
        raise OaError("issuers", "must be a non-empty array (OpenAttestation v2 schema)")
    for i, issuer in enumerate(issuers):
        where = f"issuers.{i}"
        if type(issuer) is not dict:
            raise OaError(where, "must be an object")
        if type(issuer.get("name")) is not str:
            raise OaError(f"{where}.name", "is required and must be a string")
        stores = [k for k in STORE_KEYS if k in issuer]
        if len(stores) > 1:
            raise OaError(where, f"has {' and '.join(stores)}: an issuer has at most one")
        for key in stores:
            value = issuer[key]
            if type(value) is not str or ADDRESS.fullmatch(value) is None:
                raise OaError(f"{where}.{key}", "must be a 0x-prefixed 20-byte hex address")
        proof = issuer.get("identityProof")
        if proof is None:
            if stores and stores[0] != "certificateStore":
                raise OaError(f"{where}.identityProof", f"is required with {stores[0]}")
            continue
        if type(proof) is not dict or proof.get("type") not in IDENTITY_TYPES:
            raise OaError(f"{where}.identityProof.type", f"must be one of {IDENTITY_TYPES}")
        if type(proof.get("location")) is not str and proof.get("type") == "DNS-TXT":
            raise OaError(f"{where}.identityProof.location", "is required: the DNS domain")


def _field(path: str, leaf_json: str) -> str:
    """The field hash of a leaf, given its JSON text (``encode_basestring`` of a salted
    value, or ``{}`` / ``[]``)."""
    text = "{" + encode_basestring(path) + ":" + leaf_json + "}"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which JSON.stringify escapes
        data = escape_lone_surrogates(text).encode("utf-8")
    hexdigest: str = keccak_256(data).hexdigest()
    return hexdigest


def _leaf(child: Any, path: str, salts: SaltSource, hashes: list[str]) -> Any:
    t = type(child)
    if t is str:
        salted: Any = salts(path) + ":string:" + child
        hashes.append(_field(path, encode_basestring(salted)))
    elif t is dict or t is list:
        if child:
            return _walk(child, path + "." if path else "", salts, hashes)
        # an empty object or array is a field of its own, left unsalted
        salted = {} if t is dict else []
        hashes.append(_field(path, "{}" if t is dict else "[]"))
    else:
        salted = salts(path) + ":" + typed(child, path)
        hashes.append(_field(path, encode_basestring(salted)))
    return salted


def _walk(value: Any, prefix: str, salts: SaltSource, hashes: list[str]) -> Any:
    """Salt a non-empty object or array and hash its fields; ``prefix`` ends with "." (or is
    empty, under the top level or under an empty key, as flatley's paths are)."""
    if type(value) is list:
        return [_leaf(child, prefix + str(i), salts, hashes) for i, child in enumerate(value)]
    # Keys in JavaScript's order; only a key starting with a digit (or lower) can change it.
    keys = value.keys() if min(value) >= ":" else js_keys(value)
    out = {}
    for key in keys:
        if "." in key:
            raise OaError(prefix + key, "a key must not contain '.' (OA paths)")
        out[key] = _leaf(value[key], prefix + key, salts, hashes)
    return out


def salt_and_hash(data: Mapping[str, Any], salts: SaltSource) -> tuple[dict[str, Any], list[str]]:
    """The salted ``data`` and its field hashes, in one pass."""
    hashes: list[str] = []
    if not data:
        return {}, hashes
    out: dict[str, Any] = _walk(dict(data), "", salts, hashes)
    return out, hashes


def _target(hashes: list[str]) -> str:
    hashes.sort()  # hex digests: Python's order is JavaScript's
    text = "[" + ",".join('"' + h + '"' for h in hashes) + "]"
    hexdigest: str = keccak_256(text.encode("ascii")).hexdigest()
    return hexdigest


def _document(salted: dict[str, Any], target: str, proof: list[str], root: str) -> WrappedDocument:
    return {
        "version": SCHEMA_V2,
        "data": salted,
        "signature": {
            "type": PROOF_TYPE,
            "targetHash": target,
            "proof": proof,
            "merkleRoot": root,
        },
    }


def wrap_document(data: Mapping[str, Any], salts: SaltSource | None = None) -> WrappedDocument:
    """One document, its own Merkle root (``merkleRoot == targetHash``, empty proof)."""
    check_raw(data)
    salted, hashes = salt_and_hash(data, salts or RandomSalts())
    target = _target(hashes)
    return _document(salted, target, [], target)


def wrap_documents(
    batch: Sequence[Mapping[str, Any]], salts: SaltSource | Sequence[SaltSource] | None = None
) -> list[WrappedDocument]:
    """A batch under one Merkle root (``salts``: one source for all, or one per document)."""
    if not batch:
        raise OaError("documents", "a batch needs at least one document")
    sources: Sequence[SaltSource]
    if salts is None:
        shared = RandomSalts()
        sources = [shared] * len(batch)
    elif callable(salts):
        sources = [salts] * len(batch)
    else:
        sources = salts
    if len(sources) != len(batch):
        raise OaError("salts", "one salt source per document")
    wrapped: list[tuple[dict[str, Any], bytes]] = []
    for i, (data, source) in enumerate(zip(batch, sources, strict=True)):
        try:
            check_raw(data)
            salted, hashes = salt_and_hash(data, source)
        except OaError as exc:
            raise OaError(f"documents.{i}.{exc.field}", exc.rule) from None
        wrapped.append((salted, bytes.fromhex(_target(hashes))))
    tree = MerkleTree([target for _, target in wrapped])
    root = tree.root.hex()
    return [
        _document(salted, target.hex(), [p.hex() for p in tree.proof(target)], root)
        for salted, target in wrapped
    ]


def dumps(document: Mapping[str, Any], indent: int | None = None) -> str:
    """``JSON.stringify(document, null, indent)`` of a wrapped document: every leaf is a
    string or an empty container, so Python's encoder writes JavaScript's bytes."""
    if indent is None:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(document, ensure_ascii=False, indent=indent)


__all__ = [
    "SCHEMA_V2",
    "WrappedDocument",
    "check_raw",
    "dumps",
    "salt_and_hash",
    "wrap_document",
    "wrap_documents",
]
