"""The EVM engine's SQLite index: the contract's logs turned into history entries, links,
container look-ups and batch memberships, plus the raw transactions this node sent.

One file, one connection and one lock; a page of logs commits with its cursor, so indexing
resumes where it stopped. Reading the chain is the engine's business, not this module's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from chaincode.transactions import Op, Transaction
from ledger.evm.events import Event
from ledger.evm.text import container_text, doc_text, org_name
from ledger.interface import HistoryEntry
from ledger.sqlite_files import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, block INTEGER NOT NULL, tx_hash TEXT NOT NULL UNIQUE,
    tx_id TEXT NOT NULL, op TEXT NOT NULL, actor TEXT NOT NULL, time TEXT NOT NULL,
    doc TEXT, details TEXT NOT NULL, log_index INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS history (doc TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (doc, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS facts (doc TEXT PRIMARY KEY, containers TEXT NOT NULL,
    links TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS links (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS containers (container TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (container, doc)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS supersede (old TEXT PRIMARY KEY, new TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS delegations (container TEXT NOT NULL, seq INTEGER NOT NULL,
    org TEXT NOT NULL, PRIMARY KEY (container, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch_members (doc TEXT PRIMARY KEY, root TEXT NOT NULL,
    position INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (root TEXT PRIMARY KEY, digests TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (address TEXT PRIMARY KEY, org TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sent (tx_id TEXT PRIMARY KEY, tx_hash TEXT NOT NULL,
    raw BLOB NOT NULL, wire TEXT NOT NULL, status TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sent_hash ON sent (tx_hash);
"""

DETAIL_KEYS = ("kind", "to", "reason", "purpose", "newDoc", "containers", "container", "expires")

# Another node's transaction, from its block and events: op, actor, time, doc, details.
Describe = Callable[[int, list[Event]], tuple[str, str, str, str | None, dict[str, Any]]]


class EvmIndex:
    """The index file; ``org_of`` maps checksum addresses to organisation ids."""

    def __init__(self, path: Path, org_of: Mapping[str, str]) -> None:
        self.db = open_database(path, SCHEMA, synchronous="FULL")
        self.lock = threading.RLock()
        self._org_of = org_of

    def meta(self, key: str) -> str | None:
        return self._one("SELECT value FROM meta WHERE key = ?", key)

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # --- what this node sent ------------------------------------------------------------

    def record_sent(self, tx_id: str, tx_hash: str, raw: bytes, wire: Mapping[str, Any]) -> None:
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO sent VALUES (?, ?, ?, ?, 'sent')",
                (tx_id, tx_hash, raw, json.dumps(wire)),
            )

    def sent(self, tx_id: str) -> tuple[str, bytes, str] | None:
        """tx hash, raw bytes and status of a transaction this node sent."""
        with self.lock:
            row = self.db.execute(
                "SELECT tx_hash, raw, wire, status FROM sent WHERE tx_id = ?", (tx_id,)
            ).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]), str(row[3]))

    def mark_reverted(self, tx_hash: str) -> None:
        with self.lock:
            self.db.execute("UPDATE sent SET status = 'reverted' WHERE tx_hash = ?", (tx_hash,))

    def wire(self, tx_hash: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute("SELECT wire FROM sent WHERE tx_hash = ?", (tx_hash,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def remember_batch(self, tx: Transaction) -> None:
        """A batch's digests stay off chain; this node keeps those it anchored, to answer
        for its members and build their inclusion proofs."""
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO batches VALUES (?, ?)",
                (tx.doc, json.dumps(list(tx.digests))),
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO batch_members VALUES (?, ?, ?)",
                [(d, tx.doc, i) for i, d in enumerate(tx.digests)],
            )

    # --- reading ------------------------------------------------------------------------

    def _one(self, sql: str, key: str) -> str | None:
        with self.lock:
            row = self.db.execute(sql, (key,)).fetchone()
        return None if row is None else str(row[0])

    def _column(self, sql: str, *params: str) -> list[str]:
        with self.lock:
            return [str(r[0]) for r in self.db.execute(sql, params)]

    def entry_of(self, tx_hash: str) -> tuple[int, str | None, int | None, list[str]]:
        """The entry a transaction made: seq (-1 if none), tx id, log index, documents."""
        with self.lock:
            row = self.db.execute(
                "SELECT seq, tx_id, log_index FROM entries WHERE tx_hash = ?", (tx_hash,)
            ).fetchone()
            seq = int(row[0]) if row else -1
            docs = [
                str(r[0])
                for r in self.db.execute(
                    "SELECT doc FROM history WHERE seq = ? LIMIT 5", (seq,)
                ).fetchall()
            ]
        return seq, str(row[1]) if row else None, int(row[2]) if row else None, docs

    def supersedes(self, doc_id: str) -> str | None:
        return self._one("SELECT old FROM supersede WHERE new = ?", doc_id)

    def superseded_by(self, doc_id: str) -> str | None:
        return self._one("SELECT new FROM supersede WHERE old = ?", doc_id)

    def facts(self, doc_id: str) -> tuple[list[str], list[str]]:
        with self.lock:
            row = self.db.execute(
                "SELECT containers, links FROM facts WHERE doc = ?", (doc_id,)
            ).fetchone()
        if row is None:
            return [], []
        return list(json.loads(row[0])), list(json.loads(row[1]))

    def batch_of(self, doc_id: str) -> str | None:
        return self._one("SELECT root FROM batch_members WHERE doc = ?", doc_id)

    def batch_digests(self, root: str) -> list[str]:
        return list(
            json.loads(self._one("SELECT digests FROM batches WHERE root = ?", root) or "[]")
        )

    def existing(self, doc_ids: Sequence[str]) -> list[str]:
        found: list[str] = []
        with self.lock:
            for start in range(0, len(doc_ids), 500):  # SQLite's bound-parameter limit
                chunk = list(doc_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                for table, column in (("docs", "id"), ("batch_members", "doc")):
                    found += [
                        str(r[0])
                        for r in self.db.execute(
                            f"SELECT {column} FROM {table} WHERE {column} IN ({marks})",  # noqa: S608
                            chunk,
                        )
                    ]
        return list(dict.fromkeys(found))

    def delegations(self, container: str) -> tuple[str, ...]:
        return tuple(
            self._column("SELECT org FROM delegations WHERE container = ? ORDER BY seq", container)
        )

    def entries(self, seqs: Sequence[int]) -> list[HistoryEntry]:
        out = []
        with self.lock:
            for seq in seqs:
                row = self.db.execute(
                    "SELECT tx_id, op, actor, time, doc, details FROM entries WHERE seq = ?",
                    (seq,),
                ).fetchone()
                tx_id, op, actor, when, doc, details = row
                out.append(HistoryEntry(seq, tx_id, op, actor, when, doc, json.loads(details)))
        return out

    def entry_seqs(self, doc_ids: set[str]) -> list[int]:
        keys = set(doc_ids)
        for doc_id in doc_ids:
            batch = self.batch_of(doc_id)
            if batch is not None:
                keys.add(batch)
        ordered = sorted(keys)
        marks = ",".join("?" * len(ordered))
        with self.lock:
            rows = self.db.execute(
                f"SELECT DISTINCT seq FROM history WHERE doc IN ({marks}) ORDER BY seq",  # noqa: S608
                ordered,
            ).fetchall()
        return [int(r[0]) for r in rows]

    def links(self, doc_id: str) -> list[str]:
        return self._column("SELECT b FROM links WHERE a = ? ORDER BY b", doc_id)

    def linked(self, doc_id: str, max_documents: int) -> set[str]:
        """The document and those linked to it, transitively, at most ``max_documents``."""
        seen = {doc_id}
        frontier = [doc_id]
        with self.lock:
            while frontier and len(seen) < max_documents:
                nxt = []
                for d in frontier:
                    for (b,) in self.db.execute("SELECT b FROM links WHERE a = ?", (d,)):
                        if b not in seen and len(seen) < max_documents:
                            seen.add(b)
                            nxt.append(b)
                frontier = nxt
        return seen

    def documents_for_container(self, container: str) -> list[str]:
        return self._column(
            "SELECT doc FROM containers WHERE container = ? ORDER BY doc", container
        )

    def with_facts(self) -> list[str]:
        """Documents with an entry and facts (containers, links): the eBLs among others."""
        return self._column(
            "SELECT DISTINCT h.doc FROM history h JOIN facts f ON f.doc = h.doc ORDER BY h.doc"
        )

    def size(self) -> int:
        with self.lock:
            return int(self.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    # --- indexing -----------------------------------------------------------------------

    def commit_page(
        self, by_tx: Mapping[str, tuple[int, list[Event]]], cursor: int, describe: Describe
    ) -> None:
        """Index a page's transactions and move the cursor, in one SQLite transaction."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for tx_hash, (block, events) in by_tx.items():
                    self._index_tx(tx_hash, block, events, describe)
                self.set_meta("cursor", str(cursor))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _index_tx(self, tx_hash: str, block: int, events: list[Event], describe: Describe) -> None:
        db = self.db
        if db.execute("SELECT 1 FROM entries WHERE tx_hash = ?", (tx_hash,)).fetchone():
            return  # already indexed (a page replayed after a crash between commits)
        for e in events:
            if e.name == "OrganisationRegistered":
                address = to_checksum_address(e.args["account"])
                db.execute(
                    "INSERT OR REPLACE INTO accounts VALUES (?, ?)",
                    (address, self._org_of.get(address)),
                )
        touched, pairs = self._index_facts(events)
        if not touched:
            return  # governance only: not a document entry
        row = db.execute("SELECT tx_id, wire FROM sent WHERE tx_hash = ?", (tx_hash,)).fetchone()
        if row is not None:
            tx_id, wire = str(row[0]), json.loads(row[1])
            self._facts_from_wire(wire, pairs)
            op, actor, when, doc = wire["op"], wire["actor"], wire["time"], wire.get("doc")
            details = {k: wire[k] for k in DETAIL_KEYS if k in wire}
            if "digests" in wire:
                details["batchSize"] = len(wire["digests"])
        else:
            # Another node's transaction: what the events say, at the block's time.
            tx_id = tx_hash
            op, actor, when, doc, details = describe(block, events)
        cur = db.execute(
            "INSERT INTO entries (block, tx_hash, tx_id, op, actor, time, doc, details, log_index)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (block, tx_hash, tx_id, op, actor, when, doc, json.dumps(details), events[0].log_index),
        )
        seq = int(cur.lastrowid or 0)
        db.executemany("INSERT OR IGNORE INTO history VALUES (?, ?)", [(d, seq) for d in touched])
        if pairs:
            db.executemany(
                "INSERT OR IGNORE INTO links VALUES (?, ?)", pairs + [(b, a) for a, b in pairs]
            )
        for e in events:
            if e.name == "Delegated":
                db.execute(
                    "INSERT OR IGNORE INTO delegations VALUES (?, ?, ?)",
                    (
                        container_text(e.args["container"]),
                        seq,
                        org_name(self._org_of, e.args["from"]),
                    ),
                )

    def _index_facts(self, events: list[Event]) -> tuple[list[str], list[tuple[str, str]]]:
        """Documents touched, and link pairs; records issued documents and their facts."""
        db = self.db
        touched: list[str] = []
        pairs: list[tuple[str, str]] = []
        for e in events:
            a = e.args
            if e.name in ("Issued", "EblIssued", "Linked"):
                doc = doc_text(a["doc"])
                touched.append(doc)
                db.execute("INSERT OR IGNORE INTO docs VALUES (?)", (doc,))
                if e.name != "Issued":
                    containers = [container_text(c) for c in a["containers"]]
                    links = [doc_text(x) for x in a.get("links", [])]
                    self._set_facts(doc, containers, links)
                    pairs += [(doc, x) for x in links]
            elif e.name == "Superseded":
                old, new = doc_text(a["doc"]), doc_text(a["by"])
                touched += [old, new]
                db.execute("INSERT OR REPLACE INTO supersede VALUES (?, ?)", (old, new))
                pairs.append((new, old))
            elif e.name == "BatchAnchored":
                touched.append(doc_text(a["root"]))
            elif e.name in ("Delegated", "PickedUp"):
                touched.append(doc_text(a["ebl"]))
            elif "doc" in a:
                touched.append(doc_text(a["doc"]))
        return list(dict.fromkeys(touched)), pairs

    def _set_facts(self, doc: str, containers: list[str], links: list[str]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO facts VALUES (?, ?, ?)",
            (doc, json.dumps(containers), json.dumps(links)),
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO containers VALUES (?, ?)", [(c, doc) for c in containers]
        )

    def _facts_from_wire(self, wire: dict[str, Any], pairs: list[tuple[str, str]]) -> None:
        """Our own AMEND / REPLACE: the new document's containers and links are in the
        signed transaction (the contract's amend takes none)."""
        new = wire.get("newDoc")
        if wire["op"] in (Op.AMEND.value, Op.REPLACE.value) and new:
            containers, links = list(wire.get("containers", [])), list(wire.get("links", []))
            if containers or links:
                self._set_facts(new, containers, links)
                pairs += [(new, x) for x in links]
