"""DCSA PINT 3.0.0: moving an eBL between platforms with non-repudiation, exclusive control
held by the platforms' ledgers. It builds and judges envelopes exactly as DCSA's vendored
OpenAPI file says (``interop.dcsa.PINT_SPEC``), sends them, and serves the receiving side.

Names: ``Sender`` / ``Transfer`` / ``Peer`` / ``Outcome`` (the sending side), ``Receiver``
and ``router`` / ``create_app`` (the receiving side), ``inspect_envelope`` /
``judge_history`` / ``judge_document`` (the receiver's checks as pure functions),
``build_envelope`` / ``chain_entry`` / ``issuance_manifest`` / ``transaction``,
``PlatformSigner`` / ``KeyRing`` (JWS with PS256, RS256 or ES256 and a ``kid``),
``PintStore`` (durable SQLite), and the port a platform implements on its ledger:
``PintLedger`` and ``PartyDirectory`` (``ReferenceLedger`` and ``StaticDirectory`` are
small implementations of them).
"""

from interop.pint.chain import ChainError, ChainFacts, walk
from interop.pint.checks import (
    History,
    Inspected,
    Judgement,
    inspect_envelope,
    judge_document,
    judge_history,
    missing_documents,
)
from interop.pint.checksums import (
    document_checksum,
    signed_content_checksum,
    transport_document_checksum,
)
from interop.pint.directory import StaticDirectory, organisation_account
from interop.pint.envelope import (
    AdditionalDocument,
    Envelope,
    EnvelopeBuildError,
    build_envelope,
    chain_entry,
    issuance_manifest,
    transaction,
)
from interop.pint.ledger_port import (
    Account,
    ControlRefusedError,
    InboundTransfer,
    LocalControl,
    OutboundTransfer,
    PartyDirectory,
    PintLedger,
    SignedAnswer,
)
from interop.pint.models import (
    ActionCode,
    FinishedResponse,
    IdentifyingCode,
    Party,
    ResponseCode,
    Transaction,
)
from interop.pint.receiver import Receiver, Reply
from interop.pint.reference_ledger import ReferenceLedger
from interop.pint.sender import (
    OutboundState,
    Outcome,
    Peer,
    Sender,
    SendRefusedError,
    Transfer,
    TransferPendingError,
)
from interop.pint.server import create_app, router
from interop.pint.signatures import KeyRing, PlatformSigner, SignatureError, key_id
from interop.pint.store import PintStore

__all__ = [
    "Account",
    "ActionCode",
    "AdditionalDocument",
    "ChainError",
    "ChainFacts",
    "ControlRefusedError",
    "Envelope",
    "EnvelopeBuildError",
    "FinishedResponse",
    "History",
    "IdentifyingCode",
    "InboundTransfer",
    "Inspected",
    "Judgement",
    "KeyRing",
    "LocalControl",
    "OutboundState",
    "OutboundTransfer",
    "Outcome",
    "Party",
    "PartyDirectory",
    "Peer",
    "PintLedger",
    "PintStore",
    "PlatformSigner",
    "Receiver",
    "ReferenceLedger",
    "Reply",
    "ResponseCode",
    "SendRefusedError",
    "Sender",
    "SignatureError",
    "SignedAnswer",
    "StaticDirectory",
    "Transaction",
    "Transfer",
    "TransferPendingError",
    "build_envelope",
    "chain_entry",
    "create_app",
    "document_checksum",
    "inspect_envelope",
    "issuance_manifest",
    "judge_document",
    "judge_history",
    "key_id",
    "missing_documents",
    "organisation_account",
    "router",
    "signed_content_checksum",
    "transaction",
    "transport_document_checksum",
    "walk",
]
