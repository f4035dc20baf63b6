"""The EVM engine's SQLite index: the contract's logs turned into history entries, the
records each digest has (who anchored it, first anchored first), links, container look-ups
and batch memberships, plus the raw transactions this node sent.

Records are keyed by (digest, issuer) as in the contract and the chaincode: history, facts,
links and successions belong to one record. One file, one connection and one lock; a page of
logs commits with its cursor, so indexing resumes where it stopped. Reading the chain is the
engine's business, not this module's.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from eth_utils.address import to_checksum_address

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import link_is_mutual
from chaincode.records import DocState, DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction, utc
from ledger.evm.codes import OP_OF_CONTROL, STATE
from ledger.evm.control import control_change, with_control
from ledger.evm.events import Event, Mined
from ledger.evm.text import (
    KIND_OF,
    container_text,
    country_text,
    doc_text,
    org_name,
    platforms_text,
    when,
)
from ledger.interface import HistoryEntry
from ledger.provenance import provenance
from ledger.records_codec import right_from_json, right_to_json
from ledger.sqlite_files import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, block INTEGER NOT NULL, tx_hash TEXT NOT NULL UNIQUE,
    tx_id TEXT NOT NULL, op TEXT NOT NULL, actor TEXT NOT NULL, time TEXT NOT NULL,
    doc TEXT, details TEXT NOT NULL, log_index INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS history (doc TEXT NOT NULL, issuer TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (doc, issuer, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anchors (doc TEXT NOT NULL, issuer TEXT NOT NULL,
    seq INTEGER NOT NULL, country TEXT, root TEXT, PRIMARY KEY (doc, issuer)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS anchors_first ON anchors (doc, seq);
CREATE TABLE IF NOT EXISTS facts (doc TEXT NOT NULL, issuer TEXT NOT NULL,
    containers TEXT NOT NULL, links TEXT NOT NULL, PRIMARY KEY (doc, issuer)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS links (a TEXT NOT NULL, issuer TEXT NOT NULL, b TEXT NOT NULL,
    b_issuer TEXT, PRIMARY KEY (a, issuer, b)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS containers (container TEXT NOT NULL, doc TEXT NOT NULL,
    issuer TEXT NOT NULL, PRIMARY KEY (container, doc, issuer)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS supersede (old TEXT NOT NULL, issuer TEXT NOT NULL,
    new TEXT NOT NULL, PRIMARY KEY (old, issuer)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS supersede_new ON supersede (new, issuer);
-- The contract's state, as its events tell it: what the chaincode checks a transaction
-- against, read here instead of from the node (a record's time is its block's).
-- ``control``: where control lives when it is on another platform, as JSON (see
-- ``control_of``), NULL while it is here.
CREATE TABLE IF NOT EXISTS records (doc TEXT NOT NULL, issuer TEXT NOT NULL,
    kind TEXT NOT NULL, country TEXT, state TEXT NOT NULL, holder TEXT, endorsee TEXT,
    to_order INTEGER NOT NULL, surrendered_by TEXT, time INTEGER NOT NULL, control TEXT,
    PRIMARY KEY (doc, issuer)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch_info (root TEXT NOT NULL, issuer TEXT NOT NULL,
    kind TEXT NOT NULL, country TEXT, time INTEGER NOT NULL, PRIMARY KEY (root, issuer))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rights (container TEXT PRIMARY KEY, record TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS released (container TEXT NOT NULL, ebl TEXT NOT NULL,
    carrier TEXT NOT NULL, PRIMARY KEY (container, ebl, carrier)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch_members (doc TEXT NOT NULL, issuer TEXT NOT NULL,
    root TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (doc, issuer)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (root TEXT NOT NULL, issuer TEXT NOT NULL,
    digests TEXT NOT NULL, PRIMARY KEY (root, issuer)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (address TEXT PRIMARY KEY, org TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS numbers (number INTEGER PRIMARY KEY, address TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sent (tx_id TEXT PRIMARY KEY, tx_hash TEXT NOT NULL,
    raw BLOB NOT NULL, wire TEXT NOT NULL, status TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sent_hash ON sent (tx_hash);
"""

VERSION = "3"  # the layout of every table but ``sent``, which outlives a rebuild

DETAIL_KEYS = (
    "kind",
    "to",
    "reason",
    "purpose",
    "newDoc",
    "containers",
    "container",
    "expires",
    "carrier",
    "terminal",
    "country",
    "where",
    "ref",
    "action",
    "proof",
    "carrierPlatform",
)


class Describe(Protocol):
    """What indexing another node's transaction asks of the engine."""

    def block_time(self, block: int) -> int:
        """A block's time, when its logs do not carry it."""
        ...

    def derive(
        self, events: list[Event], numbered: Callable[[int], str]
    ) -> tuple[str, str, str | None, dict[str, Any]]:
        """op, actor, doc and details of a transaction from its events alone."""
        ...


Key = tuple[str, str]  # a record: (digest, issuer)


class EvmIndex:
    """The index file; ``org_of`` maps checksum addresses to organisation ids."""

    def __init__(self, path: Path, org_of: Mapping[str, str]) -> None:
        self.db = open_database(path, SCHEMA, synchronous="FULL", upgrade=_rebuild_if_older)
        self.lock = threading.RLock()
        self._org_of = org_of
        self.set_meta("version", VERSION)

    def meta(self, key: str) -> str | None:
        return self._one("SELECT value FROM meta WHERE key = ?", key)

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def _who(self, address: str) -> str:
        return org_name(self._org_of, address) or address

    def _numbered(self, number: int) -> str:
        """The organisation with this number in the contract (its current account)."""
        row = self.db.execute("SELECT address FROM numbers WHERE number = ?", (number,)).fetchone()
        return self._who(str(row[0])) if row else f"#{number}"

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

    def forget_sent(self, tx_id: str) -> None:
        """A transaction the node refused outright: a resubmission signs it afresh."""
        with self.lock:
            self.db.execute("DELETE FROM sent WHERE tx_id = ?", (tx_id,))

    def block_of(self, tx_hash: str) -> int | None:
        found = self._one("SELECT block FROM entries WHERE tx_hash = ?", tx_hash)
        return None if found is None else int(found)

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
                "INSERT OR REPLACE INTO batches VALUES (?, ?, ?)",
                (tx.doc, tx.actor, json.dumps(list(tx.digests))),
            )

    # --- reading ------------------------------------------------------------------------

    def _one(self, sql: str, *params: str) -> str | None:
        with self.lock:
            row = self.db.execute(sql, params).fetchone()
        return None if row is None else str(row[0])

    def _column(self, sql: str, *params: str) -> list[str]:
        with self.lock:
            return [str(r[0]) for r in self.db.execute(sql, params)]

    def entry_of(self, tx_hash: str) -> tuple[int, str | None, int | None, list[Key]]:
        """The entry a transaction made: seq (-1 if none), tx id, log index, records."""
        with self.lock:
            row = self.db.execute(
                "SELECT seq, tx_id, log_index FROM entries WHERE tx_hash = ?", (tx_hash,)
            ).fetchone()
            seq = int(row[0]) if row else -1
            records = [
                (str(r[0]), str(r[1]))
                for r in self.db.execute(
                    "SELECT doc, issuer FROM history WHERE seq = ? LIMIT 5", (seq,)
                ).fetchall()
            ]
        return seq, str(row[1]) if row else None, int(row[2]) if row else None, records

    def issuers(self, doc_id: str) -> list[str]:
        """Every organisation that anchored the digest, first anchored first."""
        return self._column("SELECT issuer FROM anchors WHERE doc = ? ORDER BY seq", doc_id)

    def first_issuer(self, doc_id: str) -> str | None:
        return self._one("SELECT issuer FROM anchors WHERE doc = ? ORDER BY seq LIMIT 1", doc_id)

    def issuer_of(self, doc_id: str, issuer: str | None) -> str | None:
        return issuer if issuer is not None else self.first_issuer(doc_id)

    def supersedes(self, doc_id: str, issuer: str) -> str | None:
        return self._one("SELECT old FROM supersede WHERE new = ? AND issuer = ?", doc_id, issuer)

    def superseded_by(self, doc_id: str, issuer: str) -> str | None:
        return self._one("SELECT new FROM supersede WHERE old = ? AND issuer = ?", doc_id, issuer)

    def facts(self, doc_id: str, issuer: str) -> tuple[list[str], list[str]]:
        with self.lock:
            row = self.db.execute(
                "SELECT containers, links FROM facts WHERE doc = ? AND issuer = ?",
                (doc_id, issuer),
            ).fetchone()
        if row is None:
            return [], []
        return list(json.loads(row[0])), list(json.loads(row[1]))

    def batch_of(self, doc_id: str, issuer: str) -> str | None:
        return self._one(
            "SELECT root FROM batch_members WHERE doc = ? AND issuer = ?", doc_id, issuer
        )

    def batch_digests(self, root: str, issuer: str) -> list[str]:
        text = self._one("SELECT digests FROM batches WHERE root = ? AND issuer = ?", root, issuer)
        return list(json.loads(text or "[]"))

    def existing(self, doc_ids: Sequence[str], issuer: str) -> list[str]:
        """Which of these digests ``issuer`` anchored (singly, or in a batch this node
        knows the digests of)."""
        found: list[str] = []
        with self.lock:
            for start in range(0, len(doc_ids), 500):  # SQLite's bound-parameter limit
                chunk = list(doc_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                found += [
                    str(r[0])
                    for r in self.db.execute(
                        f"SELECT doc FROM anchors WHERE issuer = ? AND doc IN ({marks})",  # noqa: S608
                        [issuer, *chunk],
                    )
                ]
        return list(dict.fromkeys(found))

    def anchor_country(self, doc_id: str) -> tuple[str, str | None] | None:
        """The digest's first record: its issuer and the country it names."""
        with self.lock:
            row = self.db.execute(
                "SELECT issuer, country FROM anchors WHERE doc = ? ORDER BY seq LIMIT 1", (doc_id,)
            ).fetchone()
        return None if row is None else (str(row[0]), row[1])

    def entries(self, seqs: Sequence[int]) -> list[HistoryEntry]:
        out = []
        with self.lock:
            for seq in seqs:
                row = self.db.execute(
                    "SELECT tx_id, op, actor, time, doc, details FROM entries WHERE seq = ?",
                    (seq,),
                ).fetchone()
                tx_id, op, actor, at, doc, details = row
                out.append(HistoryEntry(seq, tx_id, op, actor, at, doc, json.loads(details)))
        return out

    def entry_seqs(self, records: set[Key]) -> list[int]:
        """The entries that touched these records, their batches' entries included."""
        keys = set(records)
        for doc_id, issuer in records:
            root = self.batch_of(doc_id, issuer)
            if root is not None:
                keys.add((root, issuer))
        seqs: set[int] = set()
        with self.lock:
            for doc_id, issuer in keys:
                seqs.update(
                    int(r[0])
                    for r in self.db.execute(
                        "SELECT seq FROM history WHERE doc = ? AND issuer = ?", (doc_id, issuer)
                    )
                )
        return sorted(seqs)

    def links(self, doc_id: str, issuer: str) -> list[str]:
        return sorted(
            set(self._column("SELECT b FROM links WHERE a = ? AND issuer = ?", doc_id, issuer))
        )

    def linked(self, doc_id: str, issuer: str, max_documents: int) -> set[Key]:
        """The record and those in its provenance, transitively, at most ``max_documents``."""
        with self.lock:
            return provenance(self.db, self.issuer_of, (doc_id, issuer), max_documents)

    def documents_for_container(self, container: str) -> list[str]:
        return self._column(
            "SELECT DISTINCT doc FROM containers WHERE container = ? ORDER BY doc", container
        )

    def ebls(self) -> list[Key]:
        """Records that could be eBLs (those with facts: containers and links)."""
        with self.lock:
            return [
                (str(r[0]), str(r[1]))
                for r in self.db.execute("SELECT doc, issuer FROM facts ORDER BY doc, issuer")
            ]

    def size(self) -> int:
        with self.lock:
            return int(self.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    # --- indexing -----------------------------------------------------------------------

    def commit_page(self, by_tx: Mapping[str, Mined], cursor: int, describe: Describe) -> None:
        """Index a page's transactions and move the cursor, in one SQLite transaction.

        Committed without its own fsync: the page and its cursor are what the chain says,
        and come back from it after a crash; the next ``record_sent`` (which must be durable
        before its transaction is broadcast) syncs the log, this page included."""
        with self.lock:
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for tx_hash, mined in by_tx.items():
                    self._index_tx(tx_hash, mined, describe)
                self.set_meta("cursor", str(cursor))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            finally:
                self.db.execute("PRAGMA synchronous=FULL")

    def _index_tx(self, tx_hash: str, mined: Mined, describe: Describe) -> None:
        db = self.db
        if db.execute("SELECT 1 FROM entries WHERE tx_hash = ?", (tx_hash,)).fetchone():
            return  # already indexed (a page replayed after a crash between commits)
        events = mined.events
        for e in events:
            if e.name in ("OrganisationRegistered", "OrganisationRotated"):
                address = to_checksum_address(e.args.get("next") or e.args["account"])
                db.execute(
                    "INSERT OR REPLACE INTO accounts VALUES (?, ?)",
                    (address, self._org_of.get(address)),
                )
                db.execute(
                    "INSERT OR REPLACE INTO numbers VALUES (?, ?)", (int(e.args["id"]), address)
                )
        row = db.execute("SELECT tx_id, wire FROM sent WHERE tx_hash = ?", (tx_hash,)).fetchone()
        wire = json.loads(row[1]) if row is not None else None
        stamp = mined.stamp
        if stamp is None and any(e.name != "OrganisationRegistered" for e in events):
            stamp = describe.block_time(mined.block)
        touched, anchored, facts = self._apply(events, stamp or 0)
        if not touched:
            return  # governance only: not a document entry
        if wire is not None:
            tx_id = str(row[0])
            op, actor, at, doc = wire["op"], wire["actor"], wire["time"], wire.get("doc")
            details = {k: wire[k] for k in DETAIL_KEYS if k in wire}
            if "digests" in wire:
                details["batchSize"] = len(wire["digests"])
            facts.update(self._facts_from_wire(wire))
        else:
            # Another node's transaction: what the events say, at the block's time.
            tx_id = tx_hash
            op, actor, doc, details = describe.derive(events, self._numbered)
            at = utc(when(stamp or 0))
        cur = db.execute(
            "INSERT INTO entries (block, tx_hash, tx_id, op, actor, time, doc, details, log_index)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (mined.block, tx_hash, tx_id, op, actor, at, doc, json.dumps(details),
             events[0].log_index),
        )  # fmt: skip
        seq = int(cur.lastrowid or 0)
        for (doc_id, issuer), (country, root) in anchored.items():
            db.execute(
                "INSERT OR IGNORE INTO anchors VALUES (?, ?, ?, ?, ?)",
                (doc_id, issuer, seq, country, root),
            )
        db.executemany(
            "INSERT OR IGNORE INTO history VALUES (?, ?, ?)", [(d, i, seq) for d, i in touched]
        )
        for (doc_id, issuer), (containers, links) in facts.items():
            self._set_facts(doc_id, issuer, containers, links, anchored.get((doc_id, issuer)))

    def _apply(
        self, events: list[Event], stamp: int
    ) -> tuple[
        list[Key], dict[Key, tuple[str | None, str | None]], dict[Key, tuple[list[str], list[str]]]
    ]:
        """Bring the state mirror up to date with a transaction's events; the records it
        touched, those it anchored (with the country they name and their batch), and the
        containers and links its events give them."""
        db = self.db
        touched: list[Key] = []
        anchored: dict[Key, tuple[str | None, str | None]] = {}
        facts: dict[Key, tuple[list[str], list[str]]] = {}
        issued: Key | None = None
        voided: Key | None = None  # an amended eBL: its successor keeps its endorsee
        for e in events:
            a = e.args
            if e.name == "Issued":
                record = int(a["record"])
                issuer = self._who("0x" + (record & ((1 << 160) - 1)).to_bytes(20, "big").hex())
                country = country_text(((record >> 176) & 0xFFFF).to_bytes(2, "big"))
                kind = KIND_OF[(record >> 160) & 0xFF].value
                issued = (doc_text(a["doc"]), issuer)
                touched.append(issued)
                anchored[issued] = (country, None)
                self._put(issued, kind, country, "ISSUED", None, None, False, None, stamp)
            elif e.name == "Linked" and issued is not None:
                containers = [container_text(c) for c in a["containers"]]
                facts[issued] = (containers, [doc_text(x) for x in a["links"]])
            elif e.name == "EblIssued":
                key = (doc_text(a["doc"]), self._who(a["carrier"]))
                touched.append(key)
                country = country_text(a["country"])
                anchored[key] = (country, None)
                facts[key] = ([container_text(c) for c in a["containers"]], [])
                endorsee = self._field(voided, "endorsee") if voided else None
                holder = self._who(a["holder"])
                self._put(key, "ebl", country, "ISSUED", holder, endorsee, bool(a["toOrder"]),
                          None, stamp)  # fmt: skip
            elif e.name == "Superseded":
                issuer = self._who(a["actor"])
                old, new = doc_text(a["doc"]), doc_text(a["by"])
                touched += [(old, issuer), (new, issuer)]
                state = str(STATE[int(a["state"])])
                self._set_state((old, issuer), state)
                if state == "VOIDED":
                    voided = (old, issuer)
                db.execute("INSERT OR REPLACE INTO supersede VALUES (?, ?, ?)", (old, issuer, new))
                db.executemany(
                    "INSERT OR IGNORE INTO links VALUES (?, ?, ?, ?)",
                    [(new, issuer, old, issuer), (old, issuer, new, issuer)],
                )
            elif e.name == "BatchAnchored":
                root, issuer = doc_text(a["root"]), self._who(a["issuer"])
                touched.append((root, issuer))
                country = country_text(a["country"])
                kind = KIND_OF[int(a["kind"])].value
                db.execute(
                    "INSERT OR REPLACE INTO batch_info VALUES (?, ?, ?, ?, ?)",
                    (root, issuer, kind, country, stamp),
                )
                digests = self.batch_digests(root, issuer)
                for position, d in enumerate(digests):
                    db.execute(
                        "INSERT OR IGNORE INTO batch_members VALUES (?, ?, ?, ?)",
                        (d, issuer, root, position),
                    )
                    anchored[(d, issuer)] = (country, root)
            elif e.name == "Revoked":
                key = (doc_text(a["doc"]), self._who(a["actor"]))
                touched.append(key)
                self._set_state(key, "REVOKED")
            elif e.name == "Transferred":
                key = (doc_text(a["doc"]), self._numbered(int(a["carrier"])))
                touched.append(key)
                to = self._who(a["to"])
                db.execute("UPDATE records SET holder = ? WHERE doc = ? AND issuer = ?", (to, *key))
                if a["endorsed"]:
                    db.execute(
                        "UPDATE records SET endorsee = ? WHERE doc = ? AND issuer = ?", (to, *key)
                    )
            elif e.name == "SurrenderRequested":
                key = (doc_text(a["doc"]), self._numbered(int(a["carrier"])))
                touched.append(key)
                db.execute(
                    "UPDATE records SET state = ?, holder = ?, surrendered_by = ? "
                    "WHERE doc = ? AND issuer = ?",
                    (STATE[int(a["state"])], key[1], self._who(a["by"]), *key),
                )
            elif e.name == "SurrenderAnswered":
                key = (doc_text(a["doc"]), self._who(a["carrier"]))
                touched.append(key)
                state = str(STATE[int(a["state"])])
                if state == "ISSUED":  # rejected: control returns to who surrendered it
                    db.execute(
                        "UPDATE records SET state = 'ISSUED', holder = surrendered_by, "
                        "surrendered_by = NULL WHERE doc = ? AND issuer = ?",
                        key,
                    )
                else:
                    self._set_state(key, state)
            elif e.name == "Released":
                key = (doc_text(a["doc"]), self._numbered(int(a["carrier"])))
                touched.append(key)
                container = container_text(a["container"])
                terminal = org_name(self._org_of, a["terminal"])
                right = PickupRight(
                    container, key[0], self._who(a["holder"]), when(int(a["expires"])), key[1],
                    country=country_text(a["country"]), terminal=terminal,
                )  # fmt: skip
                db.execute(
                    "INSERT OR REPLACE INTO rights VALUES (?, ?)", (container, right_to_json(right))
                )
                db.execute("INSERT OR IGNORE INTO released VALUES (?, ?, ?)", (container, *key))
            elif e.name == "ControlMoved":
                key, created = self._control_moved(a, stamp)
                touched.append(key)
                if created:
                    anchored[key] = (None, None)
            elif e.name in ("Delegated", "PickedUp"):
                touched.append((doc_text(a["ebl"]), self._numbered(int(a["carrier"]))))
                container = container_text(a["container"])
                current = self.right(container)
                if current is None:
                    continue
                right = current
                if e.name == "Delegated":
                    right = right.evolve(
                        holder=self._who(a["to"]),
                        delegations=(*right.delegations, self._who(a["from"])),
                    )
                else:
                    right = right.evolve(picked_up_at=when(stamp), picked_up_by=self._who(
                        a["terminal"]))  # fmt: skip
                db.execute(
                    "INSERT OR REPLACE INTO rights VALUES (?, ?)", (container, right_to_json(right))
                )
        return list(dict.fromkeys(touched)), anchored, facts

    def _put(
        self,
        key: Key,
        kind: str,
        country: str | None,
        state: str,
        holder: str | None,
        endorsee: str | None,
        to_order: bool,
        surrendered_by: str | None,
        stamp: int,
        control: dict[str, str] | None = None,
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, kind, country, state, holder, endorsee, int(to_order), surrendered_by, stamp,
             json.dumps(control) if control else None),
        )  # fmt: skip

    def _control_moved(self, a: dict[str, Any], stamp: int) -> tuple[Key, bool]:
        """``moveControl``'s event, mirrored as ``chaincode.external_control`` changes the
        record; whether it made a record new here (an eBL received by PINT)."""
        word, move = int(a["record"]), int(a["move"])
        key = (doc_text(a["doc"]), self._numbered(word & 0xFFFFFFFF))
        actor = self._numbered((word >> 208) & 0xFFFFFFFF)
        op = OP_OF_CONTROL[(move >> 192) & 0xFF]
        state = str(STATE[(word >> 104) & 0xFF])
        ref, where = bytes(a["ref"]).hex(), bytes(a["where"])
        row = self.db.execute(
            "SELECT kind, country, holder, endorsee, to_order, surrendered_by, time, control "
            "FROM records WHERE doc = ? AND issuer = ?",
            key,
        ).fetchone()
        new = row is None
        if new:  # received by PINT, in the receiver's own namespace
            platform = platforms_text(where)[1]
            row = ("ebl", None, None, None, (word >> 128) & 1, None, stamp,
                   json.dumps({"carrierPlatform": platform} if platform else {}))  # fmt: skip
        kind, country, holder, endorsee, to_order, surrendered_by, time, control_json = row
        control: dict[str, str] = json.loads(control_json) if control_json else {}
        returned_by = "0x" + (move & ((1 << 160) - 1)).to_bytes(20, "big").hex()
        holder, surrendered_by, moved = control_change(
            op, state, ref, where, key[1], actor, control, holder, surrendered_by,
            lambda: self._who(returned_by),
        )  # fmt: skip
        kept = {k: v for k, v in control.items() if k in ("carrierPlatform", "surrenderedFrom")}
        self._put(key, kind, country, state, holder, endorsee, bool(to_order), surrendered_by,
                  int(time), kept | moved)  # fmt: skip
        return key, new

    def control_of(self, doc_id: str, issuer: str) -> dict[str, str]:
        """A record's control facts: ``away``, ``awayAt``, ``transfer`` (while away, and a
        received eBL's last transfer), ``carrierPlatform``, ``surrenderedFrom``."""
        with self.lock:
            row = self.db.execute(
                "SELECT control FROM records WHERE doc = ? AND issuer = ?", (doc_id, issuer)
            ).fetchone()
        return dict(json.loads(row[0])) if row and row[0] else {}

    def _field(self, key: Key, column: str) -> str | None:
        row = self.db.execute(
            f"SELECT {column} FROM records WHERE doc = ? AND issuer = ?",  # noqa: S608
            key,
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def _set_state(self, key: Key, state: str) -> None:
        """A record's new state; a batch member changed on its own first gets its record."""
        db = self.db
        if db.execute("SELECT 1 FROM records WHERE doc = ? AND issuer = ?", key).fetchone():
            db.execute("UPDATE records SET state = ? WHERE doc = ? AND issuer = ?", (state, *key))
            return
        member = self._member(*key)
        if member is not None:
            kind, country, stamp = member[1:]
            self._put(key, kind, country, state, None, None, False, None, stamp)

    def _member(self, doc_id: str, issuer: str) -> tuple[str, str, str | None, int] | None:
        """A batch member's root, and its batch's kind, country and time."""
        row = self.db.execute(
            "SELECT m.root, b.kind, b.country, b.time FROM batch_members m JOIN batch_info b "
            "ON b.root = m.root AND b.issuer = m.issuer WHERE m.doc = ? AND m.issuer = ?",
            (doc_id, issuer),
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), row[2], int(row[3]))

    # --- the state mirror, as the chaincode reads it ------------------------------------

    def record(self, doc_id: str, issuer: str) -> DocumentRecord | None:
        """``issuer``'s record of the digest, as the indexed events tell it."""
        with self.lock:
            row = self.db.execute(
                "SELECT kind, country, state, holder, endorsee, to_order, surrendered_by, time, "
                "control FROM records WHERE doc = ? AND issuer = ?",
                (doc_id, issuer),
            ).fetchone()
            member = self._member(doc_id, issuer)
        if row is None and member is None:
            return None
        if row is None:
            assert member is not None
            row = (member[1], member[2], "ISSUED", None, None, 0, None, member[3], None)
        kind, country, state, holder, endorsee, to_order, surrendered_by, stamp, control = row
        containers, links = self.facts(doc_id, issuer)
        record = DocumentRecord(
            id=doc_id,
            kind=DocumentKind(kind),
            issuer=issuer,
            country=country,
            state=DocState(state),
            issued_at=when(int(stamp)),
            containers=tuple(containers),
            links=tuple(links),
            supersedes=self.supersedes(doc_id, issuer),
            superseded_by=self.superseded_by(doc_id, issuer),
            batch=member[0] if member else None,
        )
        if record.kind is DocumentKind.EBL:
            record = with_control(
                record.evolve(
                    carrier=issuer,
                    holder=holder,
                    endorsee=endorsee,
                    to_order=bool(to_order),
                    surrendered_by=surrendered_by,
                ),
                json.loads(control) if control else {},
            )
        return record

    def right(self, container: str) -> PickupRight | None:
        text = self._one("SELECT record FROM rights WHERE container = ?", container)
        return None if text is None else right_from_json(text)

    def released_under(self, container: str, ebl: str, carrier: str) -> bool:
        found = self._one(
            "SELECT 1 FROM released WHERE container = ? AND ebl = ? AND carrier = ?",
            container,
            ebl,
            carrier,
        )
        return found is not None

    def number_of(self, address: str) -> int | None:
        """An account's organisation number in the contract, from its registration."""
        found = self._one(
            "SELECT number FROM numbers WHERE address = ? ORDER BY number DESC LIMIT 1",
            to_checksum_address(address),
        )
        return None if found is None else int(found)

    def held_by(self, org_id: str) -> list[str]:
        return self._column(
            "SELECT DISTINCT doc FROM records WHERE holder = ? AND kind = 'ebl' ORDER BY doc",
            org_id,
        )

    def _set_facts(
        self,
        doc: str,
        issuer: str,
        containers: list[str],
        links: list[str],
        anchor: tuple[str | None, str | None] | None,
    ) -> None:
        """A record's containers and links; a link is also shown from the linked side when
        the rules say so (``chaincode.lifecycle.link_is_mutual``)."""
        db = self.db
        db.execute(
            "INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?)",
            (doc, issuer, json.dumps(containers), json.dumps(links)),
        )
        db.executemany(
            "INSERT OR IGNORE INTO containers VALUES (?, ?, ?)",
            [(c, doc, issuer) for c in containers],
        )
        country = anchor[0] if anchor else None
        for link in links:
            db.execute("INSERT OR IGNORE INTO links VALUES (?, ?, ?, NULL)", (doc, issuer, link))
            first = self.anchor_country(link)
            if first is None:
                continue
            if link_is_mutual(country, first[1]):
                db.execute(
                    "INSERT OR IGNORE INTO links VALUES (?, ?, ?, ?)",
                    (link, first[0], doc, issuer),
                )

    def _facts_from_wire(self, wire: dict[str, Any]) -> dict[Key, tuple[list[str], list[str]]]:
        """Our own AMEND / REPLACE: the new document's containers and links are in the
        signed transaction (the contract's amend takes none)."""
        new = wire.get("newDoc")
        if wire["op"] in (Op.AMEND.value, Op.REPLACE.value) and new:
            containers, links = list(wire.get("containers", [])), list(wire.get("links", []))
            if containers or links:
                return {(new, wire["actor"]): (containers, links)}
        return {}


def _rebuild_if_older(db: sqlite3.Connection) -> None:
    """An index of another layout is rebuilt from the chain: every table is dropped but
    ``sent`` (the raw transactions this node sent, which a resubmission resends)."""
    tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" not in tables:
        return
    row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    if row is not None and row[0] == VERSION:
        return
    for table in tables - {"sent"}:
        db.execute(f"DROP TABLE {table}")
