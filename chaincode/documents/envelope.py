"""The signed-document envelope, ``tdx-signed-document/1``: a document, its kind, and a
compact JWS over the document's digest.

The JWS payload is ``{"kind", "digest", "signedAt"}`` in RFC 8785 form, so the signature
covers exactly the canonical digest of the document: a changed field changes the digest,
which the ``integrity`` check reports even though the signature itself still verifies.

This module is the format only, pure and without keys: parsing an envelope (strictly, with
``chaincode.canonical.parse_json``), the bytes a signer signs, and reading a verified
payload back. The act of signing (``identity.jws.sign`` with an organisation's key) belongs
to whoever holds the key (``network.signing``), so that interop can read and build envelopes
without a node home.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import orjson

from chaincode.canonical import CanonicalizationError, canonical_bytes, parse_json
from chaincode.documents.registry import DocumentKind

FORMAT = "tdx-signed-document/1"
JWS_TYPE = "tdx-document+jws"


class EnvelopeError(ValueError):
    """Input that is not a tdx signed document; the message names the field and the rule."""


@dataclass(frozen=True)
class Envelope:
    kind: DocumentKind
    document: dict[str, Any]
    signature: str

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": self.kind.value,
            "document": self.document,
            "signature": self.signature,
        }


@dataclass(frozen=True)
class SignedClaim:
    """What the signature covers: the kind, the digest and the signer's claimed time."""

    kind: str
    digest: str
    signed_at: datetime.datetime


def timestamp(at: datetime.datetime) -> str:
    """RFC 3339 UTC with milliseconds, as DCSA writes times."""
    return at.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def signing_payload(kind: DocumentKind, digest: str, signed_at: datetime.datetime) -> bytes:
    """The bytes an issuer signs (as the JWS payload) for a document of ``kind``."""
    return canonical_bytes({"kind": kind.value, "digest": digest, "signedAt": timestamp(signed_at)})


def read_claim(payload: bytes) -> SignedClaim:
    """A verified JWS payload read back; ``EnvelopeError`` naming the field if malformed.

    The payload must be exactly the RFC 8785 form of its object, as ``signing_payload``
    writes it: one reading only (no duplicate keys, no whitespace, no other number forms),
    checked by writing the parsed object back, which costs less than a hooked parse."""
    try:
        obj = orjson.loads(payload)
        canonical = obj is not None and canonical_bytes(obj) == payload
    except (orjson.JSONDecodeError, CanonicalizationError) as exc:
        raise EnvelopeError(f"signed payload: not JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise EnvelopeError("signed payload: not a JSON object")
    if not canonical:
        raise EnvelopeError("signed payload: not in RFC 8785 canonical form")
    kind, digest, signed_at = obj.get("kind"), obj.get("digest"), obj.get("signedAt")
    if not isinstance(kind, str) or not isinstance(digest, str):
        raise EnvelopeError("signed payload: 'kind' and 'digest' must be strings")
    if not isinstance(signed_at, str):
        raise EnvelopeError("signed payload: 'signedAt' must be an RFC 3339 string")
    try:
        at = datetime.datetime.fromisoformat(signed_at)
    except ValueError:
        raise EnvelopeError(f"signed payload: signedAt {signed_at!r} is not RFC 3339") from None
    if at.tzinfo is None:
        raise EnvelopeError("signed payload: signedAt has no UTC offset")
    return SignedClaim(kind, digest, at)


def read(obj: Any) -> Envelope:
    """An envelope from already strictly parsed JSON."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise EnvelopeError(f"not a signed document (expected format {FORMAT!r})")
    try:
        kind = DocumentKind(str(obj.get("kind")))
    except ValueError:
        raise EnvelopeError(f"unknown document kind {obj.get('kind')!r}") from None
    document, signature = obj.get("document"), obj.get("signature")
    if not isinstance(document, dict):
        raise EnvelopeError("'document' must be a JSON object")
    if not isinstance(signature, str):
        raise EnvelopeError("'signature' must be a compact JWS string")
    return Envelope(kind, document, signature)


def parse(data: bytes | str) -> Envelope:
    """An envelope from JSON text, parsed strictly (duplicate keys, NaN refused)."""
    try:
        obj = parse_json(data)
    except CanonicalizationError as exc:
        raise EnvelopeError(str(exc)) from exc
    return read(obj)


__all__ = [
    "FORMAT",
    "JWS_TYPE",
    "Envelope",
    "EnvelopeError",
    "SignedClaim",
    "parse",
    "read",
    "read_claim",
    "signing_payload",
    "timestamp",
]
