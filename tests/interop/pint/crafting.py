"""Envelopes made by hand, right or wrong on purpose, for the receiver's every answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from interop.pint import (
    FinishedResponse,
    PlatformSigner,
    ResponseCode,
    document_checksum,
    issuance_manifest,
    signed_content_checksum,
    transport_document_checksum,
)
from interop.pint.models import action_date_time
from interop.pint.signatures import verify
from tests.interop.pint.platforms import T0, Platform

PREVIOUS = "previousEnvelopeTransferChainEntrySignedContentChecksum"


def tx(code, actor, recipient=None, minute=0, **extra):
    """A transaction as raw JSON (so a test can break it any way it likes)."""
    out = {
        "actionCode": code,
        "actor": actor.wire() if hasattr(actor, "wire") else actor,
        "actionDateTime": action_date_time(T0.replace(minute=minute)),
        **extra,
    }
    if recipient is not None:
        out["recipient"] = recipient.wire() if hasattr(recipient, "wire") else recipient
    return out


@dataclass
class Draft:
    """An envelope before signing: the TD, entry payloads with their signers, documents."""

    td: dict
    entries: list[dict]
    signers: list[PlatformSigner]
    manifest_signer: PlatformSigner
    documents: list[dict] = field(default_factory=list)  # DocumentMetadata, as JSON
    manifest_extra: dict = field(default_factory=dict)
    link: bool = True  # fill in each previous-entry checksum

    def chain(self) -> list[str]:
        out: list[str] = []
        for payload, signer in zip(self.entries, self.signers, strict=True):
            p = dict(payload)
            if self.link and out and PREVIOUS not in p:
                p[PREVIOUS] = signed_content_checksum(out[-1])
            out.append(signer.sign(p))
        return out

    def body(self, chain: Sequence[str] | None = None) -> dict:
        chain = list(chain if chain is not None else self.chain())
        manifest = {
            "transportDocumentChecksum": transport_document_checksum(self.td),
            "lastEnvelopeTransferChainEntrySignedContentChecksum": signed_content_checksum(
                chain[-1]
            ),
        }
        if self.documents:
            manifest["supportingDocuments"] = self.documents
        manifest.update(self.manifest_extra)
        return {
            "transportDocument": self.td,
            "envelopeManifestSignedContent": self.manifest_signer.sign(manifest),
            "envelopeTransferChain": chain,
        }


def first_entry(a: Platform, td: dict, recipient, minute=0, holder="cn-exporter") -> dict:
    issue_to = a.party(holder)
    return {
        "eblPlatform": a.code,
        "transportDocumentChecksum": transport_document_checksum(td),
        "issuanceManifestSignedContent": issuance_manifest(td, issue_to, a.signer),
        "transactions": [
            tx("ISSUE", a.party("cn-cosco"), issue_to, minute),
            tx("TRANSFER", issue_to, recipient, minute + 1),
        ],
    }


def draft(a: Platform, b: Platform, td: dict, recipient: str = "sg-importer") -> Draft:
    """A sound first transfer from ``a`` (the carrier's platform) to ``b``."""
    return Draft(td, [first_entry(a, td, b.party(recipient))], [a.signer], a.signer)


def document(content: bytes, name: str = "invoice.pdf", size: int | None = None) -> dict:
    return {
        "name": name,
        "size": len(content) if size is None else size,
        "mediaType": "application/pdf",
        "documentChecksum": document_checksum(content),
    }


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def answer(reply, ring) -> FinishedResponse:
    """The verified payload of a signed reply; its HTTP status must be DCSA's for its code."""
    assert isinstance(reply.body, str), reply
    signed = verify(reply.body, ring)
    found = FinishedResponse.model_validate(signed.payload)
    assert reply.status == found.responseCode.http_status, (reply.status, found)
    return found


def code_of(reply, ring) -> ResponseCode:
    return answer(reply, ring).responseCode


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_jws(header: dict, payload: dict | bytes, key=None, hmac_secret: bytes | None = None) -> str:
    """A compact JWS with exactly this header, signed ES256 with ``key``, HS256 with
    ``hmac_secret``, or not at all: the header may say anything."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(data)}"
    if key is not None:
        der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = utils.decode_dss_signature(der)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif hmac_secret is not None:
        signature = hmac.new(hmac_secret, signing_input.encode(), hashlib.sha256).digest()
    else:
        signature = b"not a signature"  # non-empty: DCSA's pattern wants three parts
    return f"{signing_input}.{_b64url(signature)}"


def payload_of(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
