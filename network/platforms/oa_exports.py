"""tdx documents exported as OpenAttestation v2 documents, issued on the node's TradeTrust
DocumentStore, and their revocations carried there.

An export reads each signed document from the node's store (with its signature, so that a
tdx verifier can judge the OA document as it judges the original), wraps them as one batch
(one Merkle root), writes down what it exported (``HOME/oa.db``) *before* it issues the root,
then issues it; ``--hide`` paths are obfuscated last, as the official ``obfuscateDocument``.

Revocation propagates. A document that is no longer in force on the ledger (revoked,
amended, replaced) must not verify on TradeTrust either: its targetHash is revoked on the
DocumentStore. The ledger is the outbox. What must be revoked is computed from the ledger's
state and the book of exports, never queued beside the ledger's commit, so nothing can be
lost between the two: not on a crash between the ledger's commit and the chain call, not
while the chain is unreachable, not when a document ended before its export was issued.
The node tries right after each ending (``Node.submit``: the usual case is then as quick as
a synchronous call, and a failure never undoes the ledger's commit); while the node serves,
its courier (``oa_courier``) retries whatever is still due, backing off while the chain is
away; ``tdx oa sync`` (the whole book) delivers it at once. One delivery runs at a time per
home, and each is idempotent (``isRevoked`` first: a targetHash already revoked counts as
delivered).
"""

from __future__ import annotations

import datetime
import fcntl
import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaincode.documents import envelope as envelope_format
from chaincode.documents.registry import DocumentKind, validate_document
from chaincode.records import DocState
from interop.oa import dumps, export_documents, obfuscate
from interop.oa.issuance import issue_batch
from ledger.sqlite_files import open_database, write_transaction
from network.platforms.oa_settings import OaSettings, funded, load

if TYPE_CHECKING:
    from network.platforms.node_port import PlatformNode

BOOK_FILE = "oa.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS exports (
    doc TEXT NOT NULL, target_hash TEXT NOT NULL, merkle_root TEXT NOT NULL,
    store TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (doc, target_hash)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revoked (
    target_hash TEXT NOT NULL, store TEXT NOT NULL, tx_hash TEXT, at TEXT NOT NULL,
    PRIMARY KEY (target_hash, store)) WITHOUT ROWID;
-- eBLs exported as TradeTrust titles: the wrapped document (its Merkle root is the token
-- id, so a retried export mints the very same token) and the holder it was exported by.
CREATE TABLE IF NOT EXISTS titles (
    doc TEXT NOT NULL, token TEXT NOT NULL, registry TEXT NOT NULL, holder TEXT NOT NULL,
    wrapped TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (doc, token)) WITHOUT ROWID;
-- The last attempt to carry revocations to the DocumentStore (one row), for tdx oa status.
CREATE TABLE IF NOT EXISTS attempt (
    one INTEGER PRIMARY KEY CHECK (one = 1), at TEXT NOT NULL, error TEXT);
"""
DELIVERY_LOCK = "oa.delivery.lock"
# A document in these states is no longer in force: its OA exports are revoked.
ENDED = frozenset({DocState.REVOKED, DocState.AMENDED, DocState.REPLACED})
log = logging.getLogger("tdx.oa")


class ExportError(ValueError):
    """A document that cannot be exported; the message names it and why."""


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


class ExportBook:
    """What this node exported (each document's targetHash, root and store) and which
    targetHashes it revoked there: ``HOME/oa.db``, written with a full fsync."""

    def __init__(self, path: Path) -> None:
        self._db = open_database(path, SCHEMA, synchronous="FULL")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ExportBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._db, self._lock)

    def record(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """(doc, targetHash, merkleRoot, store) of each exported document, in one commit."""
        with self._write():
            self._db.executemany(
                "INSERT OR IGNORE INTO exports VALUES (?, ?, ?, ?, ?)",
                [(*row, _now()) for row in rows],
            )

    def exports(self, doc_ids: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
        """(doc, targetHash, store) of the exports not revoked yet, of ``doc_ids`` or all."""
        sql = (
            "SELECT e.doc, e.target_hash, e.store FROM exports e WHERE NOT EXISTS (SELECT 1 "
            "FROM revoked r WHERE r.target_hash = e.target_hash AND r.store = e.store)"
        )
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY e.at, e.doc").fetchall()
        wanted = None if doc_ids is None else set(doc_ids)
        return [(str(d), str(t), str(s)) for d, t, s in rows if wanted is None or d in wanted]

    def export_of(self, target_hash: str) -> tuple[str, str, str] | None:
        """(doc, merkleRoot, store) of the export whose targetHash this is (revoked or not)."""
        with self._lock:
            row = self._db.execute(
                "SELECT doc, merkle_root, store FROM exports WHERE target_hash = ? LIMIT 1",
                (target_hash.lower().removeprefix("0x"),),
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]))

    def count(self) -> int:
        """How many documents were exported (a cheap sign that the book changed)."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM exports").fetchone()[0])

    def note_attempt(self, error: str | None) -> None:
        with self._write():
            self._db.execute("INSERT OR REPLACE INTO attempt VALUES (1, ?, ?)", (_now(), error))

    def last_attempt(self) -> tuple[str, str | None] | None:
        """(when, the error or None) of the last attempt to carry revocations."""
        with self._lock:
            row = self._db.execute("SELECT at, error FROM attempt WHERE one = 1").fetchone()
        return None if row is None else (str(row[0]), None if row[1] is None else str(row[1]))

    def mark_revoked(self, target_hash: str, store: str, tx_hash: str | None) -> None:
        with self._write():
            self._db.execute(
                "INSERT OR IGNORE INTO revoked VALUES (?, ?, ?, ?)",
                (target_hash, store, tx_hash, _now()),
            )

    def keep_title(
        self, doc: str, token: str, registry: str, holder: str, wrapped: dict[str, Any]
    ) -> None:
        with self._write():
            self._db.execute(
                "INSERT OR IGNORE INTO titles VALUES (?, ?, ?, ?, ?, ?)",
                (doc, token, registry, holder, dumps(wrapped), _now()),
            )

    def title(self, doc: str, token: str) -> tuple[str, dict[str, Any]] | None:
        """The holder that exported the eBL as token ``token``, and its wrapped document."""
        with self._lock:
            row = self._db.execute(
                "SELECT holder, wrapped FROM titles WHERE doc = ? AND token = ?", (doc, token)
            ).fetchone()
        return None if row is None else (str(row[0]), json.loads(row[1]))


def book_of(node: PlatformNode) -> ExportBook:
    return ExportBook(node.home.path / BOOK_FILE)


@dataclass(frozen=True)
class Exported:
    documents: list[dict[str, Any]]  # wrapped (and obfuscated where asked), in order
    merkle_root: str
    issued: dict[str, Any] | None  # the store and block, when the root was issued


def export_from_store(
    node: PlatformNode,
    doc_ids: Sequence[str],
    hide: Sequence[str] = (),
    issue: bool = True,
    settings: OaSettings | None = None,
) -> Exported:
    """The documents as one OA batch, with their tdx signatures; with ``issue``, its root
    issued on the node's DocumentStore (and any document that ended meanwhile revoked)."""
    if not doc_ids:
        raise ExportError("nothing to export: give at least one document id")
    oa = settings or load(node.home)
    documents, signatures = [], []
    for doc_id in dict.fromkeys(doc_ids):
        record = node.require(doc_id)
        if record.kind is DocumentKind.EBL:
            raise ExportError(
                f"{doc_id} is an eBL: it goes to TradeTrust as a transferable record "
                "(tdx oa export-ebl ID --registry ADDR)"
            )
        if record.state is not DocState.ISSUED:
            raise ExportError(f"{doc_id} is {record.state.value}: only a document in force")
        stored = node.store.get(doc_id)
        if stored is None:
            raise ExportError(f"this node holds no signed document {doc_id}")
        signed = envelope_format.parse(stored)
        documents.append(validate_document(signed.kind, signed.document))
        signatures.append(signed.signature)
    issuer = oa.issuer()
    wrapped = export_documents(documents, issuer, signatures)
    root = wrapped[0]["signature"]["merkleRoot"]
    issued = None
    with book_of(node) as book:
        # Written down before the root is issued: every issued export is in the book.
        book.record(
            (d.digest, w["signature"]["targetHash"], root, str(issuer.document_store))
            for d, w in zip(documents, wrapped, strict=True)
        )
    if issue:
        chain = oa.connect()
        store, account = oa.store(chain, node.home)
        receipt = issue_batch(store, funded(chain, account), wrapped)
        issued = {"documentStore": store.address, "block": int(receipt["blockNumber"])}
        propagate_revocations(node, [d.digest for d in documents], oa)
    shown = [obfuscate(w, hide) if hide else w for w in wrapped]
    return Exported(shown, root, issued)


@dataclass(frozen=True)
class Revocation:
    doc: str
    target_hash: str
    store: str
    tx_hash: str | None  # None: it was revoked there already

    def to_json(self) -> dict[str, Any]:
        return {
            "documentId": self.doc,
            "targetHash": self.target_hash,
            "documentStore": self.store,
            "txHash": self.tx_hash,
        }


def due(node: PlatformNode, doc_ids: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """The exports whose document is no longer in force and whose targetHash this node has
    not revoked on the DocumentStore yet (of ``doc_ids``, or every export)."""
    with book_of(node) as book:
        exports = book.exports(doc_ids)
    states: dict[str, DocState | None] = {}
    out = []
    for doc, target, store in exports:
        if doc not in states:
            record = node.ledger.document(doc)
            states[doc] = None if record is None else record.state
        if states[doc] in ENDED:
            out.append((doc, target, store))
    return out


def propagate_revocations(
    node: PlatformNode, doc_ids: Sequence[str] | None = None, settings: OaSettings | None = None
) -> list[Revocation]:
    """Revoke on the DocumentStore every export that is due (see ``due``); raises if the
    chain cannot be reached, leaving what is still due for the next call."""
    with _delivering(node.home.path / DELIVERY_LOCK):
        pending = due(node, doc_ids)
        if not pending:
            return []
        try:
            done = _deliver(node, pending, settings or load(node.home))
        except Exception as exc:
            with book_of(node) as book:
                book.note_attempt(f"{type(exc).__name__}: {exc}")
            raise
        with book_of(node) as book:
            book.note_attempt(None)
        return done


@contextmanager
def _delivering(lock_path: Path) -> Iterator[None]:
    """One delivery at a time per home, across threads and processes (a served node's
    courier, each HTTP worker's, ``tdx oa sync``): the second finds the first's work done."""
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _deliver(
    node: PlatformNode, pending: list[tuple[str, str, str]], oa: OaSettings
) -> list[Revocation]:
    chain = oa.connect()
    store, account = oa.store(chain, node.home)
    account = funded(chain, account)
    done = []
    with book_of(node) as book:
        for doc, target, address in pending:
            if address.lower() != store.address.lower():
                log.warning("export of %s is on %s, not this node's store", doc, address)
                continue
            tx_hash = None
            if not store.is_revoked(target):
                receipt = store.revoke(account, target)
                tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
            book.mark_revoked(target, address, tx_hash)
            done.append(Revocation(doc, target, address, tx_hash))
    return done


def after_end_of_force(node: PlatformNode, doc_id: str) -> None:
    """The node's attempt right after a document stopped being in force: never raises
    (the ledger has committed; what fails stays due for ``tdx oa sync``)."""
    try:
        propagate_revocations(node, [doc_id])
    except Exception as exc:  # the chain is away, or the settings are wrong: retried later
        log.warning("revocation of %s not yet carried to the DocumentStore: %s", doc_id, exc)


def write(documents: Sequence[dict[str, Any]], names: Sequence[str], output: Path) -> list[Path]:
    """One document to ``output`` (a ``.json`` file), several into the ``output`` directory."""
    if len(documents) == 1 and output.suffix == ".json":
        output.write_text(dumps(documents[0], indent=2) + "\n", encoding="utf-8")
        return [output]
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for document, name in zip(documents, names, strict=True):
        target = output / f"{name}.json"
        target.write_text(dumps(document, indent=2) + "\n", encoding="utf-8")
        written.append(target)
    return written


__all__ = [
    "BOOK_FILE",
    "ENDED",
    "ExportBook",
    "ExportError",
    "Exported",
    "Revocation",
    "after_end_of_force",
    "due",
    "export_from_store",
    "propagate_revocations",
    "write",
]
