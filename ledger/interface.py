"""The one interface every ledger engine offers, and the values it returns.

Engines order transactions, execute the chaincode rules on them, persist the effects
durably, and prove what they hold. A receipt is returned only after the transaction is
durable.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chaincode.lifecycle import Refusal
from chaincode.records import Actor, DocumentRecord, PickupRight
from identity.tx_keys import TxVerifier
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


@dataclass(frozen=True)
class Receipt:
    tx_id: str
    index: int
    entry_hash: str
    checkpoint: str
    inclusion: list[str]
    documents: list[dict[str, Any]]
    duplicate: bool = False
    # The EVM engine's coordinates of the transaction (None on the embedded engine).
    block: int | None = None
    tx_hash: str | None = None
    log_index: int | None = None

    def to_json(self) -> dict[str, Any]:
        evm = {"block": self.block, "txHash": self.tx_hash, "logIndex": self.log_index}
        return {
            "txId": self.tx_id,
            "index": self.index,
            "entryHash": self.entry_hash,
            "checkpoint": self.checkpoint,
            "inclusionProof": self.inclusion,
            "documents": self.documents,
            **({"duplicate": True} if self.duplicate else {}),
            **({"evm": evm} if self.tx_hash is not None else {}),
        }


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


@dataclass(frozen=True)
class LogCheck:
    """The result of re-checking the whole log."""

    entries: int
    checkpoints: int
    signatures: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


class Ledger(Protocol):
    # True when reads are local and never wait for the writer or the network, so a
    # verification may run on a server's event loop instead of a worker thread.
    nonblocking_reads: bool

    def submit(self, signed: SignedTx) -> Receipt:
        """Commit one transaction; raises ``Refusal`` if the rules refuse it."""
        ...

    def submit_many(self, signed: Sequence[SignedTx]) -> list[Receipt | Refusal]: ...

    def document(self, doc_id: str) -> DocumentRecord | None: ...

    def pickup_right(self, container: str) -> PickupRight | None: ...

    def history(self, doc_id: str) -> list[HistoryEntry]: ...

    def trace(self, doc_id: str) -> list[HistoryEntry]: ...

    def documents_for_container(self, container: str) -> list[str]: ...

    def held_by(self, org_id: str) -> list[str]: ...

    def links(self, doc_id: str) -> list[str]: ...

    def checkpoint(self) -> str: ...

    def prove(self, doc_id: str) -> dict[str, Any]: ...

    def verify_log(self) -> LogCheck: ...

    def close(self) -> None: ...
