"""Building what a sending platform sends: the chain entry, the manifest, the envelope.

An envelope is the transport document as plain JSON, the signed envelope manifest (the
TD checksum, the last chain entry's checksum and the additional documents' metadata), and
the transfer chain: every earlier entry exactly as it was received, then this platform's
new entry. Every payload is checked against DCSA's schema before it is signed, so a
platform never signs something a conformant receiver must refuse.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interop.pint import schema
from interop.pint.checksums import (
    canonical_checksum,
    document_checksum,
    signed_content_checksum,
    transport_document_checksum,
)
from interop.pint.models import (
    ActionCode,
    DocumentMetadata,
    EnvelopeManifest,
    IssuanceManifest,
    Party,
    Transaction,
    TransferChainEntry,
    action_date_time,
)
from interop.pint.signatures import PlatformSigner


class EnvelopeBuildError(ValueError):
    """What we were asked to sign would break DCSA's schema: a bug or bad input, never sent."""


def _checked(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    problems = schema.violations(name, payload)
    if problems:
        raise EnvelopeBuildError(f"{name} breaks DCSA's schema: {'; '.join(problems)}")
    return payload


@dataclass(frozen=True)
class AdditionalDocument:
    """A supporting document, or the carrier's visualisation of the eBL, as bytes."""

    name: str
    media_type: str
    content: bytes

    @property
    def checksum(self) -> str:
        return document_checksum(self.content)

    def metadata(self) -> DocumentMetadata:
        return DocumentMetadata(
            name=self.name,
            size=len(self.content),
            mediaType=self.media_type,
            documentChecksum=self.checksum,
        )


def transaction(
    code: ActionCode,
    actor: Party,
    at: datetime.datetime,
    recipient: Party | None = None,
    **extra: str,
) -> Transaction:
    """One transaction, its time written as DCSA wants it (RFC 3339, UTC, milliseconds)."""
    return Transaction(
        actionCode=code.value,
        actor=actor,
        recipient=recipient,
        actionDateTime=action_date_time(at),
        **extra,
    )


def issuance_manifest(
    transport_document: Mapping[str, Any],
    issue_to: Party,
    carrier_signer: PlatformSigner,
    visualisation: AdditionalDocument | None = None,
) -> str:
    """The carrier's signed issuance manifest, carried by the first chain entry.

    ``issueToChecksum`` covers the party the eBL was issued to in RFC 8785 form; only the
    issuing platform can check it (DCSA's conformance tools say as much).
    """
    manifest = IssuanceManifest(
        documentChecksum=transport_document_checksum(transport_document),
        issueToChecksum=canonical_checksum(issue_to.wire()),
        eBLVisualisationByCarrierChecksum=visualisation.checksum if visualisation else None,
    )
    return carrier_signer.sign(_checked("IssuanceManifest", manifest.wire()))


def chain_entry(
    transport_document: Mapping[str, Any],
    previous_chain: Sequence[str],
    transactions: Sequence[Transaction],
    signer: PlatformSigner,
    issuance_manifest_signed: str | None = None,
) -> str:
    """This platform's signed entry, linked to the last entry it received."""
    if not transactions:
        raise EnvelopeBuildError("a chain entry records at least one transaction")
    if not previous_chain and issuance_manifest_signed is None:
        raise EnvelopeBuildError("the first chain entry carries the carrier's issuance manifest")
    if previous_chain and issuance_manifest_signed is not None:
        raise EnvelopeBuildError("only the first chain entry carries the issuance manifest")
    entry = TransferChainEntry(
        eblPlatform=signer.platform,
        transportDocumentChecksum=transport_document_checksum(transport_document),
        previousEnvelopeTransferChainEntrySignedContentChecksum=(
            signed_content_checksum(previous_chain[-1]) if previous_chain else None
        ),
        issuanceManifestSignedContent=issuance_manifest_signed,
        transactions=list(transactions),
    )
    return signer.sign(_checked("EnvelopeTransferChainEntry", entry.wire()))


@dataclass(frozen=True)
class Envelope:
    """An ``EblEnvelope``: exactly what goes over the wire, and its checksums."""

    transport_document: dict[str, Any]
    manifest: str
    chain: tuple[str, ...]

    @property
    def td_checksum(self) -> str:
        return transport_document_checksum(self.transport_document)

    @property
    def last_entry_checksum(self) -> str:
        return signed_content_checksum(self.chain[-1])

    def to_json(self) -> dict[str, Any]:
        return {
            "transportDocument": self.transport_document,
            "envelopeManifestSignedContent": self.manifest,
            "envelopeTransferChain": list(self.chain),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Envelope:
        return cls(
            dict(value["transportDocument"]),
            str(value["envelopeManifestSignedContent"]),
            tuple(str(e) for e in value["envelopeTransferChain"]),
        )


def build_envelope(
    transport_document: Mapping[str, Any],
    chain: Sequence[str],
    signer: PlatformSigner,
    documents: Sequence[AdditionalDocument] = (),
    visualisation: AdditionalDocument | None = None,
) -> Envelope:
    """Sign the manifest over a chain whose last entry is this platform's own."""
    if not chain:
        raise EnvelopeBuildError("an envelope carries at least one chain entry")
    checksums = [d.checksum for d in documents]
    if len(set(checksums)) != len(checksums):
        raise EnvelopeBuildError("an additional document is listed twice")
    manifest = EnvelopeManifest(
        transportDocumentChecksum=transport_document_checksum(transport_document),
        lastEnvelopeTransferChainEntrySignedContentChecksum=signed_content_checksum(chain[-1]),
        eBLVisualisationByCarrier=visualisation.metadata() if visualisation else None,
        supportingDocuments=[d.metadata() for d in documents] or None,
    )
    signed = signer.sign(_checked("EnvelopeManifest", manifest.wire()))
    envelope = Envelope(dict(transport_document), signed, tuple(chain))
    _checked("EblEnvelope", envelope.to_json())
    return envelope
