"""The interface every ledger engine offers, its capabilities, and the values it returns.

Engines order transactions, execute the chaincode rules on them, persist the effects
durably, and prove what they hold. A receipt is returned only after the transaction is
durable.

``Ledger`` is what every engine offers. A capability only some engines have is its own
protocol: ``ProvableLedger`` (signed checkpoints, offline proof bundles, a whole-log audit)
is the embedded Merkle log's. A node holds its engine typed by what it offers, so an
engine without a capability says so through its type, never through an exception.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from chaincode.lifecycle import Refusal
from chaincode.rail.consignment import RouteRecord
from chaincode.rail.events import RecordedEvent
from chaincode.rail.report import Journey
from chaincode.records import Actor, DocumentRecord, PickupRight
from identity.checks import Report
from identity.tx_keys import TxVerifier
from ledger.evidence import Evidence, IssueValidation
from ledger.signed_tx import SignedTx


class Identities(Protocol):
    """Who may sign transactions: resolves an organisation's verified ledger key."""

    def authenticate(
        self, org_id: str, kid: str, at: datetime.datetime
    ) -> tuple[Actor, TxVerifier]:
        """The actor and its key, if ``kid`` is its trusted, unrevoked ledger certificate
        at time ``at``; raises ``Refusal`` otherwise."""
        ...

    def party(self, org_id: str) -> Actor | None: ...

    def certificate(self, kid: str) -> bytes | None:
        """The DER ledger certificate with this fingerprint, for offline proofs."""
        ...


# The engines a receipt can name (the values of ``network.config.LedgerEngine``).
EngineName = Literal["embedded", "evm", "fabric"]


@dataclass(frozen=True)
class Receipt:
    tx_id: str
    index: int
    entry_hash: str
    checkpoint: str
    inclusion: list[str]
    documents: list[dict[str, Any]]
    duplicate: bool = False
    # Which engine committed it, and where its blocks hold it: the block, the engine's own
    # transaction id (an EVM transaction hash, a Fabric txid), and the EVM event's log
    # index or the Fabric channel. None on the embedded engine, whose proof is the
    # checkpoint and inclusion path above.
    engine: EngineName = "embedded"
    block: int | None = None
    tx_hash: str | None = None
    log_index: int | None = None
    channel: str | None = None

    def to_json(self) -> dict[str, Any]:
        placed = (
            ("block", self.block),
            ("transaction", self.tx_hash),
            ("logIndex", self.log_index),
            ("channel", self.channel),
        )
        return {
            "txId": self.tx_id,
            "index": self.index,
            "entryHash": self.entry_hash,
            "checkpoint": self.checkpoint,
            "inclusionProof": self.inclusion,
            "documents": self.documents,
            **({"duplicate": True} if self.duplicate else {}),
            "ledger": {"engine": self.engine} | {k: v for k, v in placed if v is not None},
        }


@dataclass(frozen=True)
class SignedDocument:
    """A signed document to keep with the transaction that anchors it: committed in the same
    database transaction as the log entry (one fsync covers both), and gone with it if the
    rules refuse the transaction. ``validated`` is what the node established when it
    validated the document before signing it (see ``ledger.evidence.IssueValidation``)."""

    digest: str
    envelope: bytes
    validated: IssueValidation | None = None


def document_summary(doc_id: str, record: DocumentRecord | None) -> dict[str, Any]:
    """How a receipt names a record it touched: id, issuer, kind, state and (eBL) holder."""
    if record is None:
        return {"id": doc_id}
    out: dict[str, Any] = {
        "id": record.id,
        "issuer": record.issuer,
        "kind": record.kind.value,
        "state": record.state.value,
    }
    if record.holder:
        out["holder"] = record.holder
    return out


def single(results: Sequence[Receipt | Refusal]) -> Receipt:
    """The one result of a one-transaction ``submit_many``: its receipt, or its refusal
    raised."""
    (result,) = results
    if isinstance(result, Refusal):
        raise result
    return result


@dataclass(frozen=True)
class HistoryEntry:
    index: int
    tx_id: str
    op: str
    actor: str
    time: str
    doc: str | None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "txId": self.tx_id,
            "op": self.op,
            "actor": self.actor,
            "time": self.time,
            "doc": self.doc,
            **self.details,
        }


def rail_details(tx: dict[str, Any]) -> dict[str, Any]:
    """What a history entry shows of a rail transaction (its signed wire form): a border
    event as recorded, a registration by its note number and border stations, and a route
    held from another country's ledger by where it came from (not the signed note itself)."""
    if "event" in tx:
        return {"event": tx["event"]}
    route = tx.get("route")
    if not isinstance(route, dict):
        return {}
    crossings = route.get("borderCrossings", [])
    details: dict[str, Any] = {
        "noteNumber": route.get("noteNumber"),
        "borderStations": [
            [c["exitStation"]["code"], c["entryStation"]["code"]] for c in crossings
        ],
    }
    origin = tx.get("origin")
    if isinstance(origin, dict):
        details["origin"] = {k: origin.get(k) for k in ("country", "issuer", "evidence")}
    return details


@dataclass(frozen=True)
class LogFacts:
    """What a whole-log audit counted."""

    entries: int
    checkpoints: int
    signatures: int

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "signatures": self.signatures,
        }


# The result of re-checking the whole log: one failed check per problem, named by entry or
# checkpoint, first to last.
LogCheck = Report[LogFacts]


class EvidenceSource(Protocol):
    def evidence(self, digest: str, issuer: str) -> Evidence | None:
        """The ledger's evidence for ``digest`` as anchored by ``issuer``: the record (issuer,
        kind, time, state, holder) and what backs it (an inclusion proof, or the block read).

        An engine that keys records by digest alone returns its one record of the digest
        whatever its issuer, and the verifier binds it (``network.verification.binding``
        compares issuer and kind with the signer's, naming both on a mismatch); an engine
        that keys records by issuer and digest returns that issuer's record. None if it
        holds no such record."""
        ...


class Ledger(EvidenceSource, Protocol):
    """What every engine offers: ordered, durable, rule-checked transactions and reads."""

    # True when reads are local and never wait for the writer or the network, so a
    # verification may run on a server's event loop instead of a worker thread.
    nonblocking_reads: bool

    def submit(self, signed: SignedTx) -> Receipt:
        """Commit one transaction; raises ``Refusal`` if the rules refuse it."""
        ...

    def submit_many(self, signed: Sequence[SignedTx]) -> list[Receipt | Refusal]: ...

    def import_many(self, signed: Sequence[SignedTx]) -> list[int | Refusal]:
        """As ``submit_many`` for bulk loads, answering with each entry's index."""
        ...

    def document(self, doc_id: str) -> DocumentRecord | None: ...

    def pickup_right(self, container: str) -> PickupRight | None: ...

    def history(self, doc_id: str) -> list[HistoryEntry]: ...

    def trace(self, doc_id: str) -> list[HistoryEntry]: ...

    def documents_for_container(self, container: str) -> list[str]: ...

    def held_by(self, org_id: str) -> list[str]: ...

    def links(self, doc_id: str) -> list[str]: ...

    def size(self) -> int:
        """Entries on the ledger (for readiness)."""
        ...

    def queue_depth(self) -> int:
        """Transactions waiting to be committed (for metrics)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class RailRecords(Protocol):
    """A ledger that keeps the rail corridor's records (``chaincode.rail.operations``): each
    consignment's registered route and the border events recorded on it."""

    def rail_route(self, doc_id: str) -> RouteRecord | None: ...

    def rail_events(self, doc_id: str) -> list[RecordedEvent]:
        """The consignment's border events, in ledger order."""
        ...

    def rail_journeys(self) -> list[Journey]:
        """Every registered consignment with its events: what the release-time report is
        computed from."""
        ...


@runtime_checkable
class DocumentKeeper(Protocol):
    """A ledger that keeps each signed document with the entry that anchors it (the embedded
    engine, whose log and documents share one database)."""

    def submit_document(self, signed: SignedTx, document: SignedDocument) -> Receipt:
        """Commit the transaction and keep the document with it, durably and atomically;
        raises ``Refusal`` (keeping nothing) if the rules refuse the transaction."""
        ...

    def submit_document_later(
        self, signed: SignedTx, document: SignedDocument
    ) -> Future[Receipt | Refusal | int]:
        """``submit_document`` without waiting: the future holds the receipt or the
        ``Refusal`` once the transaction is durable (or refused). Never an int here."""
        ...

    def signed_document(self, digest: str) -> bytes | None:
        """The signed document kept under this digest (the first one kept), or None."""
        ...


class ProvableLedger(Ledger, Protocol):
    """A ledger whose history is a Merkle log with signed checkpoints: it proves what it
    holds to an auditor who has nothing but a checkpoint and its key."""

    def checkpoint(self) -> str:
        """The latest signed checkpoint (a C2SP signed note)."""
        ...

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 proof that the tree of ``old_size`` entries is a prefix of the tree of
        ``new_size`` (for witnesses, auditors and peers holding an older checkpoint)."""
        ...

    def prove(self, doc_id: str) -> dict[str, Any]:
        """An offline proof bundle of the document's history against the latest checkpoint."""
        ...

    def verify_log(self, progress: Callable[[int, int], None] | None = None) -> LogCheck:
        """Re-check every entry and every checkpoint."""
        ...
