"""The embedded ledger's writer: durable group commit, and the receipts it answers with.

One writer thread takes every queued transaction, executes the chaincode on each inside
its own savepoint (a refused transaction changes nothing), appends the accepted ones to
the hash-chained log and its RFC 9162 tree, signs a checkpoint of the new tree, and
commits once with ``synchronous=FULL`` (an fsync of the WAL). Only then are the callers'
receipts released: nothing acknowledged is lost. A receipt is built from what the writer
itself wrote (the entry, its leaf, the group's checkpoint and the tree nodes it read and
stored), not read back; only the records it names are read, from the committed state.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chaincode.lifecycle import Effects, Refusal, RefusalKind, apply, link_is_mutual
from chaincode.records import DocumentRecord
from chaincode.transactions import utc
from ledger.admission import admit
from ledger.embedded import rail_tables
from ledger.embedded.entries import GENESIS_PREV, NodeTable, entry_hash, entry_leaf
from ledger.embedded.proof_reads import ProofReads
from ledger.embedded.view import SqlView
from ledger.interface import Identities, Receipt, SignedDocument, document_summary
from ledger.records_codec import document_to_row, right_to_json
from ledger.signed_tx import SignedTx
from ledger.tlog import checkpoint, merkle


@dataclass(frozen=True)
class CheckpointSigner:
    origin: str
    key_name: str
    sign: Callable[[checkpoint.Checkpoint], str]
    verifier_key: str


@dataclass
class _Pending:
    signed: SignedTx
    future: Future[Receipt | Refusal | int]
    receipt: bool = True
    document: SignedDocument | None = None


class _GroupNodes:
    """The tree's nodes as one group commit sees them: read from the ``nodes`` table once,
    and those the group stores kept as it stores them; its root and its receipts' proofs
    then need few reads."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._table = NodeTable(db)
        self._known: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        value = self._known.get((level, index))
        if value is None:
            value = self._known[(level, index)] = self._table.get(level, index)
        return value

    def put(self, level: int, index: int, value: bytes) -> None:
        self._known[(level, index)] = value


@dataclass
class _Committed:
    """A durable group: each transaction's entry index (``-1 - index`` for one committed
    earlier) or refusal, the leaves of its new entries, its checkpoint and tree size."""

    outcome: list[int | Refusal]
    nodes: _GroupNodes
    note: str = ""
    size: int = 0
    leaves: dict[int, bytes] = field(default_factory=dict)


def tip(db: sqlite3.Connection) -> tuple[int, str]:
    """The log's size and the hash of its last entry (``GENESIS_PREV`` when empty)."""
    row = db.execute("SELECT idx, leaf FROM entries ORDER BY idx DESC LIMIT 1").fetchone()
    if row is None:
        return 0, GENESIS_PREV
    return int(row[0]) + 1, entry_hash(bytes(row[1]))


def _document_values(doc: DocumentRecord, entry: int) -> tuple[object, ...]:
    """A record's row in column order: ``document_to_row`` and the entry that made it."""
    return (*document_to_row(doc), entry)


class GroupCommit:
    """The writer of one ledger file: its own connection, its queue and its thread."""

    def __init__(
        self,
        db: sqlite3.Connection,
        path: Path,
        identities: Identities,
        signer: CheckpointSigner,
        clock: Callable[[], datetime.datetime],
        max_group: int,
    ) -> None:
        self._db = db
        self._identities = identities
        self._signer = signer
        self._clock = clock
        self._max_group = max_group
        self._signer_keys: dict[str, str] = {}
        self._duplicates = ProofReads(keep=False)  # a duplicate's receipt reads its proof
        # Every process that serves this ledger (``tdx serve``'s workers) has a writer; they
        # take turns on this lock, which wakes the next one as soon as a commit ends, instead
        # of SQLite's busy handler, which polls with sleeps of up to 100 ms.
        self._write_lock = open(path.with_name(path.name + ".lock"), "a+b")  # noqa: SIM115
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self.closed = False
        self._writer = threading.Thread(
            target=self._write_loop, name="tdx-ledger-writer", daemon=True
        )
        self._writer.start()

    def submit_later(
        self, signed: SignedTx, document: SignedDocument | None = None
    ) -> Future[Receipt | Refusal | int]:
        """Queue a transaction (and the document to keep with it) for the next group
        commit: the future is its receipt or refusal, set once the group is durable."""
        if self.closed:
            raise RuntimeError("the ledger is closed")
        pending = _Pending(signed, Future(), True, document)
        pending.future.set_running_or_notify_cancel()  # queued is final: cancel() now fails
        self._queue.put(pending)
        return pending.future

    def submit_all(
        self, signed: Sequence[SignedTx], receipts: bool
    ) -> list[Receipt | Refusal | int]:
        """Queue the transactions and wait until durable: each one's receipt (or, without
        ``receipts``, its entry index) or its refusal."""
        if self.closed:
            raise RuntimeError("the ledger is closed")
        pending = [_Pending(s, Future(), receipts) for s in signed]
        for p in pending:
            self._queue.put(p)
        return [p.future.result() for p in pending]

    def queue_depth(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Commit what is queued, stop the thread and let go of the lock file."""
        self.closed = True
        self._queue.put(None)
        self._writer.join()
        self._write_lock.close()

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            # The group is gathered once this writer holds the lock: whatever arrived while
            # another process committed joins it. Receipts are built after the lock is let go.
            fcntl.flock(self._write_lock, fcntl.LOCK_EX)
            try:
                group, stop = self._gather(first)
                try:
                    outcome: _Committed | BaseException = self._commit_group(
                        [(p.signed, p.document) for p in group]
                    )
                except BaseException as exc:  # a failed commit acknowledges nothing
                    outcome = exc
            finally:
                fcntl.flock(self._write_lock, fcntl.LOCK_UN)
            self._settle(group, outcome)
            if stop:
                return

    def _gather(self, first: _Pending) -> tuple[list[_Pending], bool]:
        """``first`` and what else is queued (up to a group); True if the ledger closes."""
        group = [first]
        while len(group) < self._max_group:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return group, True
            group.append(item)
        return group, False

    def _settle(self, group: list[_Pending], outcome: _Committed | BaseException) -> None:
        """Answer each caller of a committed (durable) group, or fail them all."""
        try:
            if isinstance(outcome, BaseException):
                raise outcome
            db = self._db
            db.execute("BEGIN")  # one snapshot of the committed state for the group's records
            try:
                results = [
                    self._answer(db, outcome, p.signed, item, p.receipt)
                    for p, item in zip(group, outcome.outcome, strict=True)
                ]
            finally:
                db.execute("COMMIT")
        except BaseException as exc:
            for p in group:
                p.future.set_exception(exc)
        else:
            for p, result in zip(group, results, strict=True):
                p.future.set_result(result)

    def _answer(
        self,
        db: sqlite3.Connection,
        committed: _Committed,
        signed: SignedTx,
        item: int | Refusal,
        receipt: bool,
    ) -> Receipt | Refusal | int:
        if isinstance(item, Refusal):
            return item
        if item < 0:  # committed by an earlier group: its receipt, read back
            return self._duplicate_receipt(db, -1 - item) if receipt else -1 - item
        if not receipt:
            return item
        proof = merkle.inclusion_proof(committed.nodes, item, committed.size)
        return Receipt(
            signed.id,
            item,
            entry_hash(committed.leaves[item]),
            committed.note,
            [p.hex() for p in proof],
            self._summaries(db, item),
        )

    def _summaries(self, db: sqlite3.Connection, index: int) -> list[dict[str, object]]:
        """How the receipt of entry ``index`` names the records it touched (at most five)."""
        view = SqlView(db, self._identities)
        return [
            document_summary(str(r[0]), view.document(str(r[0]), str(r[1])))
            for r in db.execute("SELECT doc, issuer FROM history WHERE entry = ? LIMIT 5", (index,))
        ]

    def _duplicate_receipt(self, db: sqlite3.Connection, index: int) -> Receipt:
        tx_id, cp_size = db.execute(
            "SELECT tx_id, cp_size FROM entries WHERE idx = ?", (index,)
        ).fetchone()
        note = db.execute("SELECT note FROM checkpoints WHERE size = ?", (cp_size,)).fetchone()[0]
        leaf, proof = self._duplicates.leaf_and_path(db, index, int(cp_size))
        proofs = [p.hex() for p in proof]
        docs = self._summaries(db, index)
        return Receipt(str(tx_id), index, entry_hash(leaf), note, proofs, docs, True)

    def _commit_group(self, group: list[tuple[SignedTx, SignedDocument | None]]) -> _Committed:
        """Commit a group; each transaction's entry index (``-1 - index`` for one already
        committed earlier) or its refusal. An accepted transaction's document is kept with
        its entry."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            size, prev = tip(db)
            first = size
            view = SqlView(db, self._identities)
            committed = _Committed([], _GroupNodes(db))
            for signed, document in group:
                existing = db.execute(
                    "SELECT idx FROM entries WHERE tx_id = ?", (signed.id,)
                ).fetchone()
                if existing is not None:
                    committed.outcome.append(-1 - int(existing[0]))  # a duplicate, marked
                    continue
                db.execute("SAVEPOINT tx")
                try:
                    leaf = self._execute(signed, view, size, prev, committed.nodes)
                except Refusal as refusal:
                    db.execute("ROLLBACK TO tx")
                    db.execute("RELEASE tx")
                    committed.outcome.append(refusal)
                    continue
                db.execute("RELEASE tx")
                if document is not None:
                    self._keep(document)
                committed.outcome.append(size)
                committed.leaves[size] = leaf
                prev = entry_hash(leaf)
                size += 1
            note = self._signer.sign(
                checkpoint.Checkpoint(self._signer.origin, size, merkle.root(committed.nodes, size))
            )
            db.execute("INSERT OR REPLACE INTO checkpoints VALUES (?, ?)", (size, note))
            # This group's entries, found by primary key: a scan for cp_size = -1 would read
            # the whole log on every commit (84 ms at a million entries).
            db.execute("UPDATE entries SET cp_size = ? WHERE idx >= ?", (size, first))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        committed.note, committed.size = note, size
        return committed

    def _keep(self, document: SignedDocument) -> None:
        v = document.validated
        self._db.execute(
            "INSERT OR IGNORE INTO signed_documents VALUES (?, ?, ?, ?, ?, ?)",
            (
                document.digest,
                document.envelope,
                v.kind.value if v else None,
                v.rules if v else None,
                v.issuing_country if v else None,
                v.verified if v else None,
            ),
        )

    def _execute(
        self, signed: SignedTx, view: SqlView, index: int, prev: str, nodes: _GroupNodes
    ) -> bytes:
        tx = signed.tx
        now = self._clock()
        actor = admit(signed, self._identities, now)
        self._bind_key(signed.kid, actor.id)
        effects = apply(tx, actor, view)
        leaf = entry_leaf(index, prev, utc(now), signed)
        db = self._db
        db.execute("INSERT INTO entries VALUES (?, ?, ?, -1)", (index, signed.id, leaf))
        stored = merkle.append_nodes(index, merkle.leaf_hash(leaf), nodes.get)
        db.executemany("INSERT INTO nodes VALUES (?, ?, ?)", stored)
        self._store_effects(effects, index, view)
        # Kept for the group's root and proofs only once the savepoint holds (a refusal
        # raises before this, and its nodes are rolled back with it).
        for level, i, value in stored:
            nodes.put(level, i, value)
        return leaf

    def _bind_key(self, kid: str, org_id: str) -> None:
        """A ledger key acts for the first organisation whose transaction it signed, and for
        no other: a certificate that another country issued over an organisation's key gives
        no second identity to its signatures (the contract's consented registration)."""
        if kid not in self._signer_keys:
            der = self._identities.certificate(kid)
            spki = (
                x509.load_der_x509_certificate(der)
                .public_key()
                .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
                if der is not None
                else kid.encode()
            )
            self._signer_keys[kid] = hashlib.sha256(spki).hexdigest()
        key = self._signer_keys[kid]
        row = self._db.execute("SELECT org FROM signers WHERE key = ?", (key,)).fetchone()
        if row is None:
            self._db.execute("INSERT INTO signers VALUES (?, ?)", (key, org_id))
        elif row[0] != org_id:
            raise Refusal(
                RefusalKind.FORBIDDEN,
                f"this ledger key acts for {row[0]}; one key acts for one organisation",
            )

    def _store_effects(self, effects: Effects, index: int, view: SqlView) -> None:
        db = self._db
        # A record keeps the entry that created it: the first record of a digest stays first.
        db.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id, issuer) DO UPDATE SET state = excluded.state, "
            "holder = excluded.holder, detail = excluded.detail",
            [_document_values(d, index) for d in effects.documents],
        )
        if effects.batch is not None:
            # One row per document, straight from the batch: no record objects, and no
            # history row each (a batch's documents are found through the batch's entry).
            b = effects.batch
            fixed = (b.kind.value, b.issuer, b.country, "ISSUED", b.time.isoformat(), b.root)
            db.executemany(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
                [(d, *fixed, index) for d in b.digests],
            )
            db.execute("INSERT INTO batches VALUES (?, ?, ?)", (b.root, b.issuer, index))
        db.executemany(
            "INSERT OR REPLACE INTO rights VALUES (?, ?)",
            [(r.container, right_to_json(r)) for r in effects.rights],
        )
        db.executemany(
            "INSERT OR IGNORE INTO released VALUES (?, ?, ?)",
            [(r.container, r.ebl, r.released_by) for r in effects.rights],
        )
        db.executemany(
            "INSERT OR IGNORE INTO history VALUES (?, ?, ?)",
            [(d, issuer, index) for d, issuer in effects.touched_records],
        )
        containers = [(c, d.id, d.issuer) for d in effects.documents for c in d.containers]
        if containers:
            db.executemany("INSERT OR IGNORE INTO containers VALUES (?, ?, ?)", containers)
        edges: list[tuple[str, str, str, str | None]] = []
        for d in effects.documents:
            if d.supersedes:  # the same issuer's records, both ways
                edges += [(d.id, d.issuer, d.supersedes, d.issuer)]
                edges += [(d.supersedes, d.issuer, d.id, d.issuer)]
            for link in d.links:
                edges.append((d.id, d.issuer, link, None))
                linked = view.document(link)
                if linked is not None and link_is_mutual(d.country, linked.country):
                    edges.append((link, linked.issuer, d.id, d.issuer))
        if edges:
            db.executemany("INSERT OR IGNORE INTO links VALUES (?, ?, ?, ?)", edges)
        rail_tables.store(db, effects, index)


__all__ = ["CheckpointSigner", "GroupCommit", "tip"]
