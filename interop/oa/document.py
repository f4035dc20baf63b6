"""A wrapped OpenAttestation v2 document as received: its parts checked and named, and its
issuers read from the salted data.

``parse_wrapped`` refuses what the official ``isWrappedV2Document`` refuses where
verification depends on it (the ``signature`` block, ``privacy.obfuscatedData``, a ``data``
object) and, failing closed, also hashes that are not 32 bytes of hex. ``issuers_of`` reads
the issuer blocks as ``getData`` does (salts removed, text trimmed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from interop.oa.errors import OaError
from interop.oa.salt import unsalt_data
from interop.oa.wrap import ADDRESS, PROOF_TYPE, SCHEMA_V2, STORE_KEYS

HEX32 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class Wrapped:
    """The parts of a wrapped document that verification uses (``data`` still salted)."""

    data: dict[str, Any]
    target_hash: str
    merkle_root: bytes
    proof: tuple[bytes, ...]
    obfuscated: tuple[str, ...]


def _hex32(value: Any, field: str) -> bytes:
    if type(value) is not str or HEX32.fullmatch(value) is None:
        raise OaError(field, "must be 32 bytes in hex, without 0x")
    return bytes.fromhex(value)


def parse_wrapped(document: Any) -> Wrapped:
    if type(document) is not dict:
        raise OaError("document", "a wrapped document is a JSON object")
    version = document.get("version")
    if version is not None and version != SCHEMA_V2:
        raise OaError("version", f"only OpenAttestation v2 ({SCHEMA_V2}) is supported")
    data = document.get("data")
    if type(data) is not dict:
        raise OaError("data", "must be an object")
    signature = document.get("signature")
    if type(signature) is not dict:
        raise OaError("signature", "is required: this is not a wrapped document")
    if signature.get("type") != PROOF_TYPE:
        raise OaError("signature.type", f"must be {PROOF_TYPE}")
    target = signature.get("targetHash")
    if type(target) is not str:
        raise OaError("signature.targetHash", "must be a string")
    proof = signature.get("proof")
    if type(proof) is not list:
        raise OaError("signature.proof", "must be an array")
    privacy = document.get("privacy", {})
    if type(privacy) is not dict:
        raise OaError("privacy", "must be an object")
    obfuscated = privacy.get("obfuscatedData", [])
    if type(obfuscated) is not list or any(type(h) is not str for h in obfuscated):
        raise OaError("privacy.obfuscatedData", "must be an array of strings")
    return Wrapped(
        data=data,
        target_hash=target,
        merkle_root=_hex32(signature.get("merkleRoot"), "signature.merkleRoot"),
        proof=tuple(_hex32(p, f"signature.proof.{i}") for i, p in enumerate(proof)),
        obfuscated=tuple(obfuscated),
    )


@dataclass(frozen=True)
class Issuer:
    """One issuer block, unsalted."""

    name: str
    store_kind: str | None  # documentStore, tokenRegistry or certificateStore
    address: str | None
    identity_type: str | None
    location: str | None


def issuers_of(data: dict[str, Any]) -> list[Issuer]:
    """The issuers of a wrapped document's (salted) data."""
    issuers = unsalt_data(data.get("issuers"))
    if type(issuers) is not list or not issuers:
        raise OaError("data.issuers", "must be a non-empty array")
    found = []
    for i, block in enumerate(issuers):
        where = f"data.issuers.{i}"
        if type(block) is not dict:
            raise OaError(where, "must be an object")
        stores = [k for k in STORE_KEYS if k in block]
        if len(stores) > 1:
            raise OaError(where, f"has {' and '.join(stores)}: an issuer has at most one")
        address = block[stores[0]] if stores else None
        if stores and (type(address) is not str or ADDRESS.fullmatch(address) is None):
            raise OaError(f"{where}.{stores[0]}", "must be a 0x-prefixed 20-byte hex address")
        proof = block.get("identityProof")
        proof = proof if type(proof) is dict else {}
        identity_type, location = proof.get("type"), proof.get("location")
        found.append(
            Issuer(
                name=block["name"] if type(block.get("name")) is str else "",
                store_kind=stores[0] if stores else None,
                address=address,
                identity_type=identity_type if type(identity_type) is str else None,
                location=location if type(location) is str else None,
            )
        )
    return found


__all__ = ["Issuer", "Wrapped", "issuers_of", "parse_wrapped"]
