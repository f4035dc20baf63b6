"""The embedded ledger engine: SQLite in WAL mode, durable group commit, a Merkle log.

Writes go through ``ledger.embedded.group_commit``: one writer thread commits each group
of queued transactions once, with ``synchronous=FULL`` (an fsync of the WAL), and only
then are the callers' receipts released: nothing acknowledged is lost. Reads use a pool
of their own connections, each read one snapshot of the last commit, and never wait for
the writer.
"""

from __future__ import annotations

import base64
import datetime
import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.rail.consignment import RouteRecord
from chaincode.rail.events import RecordedEvent
from chaincode.rail.report import Journey
from chaincode.records import DocumentRecord, PickupRight
from chaincode.transactions import Op
from ledger.admission import batch_root
from ledger.embedded import rail_tables
from ledger.embedded.entries import NodeTable
from ledger.embedded.evidence_reads import EvidenceReads, Inclusion
from ledger.embedded.group_commit import CheckpointSigner, GroupCommit, tip
from ledger.embedded.log_audit import audit_log
from ledger.embedded.proof_reads import ProofReads
from ledger.embedded.schema import SCHEMA, upgrade
from ledger.embedded.view import SqlView
from ledger.evidence import Evidence, IssueValidation
from ledger.interface import (
    HistoryEntry,
    Identities,
    LogCheck,
    Receipt,
    SignedDocument,
    rail_details,
    single,
)
from ledger.provenance import provenance
from ledger.signed_tx import SignedTx
from ledger.sqlite_files import open_database
from ledger.tlog import checkpoint, merkle


class EmbeddedLedger:
    nonblocking_reads = True  # reads use their own WAL connections (see _reading)
    # Its evidence carries the node's notes of what it checked at issue (``verified``).
    keeps_issue_checks = True

    def __init__(
        self,
        path: Path,
        identities: Identities,
        signer: CheckpointSigner,
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
        max_group: int = 2000,
    ) -> None:
        self._identities = identities
        # Verifications' reads keep parts of the tree (see proof_reads); others read afresh.
        self._evidence, self._fresh_proofs = EvidenceReads(), ProofReads(keep=False)
        self._signer = signer
        self._db = open_database(
            path, SCHEMA + rail_tables.SCHEMA, synchronous="FULL", upgrade=upgrade
        )
        # Index lookups dominate batched anchoring; keep the hot pages in memory.
        self._db.execute("PRAGMA cache_size=-65536")
        self._db.execute("PRAGMA mmap_size=268435456")
        self._path = path
        # Readers get their own connections: in WAL mode a reader sees the last commit and
        # never waits for the writer, so a verification does not queue behind an fsync.
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        self._writing = GroupCommit(self._db, path, identities, signer, clock, max_group)

    # --- writing ----------------------------------------------------------------------

    def submit(self, signed: SignedTx) -> Receipt:
        return single(self.submit_many([signed]))

    def submit_many(self, signed: Sequence[SignedTx]) -> list[Receipt | Refusal]:
        """Queue the transactions for the next group commit and wait until durable."""
        results = self._writing.submit_all(signed, receipts=True)
        return [r for r in results if not isinstance(r, int)]

    def submit_document(self, signed: SignedTx, document: SignedDocument) -> Receipt:
        """Commit the transaction and keep the signed document with it, in the same
        database transaction (one fsync for both); a refused transaction keeps nothing. The
        first document kept under a digest stays (a digest names one content)."""
        result = self.submit_document_later(signed, document).result()
        assert not isinstance(result, int)
        return single([result])

    def submit_document_later(
        self, signed: SignedTx, document: SignedDocument
    ) -> Future[Receipt | Refusal | int]:
        """``submit_document`` without the wait (for an event loop): the future is the
        receipt or the refusal, set once the group commit is durable."""
        return self._writing.submit_later(signed, document)

    def signed_document(self, digest: str) -> bytes | None:
        """The signed document kept under ``digest`` (see ``submit_document``), or None."""
        with self._reading(snapshot=False) as db:
            row = db.execute(
                "SELECT envelope FROM signed_documents WHERE id = ?", (digest,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def import_many(self, signed: Sequence[SignedTx]) -> list[int | Refusal]:
        """Like ``submit_many`` for bulk loads: durable just the same, but answers with the
        entry index of each accepted transaction instead of building its receipt."""
        results = self._writing.submit_all(signed, receipts=False)
        return [r for r in results if not isinstance(r, Receipt)]

    def _tip(self, db: sqlite3.Connection | None = None) -> tuple[int, str]:
        return tip(db or self._db)

    # --- reading ----------------------------------------------------------------------

    @contextmanager
    def _reading(self, snapshot: bool = True) -> Iterator[sqlite3.Connection]:
        """A read connection, without the writer's lock. With ``snapshot`` its reads share
        one read transaction; a single statement is consistent on its own (no BEGIN)."""
        db = self._reader()
        try:
            if not snapshot:
                yield db
                return
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")
        finally:
            self._readers.put(db)

    def _reader(self) -> sqlite3.Connection:
        """A read connection; the caller puts it back in ``self._readers``."""
        if self._writing.closed:
            raise RuntimeError("the ledger is closed")
        try:
            return self._readers.get_nowait()
        except queue.Empty:
            db = sqlite3.connect(
                self._path, timeout=30, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA query_only=ON")
            db.execute("PRAGMA mmap_size=268435456")
            with self._opened_lock:
                self._opened.append(db)
            return db

    def _checkpoint(self, db: sqlite3.Connection) -> str:
        row = db.execute("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        if row is None:
            return self._signer.sign(
                checkpoint.Checkpoint(self._signer.origin, 0, merkle.root(NodeTable(db), 0))
            )
        return str(row[0])

    def checkpoint(self) -> str:
        with self._reading(snapshot=False) as db:
            return self._checkpoint(db)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof from the tree of ``old_size`` entries to the tree of
        ``new_size`` (what a witness checks before it cosigns). Nodes are immutable once
        written, so no snapshot is needed; a size beyond the log is a ``ValueError``."""
        if not 0 <= old_size <= new_size:
            raise ValueError(f"sizes must satisfy 0 <= old ({old_size}) <= new ({new_size})")
        with self._reading(snapshot=False) as db:
            size = self._tip(db)[0]
            if new_size > size:
                raise ValueError(f"size {new_size} is beyond the log's {size} entries")
            return merkle.consistency_proof(NodeTable(db), old_size, new_size)

    def queue_depth(self) -> int:
        """Transactions waiting for the writer (approximate, for metrics)."""
        return self._writing.queue_depth()

    def size(self) -> int:
        with self._reading(snapshot=False) as db:
            return self._tip(db)[0]

    @staticmethod
    def _entry_indexes(
        db: sqlite3.Connection, records: set[tuple[str, str]], below: int | None = None
    ) -> list[int]:
        """The log entries that touched these records (digest, issuer), their batches'
        entries included."""
        keys = set(records)
        for doc_id, issuer in records:
            row = db.execute(
                "SELECT batch FROM documents WHERE id = ? AND issuer = ?", (doc_id, issuer)
            ).fetchone()
            if row is not None and row[0] is not None:
                keys.add((str(row[0]), issuer))
        entries: set[int] = set()
        for doc_id, issuer in keys:
            entries.update(
                int(r[0])
                for r in db.execute(
                    "SELECT entry FROM history WHERE doc = ? AND issuer = ?", (doc_id, issuer)
                )
            )
        return sorted(e for e in entries if below is None or e < below)

    def document_and_inclusion(
        self, doc_id: str, issuer: str | None = None
    ) -> tuple[DocumentRecord, Inclusion | None, IssueValidation | None] | None:
        """A document's record, its inclusion and this node's note of its validation at
        issue (``EvidenceReads.document_and_inclusion``)."""
        db = self._reader()  # one statement: ``_reading(snapshot=False)``, less its cost
        try:
            return self._evidence.document_and_inclusion(db, doc_id, issuer)
        finally:
            self._readers.put(db)

    def evidence(self, digest: str, issuer: str) -> Evidence | None:
        """``issuer``'s record of ``digest`` and its inclusion proof (see ``Ledger.evidence``);
        if ``issuer`` anchored no record of it, the digest's first record (another issuer's),
        so that the verifier can name who did. With them, this node's note of its
        validation of the document at issue, if it signed it (``Evidence.validated``)."""
        db = self._reader()  # single statements: ``_reading(snapshot=False)``, less its cost
        try:
            return self._evidence.evidence(db, digest, issuer)
        finally:
            self._readers.put(db)

    def prove(self, doc_id: str, issuer: str | None = None) -> dict[str, Any]:
        """Everything an auditor needs to check a document's history offline: the
        history of ``issuer``'s record of it (by default the digest's first record)."""
        with self._reading() as db:
            note = self._checkpoint(db)
            size = int(note.split("\n")[1])
            entries = []
            kids = set()
            batch_digests: list[str] = []
            owner = SqlView(db, self._identities).issuer_of(doc_id, issuer)
            records = {(doc_id, owner)} if owner is not None else set()
            for index in self._entry_indexes(db, records, below=size):
                leaf, path = self._fresh_proofs.leaf_and_path(db, index, size)
                tx = json.loads(leaf)["signed"]
                kids.add(tx["kid"])
                if tx["tx"]["op"] == Op.ANCHOR_BATCH.value:
                    batch_digests = list(tx["tx"]["digests"])
                entries.append(
                    {
                        "index": index,
                        "leaf": base64.b64encode(leaf).decode(),
                        "inclusionProof": [p.hex() for p in path],
                    }
                )
            if not entries:
                raise Refusal(RefusalKind.NOT_FOUND, f"document {doc_id} is not on the ledger")
            proof: dict[str, Any] = {
                "format": "tdx-proof/1",
                "document": doc_id,
                "checkpoint": note,
                "entries": entries,
                "certificates": {
                    kid: base64.b64encode(der).decode()
                    for kid in sorted(kids)
                    if (der := self._identities.certificate(kid)) is not None
                },
            }
            if batch_digests:
                position = batch_digests.index(doc_id)
                store = merkle.MemoryNodeStore()
                for i, d in enumerate(batch_digests):
                    for level, idx, h in merkle.append_nodes(
                        i, merkle.leaf_hash(d.encode()), store.get
                    ):
                        store.put(level, idx, h)
                proof["batch"] = {
                    "root": batch_root(batch_digests),
                    "position": position,
                    "size": len(batch_digests),
                    "inclusionProof": [
                        p.hex() for p in merkle.inclusion_proof(store, position, len(batch_digests))
                    ],
                }
            return proof

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        """``issuer``'s record of the digest; without ``issuer``, the digest's first record
        (the one anchored first, whoever anchored it). A verifier that knows the signer asks
        for the signer's record: another organisation's record of the same digest is its
        own claim and never the signer's."""
        with self._reading(snapshot=False) as db:
            return SqlView(db, self._identities).document(doc_id, issuer)

    def issuers(self, doc_id: str) -> list[str]:
        """Every organisation that anchored the digest, the first to anchor it first."""
        with self._reading(snapshot=False) as db:
            return SqlView(db, self._identities).issuers(doc_id)

    def pickup_right(self, container: str) -> PickupRight | None:
        with self._reading(snapshot=False) as db:
            return SqlView(db, self._identities).pickup_right(container)

    @staticmethod
    def _entries(db: sqlite3.Connection, indexes: Sequence[int]) -> list[HistoryEntry]:
        out = []
        for index in indexes:
            row = db.execute("SELECT tx_id, leaf FROM entries WHERE idx = ?", (index,)).fetchone()
            entry = json.loads(row[1])
            tx = entry["signed"]["tx"]
            details = {
                k: tx[k]
                for k in (
                    "kind",
                    "to",
                    "reason",
                    "purpose",
                    "newDoc",
                    "containers",
                    "container",
                    "expires",
                    "where",
                    "ref",
                    "action",
                    "proof",
                    "carrierPlatform",
                )
                if k in tx
            }
            if "digests" in tx:
                details["batchSize"] = len(tx["digests"])
            details.update(rail_details(tx))
            out.append(
                HistoryEntry(
                    index, str(row[0]), tx["op"], tx["actor"], tx["time"], tx.get("doc"), details
                )
            )
        return out

    def history(self, doc_id: str, issuer: str | None = None) -> list[HistoryEntry]:
        """The entries that touched ``issuer``'s record of the digest (by default its first
        record), in log order."""
        with self._reading() as db:
            owner = SqlView(db, self._identities).issuer_of(doc_id, issuer)
            if owner is None:
                return []
            return self._entries(db, self._entry_indexes(db, {(doc_id, owner)}))

    def links(self, doc_id: str, issuer: str | None = None) -> list[str]:
        """The documents in the record's provenance: those it links to, those it supersedes
        or is superseded by, and those of its own country that link to it."""
        with self._reading() as db:
            owner = SqlView(db, self._identities).issuer_of(doc_id, issuer)
            return sorted(
                {
                    str(r[0])
                    for r in db.execute(
                        "SELECT b FROM links WHERE a = ? AND issuer = ?", (doc_id, owner)
                    )
                }
            )

    def trace(
        self, doc_id: str, issuer: str | None = None, max_documents: int = 100
    ) -> list[HistoryEntry]:
        """Every entry that touched the record (``issuer``'s, by default the digest's first)
        or any record in its provenance (see ``links``; transitively, bounded), in log
        order."""
        with self._reading() as db:
            view = SqlView(db, self._identities)
            owner = view.issuer_of(doc_id, issuer)
            if owner is None:
                return []
            seen = provenance(db, view.issuer_of, (doc_id, owner), max_documents)
            return self._entries(db, self._entry_indexes(db, seen))

    def documents_for_container(self, container: str) -> list[str]:
        """Every digest with a record that names the container (a search: each record
        is its issuer's claim; naming a container gives no right over it)."""
        with self._reading(snapshot=False) as db:
            return [
                str(r[0])
                for r in db.execute(
                    "SELECT DISTINCT doc FROM containers WHERE container = ? ORDER BY doc",
                    (container,),
                )
            ]

    # --- the rail corridor (ledger.interface.RailRecords) ---------------------------------

    def rail_route(self, doc_id: str) -> RouteRecord | None:
        with self._reading(snapshot=False) as db:
            return rail_tables.route_of(db, doc_id)

    def rail_events(self, doc_id: str) -> list[RecordedEvent]:
        with self._reading(snapshot=False) as db:
            return rail_tables.events_of(db, doc_id)

    def rail_journeys(self) -> list[Journey]:
        """Every registered consignment and its events, from one snapshot."""
        with self._reading() as db:
            return list(rail_tables.journeys(db))

    def held_by(self, org_id: str) -> list[str]:
        with self._reading(snapshot=False) as db:
            return [
                str(r[0])
                for r in db.execute(
                    "SELECT DISTINCT id FROM documents WHERE holder = ? ORDER BY id", (org_id,)
                )
            ]

    def issued_by(self, org_id: str, kind: str, limit: int = 100) -> list[str]:
        """The latest documents of ``kind`` that ``org_id`` issued singly (not in a batch),
        newest first: an eBL desk's list of the eBLs a carrier issued."""
        # The literal 'ebl' lets SQLite use the partial index documents_ebls_issued.
        where = "kind = 'ebl'" if kind == "ebl" else "kind = :kind"
        sql = f"SELECT id FROM documents WHERE issuer = :org AND {where} "  # noqa: S608
        with self._reading(snapshot=False) as db:
            return [
                str(r[0])
                for r in db.execute(
                    sql + "ORDER BY entry DESC LIMIT :limit",
                    {"org": org_id, "kind": kind, "limit": limit},
                )
            ]

    # --- auditing ---------------------------------------------------------------------

    def verify_log(self, progress: Callable[[int, int], None] | None = None) -> LogCheck:
        """Re-check every entry and every checkpoint (see ``ledger.embedded.log_audit``), from one
        snapshot; writers carry on meanwhile."""
        with self._reading() as db:
            return audit_log(db, self._identities, self._signer.verifier_key, progress)

    def close(self) -> None:
        if self._writing.closed:
            return
        self._writing.close()
        self._db.close()
        with self._opened_lock:
            for db in self._opened:
                db.close()
            self._opened.clear()
