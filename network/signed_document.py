"""The signed-document envelope: a document, its kind, and a JWS over its digest.

The JWS payload is ``{"kind", "digest", "signedAt"}`` in RFC 8785 form, so the signature
covers exactly the canonical digest of the document. A changed field changes the digest,
which the ``integrity`` check reports even though the signature itself still verifies.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from chaincode.canonical import canonical_bytes, parse_json
from chaincode.documents.registry import DocumentKind, ValidDocument
from identity import jws
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


def sign(home: Home, org_id: str, doc: ValidDocument, now: datetime.datetime) -> Envelope:
    creds = home.credentials(org_id)
    key = home.signing_key(org_id)
    payload = canonical_bytes(
        {"kind": doc.kind.value, "digest": doc.digest, "signedAt": timestamp(now)}
    )
    token = jws.sign(payload, key, [creds.document_cert, creds.root], JWS_TYPE)
    return Envelope(doc.kind, doc.content, token)


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
