"""The Fabric engine's SQLite index, driven by the chaincode's ``tdx`` events.

Each event carries the signed transaction and the records it wrote, so one event gives the
history entry, the documents it touched, their links, containers and holders, and a
batch's members: the same indexes as the EVM engine's. Events are applied per block, in a
SQLite transaction that also moves the channel's cursor (the next block to read); after a
restart the follower resumes from there, and an event seen twice is ignored.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chaincode.records import DocumentRecord
from ledger.interface import HistoryEntry
from ledger.records_codec import document_from_row
from ledger.sqlite_files import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, channel TEXT NOT NULL, block INTEGER NOT NULL,
    fabric_tx TEXT NOT NULL UNIQUE, tx_id TEXT NOT NULL UNIQUE, op TEXT NOT NULL,
    actor TEXT NOT NULL, time TEXT NOT NULL, doc TEXT, details TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (doc TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (doc, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents (id TEXT PRIMARY KEY, channel TEXT NOT NULL,
    row TEXT NOT NULL, holder TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS documents_holder ON documents (holder) WHERE holder IS NOT NULL;
CREATE TABLE IF NOT EXISTS batch_members (doc TEXT PRIMARY KEY, root TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (root TEXT PRIMARY KEY, channel TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rights (container TEXT PRIMARY KEY, channel TEXT NOT NULL,
    ebl TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS links (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS containers (container TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (container, doc)) WITHOUT ROWID;
"""

DETAIL_KEYS = ("kind", "to", "reason", "purpose", "newDoc", "containers", "container", "expires")


class FabricIndex:
    def __init__(self, path: Path) -> None:
        self.db = open_database(path, SCHEMA, synchronous="FULL")
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # --- meta ---------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def cursor(self, channel: str) -> int:
        """The next block of ``channel`` to read."""
        return int(self.meta(f"cursor:{channel}") or 0)

    # --- indexing -----------------------------------------------------------------------

    def apply_block(
        self, channel: str, block: int, events: Sequence[tuple[str, dict[str, Any]]]
    ) -> None:
        """Index one block's events (Fabric tx id, event body) and move the cursor past it."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for fabric_tx, body in events:
                    self._index(channel, block, fabric_tx, body)
                if block + 1 > self.cursor(channel):
                    self.set_meta(f"cursor:{channel}", str(block + 1))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.changed.notify_all()

    def _index(self, channel: str, block: int, fabric_tx: str, body: dict[str, Any]) -> None:
        db = self.db
        if db.execute("SELECT 1 FROM entries WHERE tx_id = ?", (body["id"],)).fetchone():
            return  # already indexed (a block read again after a restart)
        tx = body["signed"]["tx"]
        details = {k: tx[k] for k in DETAIL_KEYS if k in tx}
        if "digests" in tx:
            details["batchSize"] = len(tx["digests"])
        cur = db.execute(
            "INSERT INTO entries (channel, block, fabric_tx, tx_id, op, actor, time, doc, details)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                channel,
                block,
                fabric_tx,
                body["id"],
                tx["op"],
                tx["actor"],
                tx["time"],
                tx.get("doc"),
                json.dumps(details),
            ),
        )
        seq = int(cur.lastrowid or 0)
        db.executemany(
            "INSERT OR IGNORE INTO history VALUES (?, ?)", [(d, seq) for d in body["touched"]]
        )
        pairs: list[tuple[str, str]] = []
        for row in body["documents"]:
            record = document_from_row(tuple(row))
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?)",
                (record.id, channel, json.dumps(row), record.holder),
            )
            db.executemany(
                "INSERT OR IGNORE INTO containers VALUES (?, ?)",
                [(c, record.id) for c in record.containers],
            )
            pairs += [(record.id, link) for link in record.links]
            if record.supersedes:
                pairs.append((record.id, record.supersedes))
        if pairs:
            db.executemany(
                "INSERT OR IGNORE INTO links VALUES (?, ?)", pairs + [(b, a) for a, b in pairs]
            )
        for right in body["rights"]:
            db.execute(
                "INSERT OR REPLACE INTO rights VALUES (?, ?, ?)",
                (right["container"], channel, right["ebl"]),
            )
        if tx["op"] == "ANCHOR_BATCH":
            db.execute("INSERT OR IGNORE INTO batches VALUES (?, ?)", (tx["doc"], channel))
            db.executemany(
                "INSERT OR IGNORE INTO batch_members VALUES (?, ?)",
                [(d, tx["doc"]) for d in tx["digests"]],
            )

    # --- reading ------------------------------------------------------------------------

    def _column(self, sql: str, *params: str) -> list[str]:
        with self.lock:
            return [str(r[0]) for r in self.db.execute(sql, params)]

    def channel_of(self, doc_id: str) -> str | None:
        with self.lock:
            row = self.db.execute(
                "SELECT channel FROM documents WHERE id = ? UNION ALL "
                "SELECT b.channel FROM batch_members m JOIN batches b ON b.root = m.root "
                "WHERE m.doc = ? UNION ALL SELECT channel FROM batches WHERE root = ?",
                (doc_id, doc_id, doc_id),
            ).fetchone()
        return None if row is None else str(row[0])

    def channel_of_right(self, container: str) -> str | None:
        with self.lock:
            row = self.db.execute(
                "SELECT channel FROM rights WHERE container = ?", (container,)
            ).fetchone()
        return None if row is None else str(row[0])

    def ebl_of_right(self, container: str) -> str | None:
        rows = self._column("SELECT ebl FROM rights WHERE container = ?", container)
        return rows[0] if rows else None

    def document(self, doc_id: str) -> DocumentRecord | None:
        """The record as the last indexed event wrote it (the index's mirror)."""
        with self.lock:
            row = self.db.execute("SELECT row FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else document_from_row(tuple(json.loads(row[0])))

    def entry_of(self, tx_id: str) -> tuple[int, str, int] | None:
        """seq, Fabric tx id and block of the entry a tdx transaction made."""
        with self.lock:
            row = self.db.execute(
                "SELECT seq, fabric_tx, block FROM entries WHERE tx_id = ?", (tx_id,)
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), int(row[2]))

    def touched(self, seq: int) -> list[str]:
        return self._column("SELECT doc FROM history WHERE seq = ? LIMIT 5", str(seq))

    def batch_of(self, doc_id: str) -> str | None:
        rows = self._column("SELECT root FROM batch_members WHERE doc = ?", doc_id)
        return rows[0] if rows else None

    def entries(self, seqs: Sequence[int]) -> list[HistoryEntry]:
        out = []
        with self.lock:
            for seq in seqs:
                tx_id, op, actor, when, doc, details = self.db.execute(
                    "SELECT tx_id, op, actor, time, doc, details FROM entries WHERE seq = ?",
                    (seq,),
                ).fetchone()
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

    def held_by(self, org_id: str) -> list[str]:
        return self._column("SELECT id FROM documents WHERE holder = ? ORDER BY id", org_id)

    def size(self) -> int:
        with self.lock:
            return int(self.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def wait_for(self, tx_id: str, timeout: float) -> tuple[int, str, int] | None:
        """The entry of ``tx_id`` once the follower has indexed it (None after ``timeout``)."""
        with self.changed:
            self.changed.wait_for(lambda: self.entry_of(tx_id) is not None, timeout=timeout)
        return self.entry_of(tx_id)


__all__ = ["FabricIndex"]
