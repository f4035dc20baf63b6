"""What a ledger can say about one document to a verifier: who anchored it, as which kind,
when, its state now, and the proof that backs the answer (an inclusion proof against a
signed checkpoint, the block whose state was read, or the channel whose chaincode state was
read).

A verification binds this evidence to the document's signer (``network.verification``):
the anchoring time replaces the signer's claimed time only when the ledger's issuer and
kind are the signer's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from chaincode.documents.registry import DocumentKind
from chaincode.external_control import elsewhere
from chaincode.records import DocState, DocumentRecord


@dataclass(frozen=True)
class MerkleInclusion:
    """The first log entry that touched the document, its inclusion proof, and the signed
    checkpoint (a C2SP note) the proof is against."""

    index: int
    leaf: bytes
    path: tuple[bytes, ...]
    checkpoint: str


@dataclass(frozen=True)
class BlockRead:
    """The contract state the record was read from: which chain, contract and block."""

    chain_id: int
    contract: str
    block: int
    block_hash: str


@dataclass(frozen=True)
class ChannelRead:
    """The chaincode state the record was read from: which channel and chaincode, and the
    channel's block height this node had indexed when it read."""

    channel: str
    chaincode: str
    height: int


@dataclass(frozen=True)
class PeerInclusion:
    """What another country's node answered for the record (a verification query): the
    first entry's inclusion proof against that node's signed checkpoint, to be checked with
    that node's checkpoint key as this node knows it (never a key the answer names)."""

    country: str
    inclusion: MerkleInclusion
    verifier_key: str


@dataclass(frozen=True)
class IssueValidation:
    """What the node that keeps a signed document recorded when it validated the document
    at issue, before signing it: the kind, the fingerprint of the rules it validated with,
    and the issuing country the document names. It is the node's own note, kept beside the
    log (never in it): it speaks for the document's canonical bytes, whoever presents them."""

    kind: DocumentKind
    rules: str
    issuing_country: str | None
    # ``sha256:<hex> verifier:<hex>``: the SHA-256 of the exact signed bytes whose format,
    # signature and integrity the node verified at issue, before keeping them, and a
    # fingerprint of the code that verified them (None: not verified then).
    verified: str | None = None


@dataclass(frozen=True)
class Evidence:
    digest: str
    issuer: str
    kind: DocumentKind
    time: datetime.datetime
    state: DocState
    holder: str | None = None
    superseded_by: str | None = None
    proof: MerkleInclusion | BlockRead | ChannelRead | PeerInclusion | None = None
    # An eBL whose control lives on another platform: where (``external_control.elsewhere``).
    elsewhere: str | None = None
    # Set when this node issued the digest's document itself and validated it then.
    validated: IssueValidation | None = None

    @classmethod
    def of(
        cls,
        record: DocumentRecord,
        proof: MerkleInclusion | BlockRead | ChannelRead | PeerInclusion | None,
        validated: IssueValidation | None = None,
    ) -> Evidence:
        return cls(
            record.id,
            record.issuer,
            record.kind,
            record.issued_at,
            record.state,
            record.holder,
            record.superseded_by,
            proof,
            elsewhere(record),
            validated,
        )


__all__ = [
    "BlockRead",
    "ChannelRead",
    "Evidence",
    "IssueValidation",
    "MerkleInclusion",
    "PeerInclusion",
]
