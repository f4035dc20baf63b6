"""A tdx document as an OpenAttestation v2 document (for TradeTrust), linked to its digest.

The OA ``data`` of an export is::

    {
      "id": "sha256:<hex>",                       the tdx digest (the document's id here)
      "name": "Certificate of Origin",            by kind
      "issuers": [{"name": ..., "documentStore" | "tokenRegistry": "0x...",
                   "identityProof": {"type": "DNS-TXT", "location": "<domain>"}}],
      "tdx": {"kind": "co", "digest": "sha256:<hex>", "canonicalization": "RFC 8785, SHA-256",
              "signature": "<compact JWS>"},       the issuer's tdx signature, when known
      "document": { ...the whole tdx document, as validated... }
    }

``data.tdx.digest`` is a field of its own, so it stays readable when parts of the document
are hidden, and a verifier that sees the whole document can recompute it (the
``TdxDocumentDigest`` check). A node exporting a document it signed adds that signature
(the ``tdx-signed-document/1`` JWS with its ``x5c`` chain), so that a tdx verifier judges
the OA document's signer, chain, role and ledger status as it judges the signed original.
An export is refused when OpenAttestation would change a
value on the way (an integer beyond 2**53, which JavaScript rounds) or cannot carry a key
(one with a ``.``): the error names the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chaincode.documents.registry import ValidDocument
from interop.oa.errors import OaError
from interop.oa.flatten import check_key, join
from interop.oa.js_text import SAFE_INTEGER
from interop.oa.salt import unsalt_exact
from interop.oa.wrap import WrappedDocument, check_raw, wrap_documents

TITLES = {
    "co": "Certificate of Origin",
    "ebl": "Bill of Lading",
    "phyto": "Phytosanitary Certificate",
    "rail": "Rail Consignment Note",
}
CANONICALIZATION = "RFC 8785, SHA-256"


@dataclass(frozen=True)
class OaIssuer:
    """Who issues the OA documents: a name, one contract, and the DNS domain whose TXT
    record names that contract."""

    name: str
    location: str
    document_store: str | None = None
    token_registry: str | None = None

    def block(self) -> dict[str, Any]:
        if (self.document_store is None) == (self.token_registry is None):
            raise OaError("issuer", "give exactly one of documentStore and tokenRegistry")
        block: dict[str, Any] = {"name": self.name}
        if self.document_store is not None:
            block["documentStore"] = self.document_store
        else:
            block["tokenRegistry"] = self.token_registry
        block["identityProof"] = {"type": "DNS-TXT", "location": self.location}
        return block


def check_exportable(value: Any, path: str = "document") -> None:
    """Refuse values that would not come back unchanged from OpenAttestation."""
    t = type(value)
    if t is dict:
        for key, child in value.items():
            check_key(path, key)
            check_exportable(child, join(path, key))
    elif t is list:
        for i, child in enumerate(value):
            check_exportable(child, join(path, str(i)))
    elif t is int and not -SAFE_INTEGER <= value <= SAFE_INTEGER:
        raise OaError(
            path,
            f"the integer {value} is beyond JavaScript's exact range (2**53): OpenAttestation "
            "would round it; send it as a string",
        )


def oa_data(
    document: ValidDocument, issuer: OaIssuer, signature: str | None = None
) -> dict[str, Any]:
    """The raw OA ``data`` of one tdx document (with its tdx ``signature``, if given)."""
    check_exportable(document.content)
    tdx: dict[str, Any] = {
        "kind": document.kind.value,
        "digest": document.digest,
        "canonicalization": CANONICALIZATION,
    }
    if signature is not None:
        tdx["signature"] = signature
    data = {
        "id": document.digest,
        "name": TITLES[document.kind.value],
        "issuers": [issuer.block()],
        "tdx": tdx,
        "document": document.content,
    }
    check_raw(data)
    return data


def export_documents(
    documents: Sequence[ValidDocument],
    issuer: OaIssuer,
    signatures: Sequence[str | None] | None = None,
) -> list[WrappedDocument]:
    """tdx documents wrapped as one OA batch (one Merkle root to issue), each with its tdx
    signature when ``signatures`` are given."""
    signed = signatures if signatures is not None else [None] * len(documents)
    if len(signed) != len(documents):
        raise OaError("signatures", "one signature (or None) per document")
    return wrap_documents([oa_data(d, issuer, s) for d, s in zip(documents, signed, strict=True)])


def tdx_digest_of(wrapped: Mapping[str, Any]) -> str | None:
    """The tdx digest an exported OA document links to (None if it is not an export)."""
    data = wrapped.get("data")
    tdx = data.get("tdx") if type(data) is dict else None
    found = unsalt_exact(tdx.get("digest")) if type(tdx) is dict else None
    return found if type(found) is str else None


__all__ = [
    "CANONICALIZATION",
    "TITLES",
    "OaIssuer",
    "check_exportable",
    "export_documents",
    "oa_data",
    "tdx_digest_of",
]
