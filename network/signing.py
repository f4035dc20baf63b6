"""The signed-document envelope: a document, its kind, and a JWS over its digest.

The JWS payload is ``{"kind", "digest", "signedAt"}`` in RFC 8785 form, so the signature
covers exactly the canonical digest of the document. A changed field changes the digest,
which the ``integrity`` check reports even though the signature itself still verifies.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from chaincode.canonical import canonical_bytes, parse_json
from chaincode.documents.registry import DocumentKind, ValidDocument
from identity import jws
from identity.keys import PrivateKey
from network.home import Home

FORMAT = "tdx-signed-document/1"
JWS_TYPE = "tdx-document+jws"


class EnvelopeError(ValueError):
    """A file that is not a tdx signed document."""


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


def timestamp(at: datetime.datetime) -> str:
    """RFC 3339 UTC with milliseconds, as DCSA writes times."""
    return at.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class DocumentSigner:
    """An organisation's document-signing key and the x5c chain its signatures carry."""

    key: PrivateKey
    chain: tuple[x509.Certificate, ...]

    @classmethod
    def of(cls, home: Home, org_id: str) -> DocumentSigner:
        """Read from the home (the key file is decrypted, which takes a while)."""
        creds = home.credentials(org_id)
        return cls(home.signing_key(org_id), (creds.document_cert, creds.root))

    def sign(self, doc: ValidDocument, now: datetime.datetime) -> Envelope:
        payload = canonical_bytes(
            {"kind": doc.kind.value, "digest": doc.digest, "signedAt": timestamp(now)}
        )
        token = jws.sign(payload, self.key, list(self.chain), JWS_TYPE)
        return Envelope(doc.kind, doc.content, token)


def sign(home: Home, org_id: str, doc: ValidDocument, now: datetime.datetime) -> Envelope:
    return DocumentSigner.of(home, org_id).sign(doc, now)


def parse(data: bytes) -> Envelope:
    try:
        obj = parse_json(data)
    except ValueError as exc:
        raise EnvelopeError(str(exc)) from exc
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
