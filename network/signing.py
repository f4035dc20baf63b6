"""Signing documents as an organisation: the envelope format is ``chaincode.documents.envelope``;
this is the act, an organisation's document-signing key over that format's signing payload.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509

from chaincode.documents.envelope import JWS_TYPE, Envelope, signing_payload
from chaincode.documents.registry import ValidDocument
from identity import jws
from identity.keys import SigningKey
from network.home import Home


@dataclass(frozen=True)
class DocumentSigner:
    """An organisation's document-signing key and the x5c chain its signatures carry."""

    key: SigningKey
    chain: tuple[x509.Certificate, ...]

    @classmethod
    def of(cls, home: Home, org_id: str) -> DocumentSigner:
        """Read from the home (the key file is decrypted, which takes a while)."""
        creds = home.credentials(org_id)
        return cls(home.document_key(org_id), (creds.document_cert, creds.root))

    def sign(self, doc: ValidDocument, now: datetime.datetime) -> Envelope:
        payload = signing_payload(doc.kind, doc.digest, now)
        token = jws.sign(payload, self.key, list(self.chain), JWS_TYPE)
        return Envelope(doc.kind, doc.content, token)


def sign(home: Home, org_id: str, doc: ValidDocument, now: datetime.datetime) -> Envelope:
    return DocumentSigner.of(home, org_id).sign(doc, now)


__all__ = ["DocumentSigner", "sign"]
