"""The Fabric engine's SQLite index, driven by the chaincode's ``tdx`` events.

Each event carries the signed transaction and the records and rights it wrote, so one
event gives the history entry, the records it touched (digest and issuer), their links,
containers and holders, a batch's members, and a mirror of the channel's world state that
the engine checks transactions against (``ledger.fabric.mirror``). Records are keyed by
(digest, issuer) as in the chaincode, and by channel: every channel is a ledger of its
own. The order in which this index saw the anchors of a digest, on all the channels it
reads, is what "first" means for that digest on this node.

Events are applied per block, in a SQLite transaction that also moves the channel's cursor
(the next block to read); after a restart the follower resumes from there, and an event
seen twice is ignored. An index of another layout is emptied and read again from block 0.
Reads use a connection per thread, each read one snapshot of the last commit (WAL): a
submit's check never waits for the follower's commit and its fsync.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import BatchAnchor, link_is_mutual
from chaincode.records import DocumentRecord, PickupRight
from ledger.interface import HistoryEntry
from ledger.provenance import provenance
from ledger.records_codec import document_from_row, right_from_json
from ledger.sqlite_files import open_database

LAYOUT = "2"  # records keyed by (digest, issuer, channel)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, channel TEXT NOT NULL, block INTEGER NOT NULL,
    fabric_tx TEXT NOT NULL UNIQUE, tx_id TEXT NOT NULL UNIQUE, op TEXT NOT NULL,
    actor TEXT NOT NULL, time TEXT NOT NULL, doc TEXT, details TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (doc TEXT NOT NULL, issuer TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (doc, issuer, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_seq ON history (seq);
-- Who anchored each digest, where, first seen first (seq), and its batch root if any.
CREATE TABLE IF NOT EXISTS anchors (doc TEXT NOT NULL, issuer TEXT NOT NULL,
    channel TEXT NOT NULL, seq INTEGER NOT NULL, country TEXT, root TEXT,
    PRIMARY KEY (doc, issuer, channel)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS anchors_first ON anchors (doc, seq);
-- Records as the events wrote them (batch members not changed since are in anchors).
CREATE TABLE IF NOT EXISTS records (doc TEXT NOT NULL, issuer TEXT NOT NULL,
    channel TEXT NOT NULL, row TEXT NOT NULL, holder TEXT,
    PRIMARY KEY (doc, issuer, channel)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_holder ON records (holder) WHERE holder IS NOT NULL;
CREATE TABLE IF NOT EXISTS batches (root TEXT NOT NULL, issuer TEXT NOT NULL,
    channel TEXT NOT NULL, kind TEXT NOT NULL, country TEXT, time TEXT NOT NULL,
    PRIMARY KEY (root, issuer, channel)) WITHOUT ROWID;
-- Each channel's latest right per container; seq orders them across channels.
CREATE TABLE IF NOT EXISTS rights (container TEXT NOT NULL, channel TEXT NOT NULL,
    seq INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY (container, channel))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS released (container TEXT NOT NULL, ebl TEXT NOT NULL,
    carrier TEXT NOT NULL, channel TEXT NOT NULL,
    PRIMARY KEY (container, ebl, carrier, channel)) WITHOUT ROWID;
-- a -> b: record (a, issuer) shows b in its provenance, as b_issuer's record of b (NULL:
-- the first record of b)
CREATE TABLE IF NOT EXISTS links (a TEXT NOT NULL, issuer TEXT NOT NULL, b TEXT NOT NULL,
    b_issuer TEXT, PRIMARY KEY (a, issuer, b)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS containers (container TEXT NOT NULL, doc TEXT NOT NULL,
    issuer TEXT NOT NULL, PRIMARY KEY (container, doc, issuer)) WITHOUT ROWID;
-- The organisation each ledger key (``world_state.ledger_key_id``) acts for: the first
-- that signed with it, on any channel this node reads.
CREATE TABLE IF NOT EXISTS signers (key TEXT PRIMARY KEY, org TEXT NOT NULL) WITHOUT ROWID;
"""

DETAIL_KEYS = ("kind", "to", "reason", "purpose", "newDoc", "containers", "container", "expires")

Key = tuple[str, str]  # a record: (digest, issuer)


def _empty_if_older(db: sqlite3.Connection) -> None:
    """An index of an earlier layout is emptied (its cursors with it): the followers read
    every channel again from block 0. The chaincode it indexes is kept."""
    tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" not in tables:
        return
    row = db.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
    if row is not None and row[0] == LAYOUT:
        return
    chaincode = db.execute("SELECT value FROM meta WHERE key = 'chaincode'").fetchone()
    for table in tables:
        db.execute(f"DROP TABLE {table}")
    db.executescript(SCHEMA)
    if chaincode is not None:
        db.execute("INSERT INTO meta VALUES ('chaincode', ?)", (chaincode[0],))


class FabricIndex:
    """The index file. ``key_of`` maps a ledger certificate's fingerprint (a transaction's
    ``kid``) to the id of its key (``world_state.ledger_key_id``), None if unknown."""

    def __init__(self, path: Path, key_of: Callable[[str], str | None] = lambda kid: None) -> None:
        self.db = open_database(path, SCHEMA, synchronous="FULL", upgrade=_empty_if_older)
        self.lock = threading.RLock()  # the writer connection's
        self.changed = threading.Condition(self.lock)
        self._key_of = key_of
        self._path = path
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._closed = False
        self.set_meta("layout", LAYOUT)

    def close(self) -> None:
        with self.lock:
            self._closed = True
            self.db.close()
            for db in self._readers:
                db.close()
            self._readers.clear()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """This thread's read connection, in one read transaction (nested reads share it)."""
        local = self._local
        if getattr(local, "db", None) is None:
            with self.lock:
                if self._closed:
                    raise RuntimeError("the index is closed")
                db = sqlite3.connect(
                    self._path, timeout=30, isolation_level=None, check_same_thread=False
                )
                db.execute("PRAGMA query_only=ON")
                self._readers.append(db)
            local.db, local.depth = db, 0
        db = local.db
        if local.depth == 0:
            db.execute("BEGIN")
        local.depth += 1
        try:
            yield db
        finally:
            local.depth -= 1
            if local.depth == 0:
                db.execute("COMMIT")

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
        signed = body["signed"]
        tx = signed["tx"]
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
        key = self._key_of(str(signed["kid"]))
        if key is not None:
            db.execute("INSERT OR IGNORE INTO signers VALUES (?, ?)", (key, tx["actor"]))
        db.executemany(
            "INSERT OR IGNORE INTO history VALUES (?, ?, ?)",
            [(d, issuer, seq) for d, issuer in body["touched"]],
        )
        if tx["op"] == "ANCHOR_BATCH":
            root, issuer, country = tx["doc"], tx["actor"], tx.get("country")
            db.execute(
                "INSERT OR IGNORE INTO batches VALUES (?, ?, ?, ?, ?, ?)",
                (root, issuer, channel, tx["kind"], country, tx["time"]),
            )
            db.executemany(
                "INSERT OR IGNORE INTO anchors VALUES (?, ?, ?, ?, ?, ?)",
                [(d, issuer, channel, seq, country, root) for d in tx["digests"]],
            )
        records = [document_from_row(tuple(row)) for row in body["documents"]]
        for record, row in zip(records, body["documents"], strict=True):
            db.execute(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?)",
                (record.id, record.issuer, channel, json.dumps(row), record.holder),
            )
            db.execute(
                "INSERT OR IGNORE INTO anchors VALUES (?, ?, ?, ?, ?, NULL)",
                (record.id, record.issuer, channel, seq, record.country),
            )
            db.executemany(
                "INSERT OR IGNORE INTO containers VALUES (?, ?, ?)",
                [(c, record.id, record.issuer) for c in record.containers],
            )
        # Links after the records: a link to a document this transaction created sees it.
        edges: list[tuple[str, str, str, str | None]] = []
        for d in records:
            if d.supersedes:  # the same issuer's records, both ways
                edges += [(d.id, d.issuer, d.supersedes, d.issuer)]
                edges += [(d.supersedes, d.issuer, d.id, d.issuer)]
            for link in d.links:
                edges.append((d.id, d.issuer, link, None))
                first = _first_anchor(db, link)
                if first is not None and link_is_mutual(d.country, first[1]):
                    edges.append((link, first[0], d.id, d.issuer))
        db.executemany("INSERT OR IGNORE INTO links VALUES (?, ?, ?, ?)", edges)
        for right in body["rights"]:
            db.execute(
                "INSERT OR REPLACE INTO rights VALUES (?, ?, ?, ?)",
                (right["container"], channel, seq, json.dumps(right)),
            )
            db.execute(
                "INSERT OR IGNORE INTO released VALUES (?, ?, ?, ?)",
                (right["container"], right["ebl"], right["releasedBy"], channel),
            )

    # --- reading ------------------------------------------------------------------------

    def _column(self, sql: str, *params: str) -> list[str]:
        with self._reading() as db:
            return [str(r[0]) for r in db.execute(sql, params)]

    def _where_channel(self, channel: str | None) -> tuple[str, tuple[str, ...]]:
        return ("", ()) if channel is None else (" AND channel = ?", (channel,))

    def issuers(self, doc_id: str, channel: str | None = None) -> list[str]:
        """Every organisation that anchored the digest (on ``channel``, or any), first seen
        first."""
        where, params = self._where_channel(channel)
        found = self._column(
            f"SELECT issuer FROM anchors WHERE doc = ?{where} ORDER BY seq",  # noqa: S608
            doc_id,
            *params,
        )
        return list(dict.fromkeys(found))

    def first_anchor(self, doc_id: str) -> tuple[str, str | None] | None:
        """The digest's first record: its issuer and the country it names."""
        with self._reading() as db:
            return _first_anchor(db, doc_id)

    def issuer_of(self, doc_id: str, issuer: str | None) -> str | None:
        """The issuer of the record a question about ``doc_id`` means: ``issuer`` itself,
        or (None) the issuer of the digest's first record."""
        if issuer is not None:
            return issuer
        first = self.first_anchor(doc_id)
        return None if first is None else first[0]

    def channel_of_record(self, doc_id: str, issuer: str) -> str | None:
        """The channel of ``issuer``'s record of the digest (the first seen, should a
        misbehaving client have anchored it on two)."""
        rows = self._column(
            "SELECT channel FROM anchors WHERE doc = ? AND issuer = ? ORDER BY seq LIMIT 1",
            doc_id,
            issuer,
        )
        return rows[0] if rows else None

    def channel_of(self, doc_id: str) -> str | None:
        """The channel of the digest's first record, or of a batch with that root."""
        rows = self._column(
            "SELECT channel FROM (SELECT channel, seq FROM anchors WHERE doc = ? "
            "ORDER BY seq LIMIT 1) UNION ALL SELECT channel FROM batches WHERE root = ?",
            doc_id,
            doc_id,
        )
        return rows[0] if rows else None

    def record(self, doc_id: str, issuer: str, channel: str | None = None) -> DocumentRecord | None:
        """``issuer``'s record of the digest (on ``channel``, else where it was first seen),
        as the indexed events wrote it."""
        where, params = self._where_channel(channel)
        with self._reading() as db:
            anchor = db.execute(
                f"SELECT channel, root FROM anchors WHERE doc = ? AND issuer = ?{where} "  # noqa: S608
                "ORDER BY seq LIMIT 1",
                (doc_id, issuer, *params),
            ).fetchone()
            if anchor is None:
                return None
            on, root = str(anchor[0]), anchor[1]
            row = db.execute(
                "SELECT row FROM records WHERE doc = ? AND issuer = ? AND channel = ?",
                (doc_id, issuer, on),
            ).fetchone()
            if row is not None:
                return document_from_row(tuple(json.loads(row[0])))
            if root is None:
                return None
            batch = db.execute(
                "SELECT kind, country, time FROM batches WHERE root = ? AND issuer = ? "
                "AND channel = ?",
                (root, issuer, on),
            ).fetchone()
        if batch is None:
            return None
        kind, country, at = batch
        anchor_of = BatchAnchor(
            str(root), DocumentKind(kind), issuer, country, datetime.datetime.fromisoformat(at), ()
        )
        return anchor_of.record(doc_id)

    def existing(
        self, doc_ids: Sequence[str], issuer: str, channel: str | None = None
    ) -> list[str]:
        """Which of these digests ``issuer`` anchored (on ``channel``, or any)."""
        where, params = self._where_channel(channel)
        found: list[str] = []
        with self._reading() as db:
            for start in range(0, len(doc_ids), 500):  # SQLite's bound-parameter limit
                chunk = list(doc_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                found += [
                    str(r[0])
                    for r in db.execute(
                        f"SELECT doc FROM anchors WHERE issuer = ? AND doc IN ({marks}){where}",  # noqa: S608
                        [issuer, *chunk, *params],
                    )
                ]
        return list(dict.fromkeys(found))

    def right(self, container: str, channel: str | None = None) -> tuple[PickupRight, str] | None:
        """The container's latest right (on ``channel``, or on any: the one written last)
        and its channel."""
        where, params = self._where_channel(channel)
        with self._reading() as db:
            row = db.execute(
                f"SELECT record, channel FROM rights WHERE container = ?{where} "  # noqa: S608
                "ORDER BY seq DESC LIMIT 1",
                (container, *params),
            ).fetchone()
        return None if row is None else (right_from_json(row[0]), str(row[1]))

    def released_under(
        self, container: str, ebl: str, carrier: str, channel: str | None = None
    ) -> bool:
        where, params = self._where_channel(channel)
        with self._reading() as db:
            row = db.execute(
                "SELECT 1 FROM released WHERE container = ? AND ebl = ? AND carrier = ?"  # noqa: S608
                f"{where}",
                (container, ebl, carrier, *params),
            ).fetchone()
        return row is not None

    def signer(self, key_id: str) -> str | None:
        """The organisation a ledger key acts for, if it signed anything yet."""
        rows = self._column("SELECT org FROM signers WHERE key = ?", key_id)
        return rows[0] if rows else None

    def entry_of(self, tx_id: str) -> tuple[int, str, int, str] | None:
        """seq, Fabric tx id, block and channel of the entry a tdx transaction made."""
        with self._reading() as db:
            row = db.execute(
                "SELECT seq, fabric_tx, block, channel FROM entries WHERE tx_id = ?", (tx_id,)
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), int(row[2]), str(row[3]))

    def touched(self, seq: int) -> list[Key]:
        """The records an entry touched (the first five), as the receipt names them."""
        with self._reading() as db:
            return [
                (str(r[0]), str(r[1]))
                for r in db.execute("SELECT doc, issuer FROM history WHERE seq = ? LIMIT 5", (seq,))
            ]

    def entries(self, seqs: Sequence[int]) -> list[HistoryEntry]:
        out = []
        with self._reading() as db:
            for seq in seqs:
                tx_id, op, actor, when, doc, details = db.execute(
                    "SELECT tx_id, op, actor, time, doc, details FROM entries WHERE seq = ?",
                    (seq,),
                ).fetchone()
                out.append(HistoryEntry(seq, tx_id, op, actor, when, doc, json.loads(details)))
        return out

    def entry_seqs(self, records: set[Key]) -> list[int]:
        """The entries that touched these records, their batches' entries included."""
        keys = set(records)
        with self._reading() as db:
            for doc_id, issuer in records:
                for (root,) in db.execute(
                    "SELECT root FROM anchors WHERE doc = ? AND issuer = ? AND root IS NOT NULL",
                    (doc_id, issuer),
                ):
                    keys.add((str(root), issuer))
            seqs: set[int] = set()
            for doc_id, issuer in keys:
                seqs.update(
                    int(r[0])
                    for r in db.execute(
                        "SELECT seq FROM history WHERE doc = ? AND issuer = ?", (doc_id, issuer)
                    )
                )
        return sorted(seqs)

    def links(self, doc_id: str, issuer: str) -> list[str]:
        """The documents in the record's provenance: those it links to, those it supersedes
        or is superseded by, and those of its own country that link to it."""
        return sorted(
            set(self._column("SELECT b FROM links WHERE a = ? AND issuer = ?", doc_id, issuer))
        )

    def linked(self, doc_id: str, issuer: str, max_documents: int) -> set[Key]:
        """The record and those in its provenance, transitively, at most ``max_documents``."""
        with self._reading() as db:
            return provenance(db, self.issuer_of, (doc_id, issuer), max_documents)

    def documents_for_container(self, container: str) -> list[str]:
        return self._column(
            "SELECT DISTINCT doc FROM containers WHERE container = ? ORDER BY doc", container
        )

    def held_by(self, org_id: str) -> list[str]:
        return self._column(
            "SELECT DISTINCT doc FROM records WHERE holder = ? ORDER BY doc", org_id
        )

    def size(self) -> int:
        with self._reading() as db:
            return int(db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def wait_for(self, tx_id: str, timeout: float) -> tuple[int, str, int, str] | None:
        """The entry of ``tx_id`` once the follower has indexed it (None after ``timeout``)."""
        with self.changed:
            self.changed.wait_for(lambda: self.entry_of(tx_id) is not None, timeout=timeout)
        return self.entry_of(tx_id)


def _first_anchor(db: sqlite3.Connection, doc_id: str) -> tuple[str, str | None] | None:
    row = db.execute(
        "SELECT issuer, country FROM anchors WHERE doc = ? ORDER BY seq LIMIT 1", (doc_id,)
    ).fetchone()
    return None if row is None else (str(row[0]), row[1])


__all__ = ["LAYOUT", "FabricIndex", "Key"]
